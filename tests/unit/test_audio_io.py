from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from shared.audio import Audio, AudioError, chunk_pcm, load_audio

pytestmark = pytest.mark.unit


def write_wav(path: Path, frames: np.ndarray, *, rate: int) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(frames.shape[1])
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames.astype("<i2").tobytes())


def stereo_frames(seconds: float, *, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    left = 0.5 * np.sin(2 * np.pi * 300 * t)
    right = np.zeros_like(t)  # silent channel: must stay silent (no downmix)
    return (np.stack([left, right], axis=1) * 32767).astype("<i2")


def test_stereo_wav_round_trip_is_exact(tmp_path):
    frames = stereo_frames(1.0, rate=16_000)
    write_wav(tmp_path / "a.wav", frames, rate=16_000)
    audio = load_audio(tmp_path / "a.wav")
    assert audio.channels == 2
    assert audio.seconds == pytest.approx(1.0)
    assert audio.pcm == frames.tobytes()


def test_resamples_to_16k_and_keeps_channels_apart(tmp_path):
    write_wav(tmp_path / "b.wav", stereo_frames(1.0, rate=44_100), rate=44_100)
    audio = load_audio(tmp_path / "b.wav")
    decoded = np.frombuffer(audio.pcm, dtype="<i2").reshape(-1, 2)
    assert audio.channels == 2
    assert audio.seconds == pytest.approx(1.0, abs=0.01)
    assert np.abs(decoded[:, 0]).max() > 10_000
    assert np.abs(decoded[:, 1]).max() == 0


def test_flac_is_read(tmp_path):
    import soundfile

    soundfile.write(tmp_path / "c.flac", stereo_frames(0.5, rate=22_050), 22_050, subtype="PCM_16")
    audio = load_audio(tmp_path / "c.flac")
    assert audio.channels == 2 and audio.seconds == pytest.approx(0.5, abs=0.01)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "jane-doe-visit.wav")


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(tmp_path / "e.wav")


def test_not_audio(tmp_path):
    (tmp_path / "note.wav").write_text("Patient reports headache for two weeks.\n" * 20)
    with pytest.raises(AudioError) as err:
        load_audio(tmp_path / "note.wav")
    assert "headache" not in str(err.value) and "note.wav" not in str(err.value)
    assert "\n" not in str(err.value)


def test_zero_length_audio(tmp_path):
    write_wav(tmp_path / "z.wav", np.zeros((0, 2), dtype="<i2"), rate=16_000)
    with pytest.raises(AudioError, match="zero length"):
        load_audio(tmp_path / "z.wav")


def test_audio_error_is_a_value_error():
    assert issubclass(AudioError, ValueError)


def test_chunks_are_whole_frames_and_cover_everything():
    audio = Audio(pcm=stereo_frames(1.03, rate=16_000).tobytes(), channels=2)
    chunks = list(chunk_pcm(audio, ms=200))
    assert all(len(c) % 4 == 0 for c in chunks)
    assert all(len(c) == 3200 * 4 for c in chunks[:-1])
    assert b"".join(chunks) == audio.pcm
    assert len(chunks) == 6
