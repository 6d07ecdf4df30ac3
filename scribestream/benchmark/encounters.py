"""Benchmark encounters of a fixed length from PriMock57-format consultations, cached as WAV files.

Encounter ``i`` uses consultation ``i mod count`` (sorted), looped (a second of silence between passes)
or cut to the requested length. A cut ends the visit either at the length exactly (``ending="cut"``: both
speakers are usually mid-utterance, the worst case for the final decode) or, by default, the way a visit
ends: after the last complete utterance within the length and ``END_PAUSE_S`` of silence (``ending="pause"``,
at most the length). Two channels (clinician, patient: what telehealth delivers) or one mixed
channel. Synthesis takes seconds per consultation, so each rendering is cached under ``cache_dir`` keyed
by the TextGrids' content, the voices, the length and the channel layout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile

from scribestream.benchmark.primock import RATE, VOICES, consultation_stems, render_consultation, textgrids
from shared.audio import Audio
from shared.files import replacing

GAP_S = 1.0  # silence between two passes of a looped consultation
END_PAUSE_S = 0.8  # ending="pause": silence after the last utterance (then the end marker closes it)
SILENT = 1e-4  # |sample| at or below this is silence (synthesized speech is exact zeros between intervals)
Ending = Literal["pause", "cut"]


class DataError(ValueError):
    """The data folder holds no usable consultation. Messages name paths only."""


@dataclass(frozen=True)
class EncounterAudio:
    stem: str  # which consultation (a file name of the public data set, not PHI)
    path: Path
    audio: Audio

    @property
    def seconds(self) -> float:
        return self.audio.frames / RATE


def fit_length(audio: np.ndarray, *, samples: int, gap: int) -> np.ndarray:
    """Loop (with ``gap`` samples of silence between passes) or cut ``audio`` (channels x n) to ``samples``."""
    if audio.shape[1] == 0:
        return np.zeros((audio.shape[0], samples), dtype=audio.dtype)
    passes = [audio]
    filled = audio.shape[1]
    while filled < samples:
        passes += [np.zeros((audio.shape[0], gap), dtype=audio.dtype), audio]
        filled += gap + audio.shape[1]
    return np.concatenate(passes, axis=1)[:, :samples]


def end_at_pause(audio: np.ndarray, *, pause: int) -> np.ndarray:
    """Shorten ``audio`` (channels x n) to end ``pause`` samples after the last speech that is followed by at
    least that much silence on every channel: the visit ends after a complete utterance, not inside one.
    Unchanged when it already ends in such a silence or has no pause that long."""
    active = np.flatnonzero(np.abs(audio).max(axis=0) > SILENT)
    if active.size == 0 or audio.shape[1] - 1 - active[-1] >= pause:
        return audio
    gaps = np.flatnonzero(np.diff(active) > pause)
    if gaps.size == 0:
        return audio
    return audio[:, : int(active[gaps[-1]]) + 1 + pause]


def transcripts_dir(data: Path) -> Path:
    """Accepts the PriMock57 folder itself or its ``transcripts/`` folder."""
    return data / "transcripts" if (data / "transcripts").is_dir() else data


def _cache_key(transcripts: Path, stem: str, *, seconds: float, mono: bool, ending: Ending) -> str:
    spec = {"voices": VOICES, "seconds": seconds, "mono": mono, "v": 1}
    if ending != "cut":  # the cut keeps its earlier key: cached renderings stay valid
        spec["ending"] = ending
    digest = hashlib.sha256(json.dumps(spec).encode())
    for path in textgrids(transcripts, stem).values():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_encounter(*, transcripts: Path, stem: str, seconds: float, mono: bool, cache_dir: Path,
                    ending: Ending = "pause") -> EncounterAudio:
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _cache_key(transcripts, stem, seconds=seconds, mono=mono, ending=ending)
    path = cache_dir / f"{stem}-{seconds:g}s-{'mono' if mono else 'stereo'}-{key}.wav"
    if not path.exists():
        rendered = render_consultation(transcripts, stem)
        audio = rendered.mono()[None, :] if mono else rendered.audio
        audio = fit_length(audio, samples=int(seconds * RATE), gap=int(GAP_S * RATE))
        if ending == "pause":
            audio = end_at_pause(audio, pause=int(END_PAUSE_S * RATE))
        with replacing(path, mode=None) as tmp:  # a half-written file is never taken from the cache
            soundfile.write(tmp, audio.T, RATE, subtype="PCM_16")
    frames, _ = soundfile.read(path, dtype="int16", always_2d=True)
    return EncounterAudio(stem=stem, path=path, audio=Audio(pcm=frames.tobytes(), channels=frames.shape[1]))


def build_encounters(*, data: Path, count: int, seconds: float, mono: bool, cache_dir: Path,
                     ending: Ending = "pause") -> list[EncounterAudio]:
    """``count`` encounters (consultations reused round-robin; each distinct one synthesized once)."""
    transcripts = transcripts_dir(data)
    stems = consultation_stems(transcripts)
    if not stems:
        raise DataError(f"no consultation with doctor and patient TextGrids in {transcripts}")
    distinct = {}
    for i in range(count):
        stem = stems[i % len(stems)]
        if stem not in distinct:
            distinct[stem] = build_encounter(transcripts=transcripts, stem=stem, seconds=seconds, mono=mono,
                                             cache_dir=cache_dir, ending=ending)
    return [distinct[stems[i % len(stems)]] for i in range(count)]
