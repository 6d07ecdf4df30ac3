"""Audio file input: decode WAV/MP3/FLAC to interleaved PCM s16le at 16 kHz, channels kept.

Channels are never mixed down: in a two-channel recording each channel is one speaker, and that
separation is what the ASR stage uses to attribute turns. Decoding uses PyAV (bundled FFmpeg, which
faster-whisper already depends on), so nothing is fetched and no system ffmpeg is needed.

Error messages name no content and no path (file names can carry patient names).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from shared.contracts import SAMPLE_RATE, SAMPLE_WIDTH

MAX_CHANNELS = 8


class AudioError(ValueError):
    """The input is not usable audio. The message is one line and names no content."""


@dataclass(frozen=True)
class Audio:
    pcm: bytes  # interleaved s16le, SAMPLE_RATE Hz
    channels: int

    @property
    def frame_bytes(self) -> int:
        return SAMPLE_WIDTH * self.channels

    @property
    def frames(self) -> int:
        return len(self.pcm) // self.frame_bytes

    @property
    def seconds(self) -> float:
        return self.frames / SAMPLE_RATE


def load_audio(path: str | Path) -> Audio:
    """Decode an audio file; raises ``AudioError`` for a missing, empty, unreadable or zero-length file."""
    path = Path(path)
    if not path.is_file():
        raise AudioError("audio file not found")
    if path.stat().st_size == 0:
        raise AudioError("audio file is empty")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as err:
        raise AudioError(f"file is not readable audio ({type(err).__name__})") from None
    with container:
        if not container.streams.audio:
            raise AudioError("file has no audio stream")
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        if not 1 <= channels <= MAX_CHANNELS:
            raise AudioError(f"unsupported channel count {channels}")
        pcm = _decode(container, stream, channels=channels)
    if not pcm:
        raise AudioError("audio has zero length")
    return Audio(pcm=pcm, channels=channels)


def _decode(container: av.container.InputContainer, stream: av.AudioStream, *, channels: int) -> bytes:
    # Packed s16 output at 16 kHz with the input's own layout: resample, never remix.
    resampler = av.AudioResampler(format="s16", layout=stream.layout, rate=SAMPLE_RATE)
    parts: list[np.ndarray] = []
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):  # drain the resampler's delay line
            parts.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError as err:
        raise AudioError(f"could not decode audio ({type(err).__name__})") from None
    if not parts:
        return b""
    samples = np.concatenate(parts).astype("<i2", copy=False)
    usable = len(samples) - len(samples) % channels
    return samples[:usable].tobytes()


def chunk_pcm(audio: Audio, *, ms: int = 200) -> Iterator[bytes]:
    """Split into chunks of ``ms`` milliseconds (the last may be shorter), always whole frames."""
    if ms <= 0:
        raise ValueError("chunk length must be positive")
    step = max(1, SAMPLE_RATE * ms // 1000) * audio.frame_bytes
    for offset in range(0, len(audio.pcm), step):
        yield audio.pcm[offset : offset + step]
