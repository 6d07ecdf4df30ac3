"""Synthesize the sample encounter (``encounter_script.txt``) into ``encounter.wav`` with espeak-ng.

Stereo s16le 16 kHz: the clinician speaks on channel 0 (left), the patient on channel 1 (right); the
other channel is silent while one speaks, as in a two-microphone or telehealth recording. Gaps between
lines are drawn from a seeded generator, so the output is byte-for-byte reproducible.

Run: ``.venv/bin/python samples/make_sample.py`` (needs the ``espeak-ng`` binary).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared.audio import load_audio  # noqa: E402
from shared.contracts import SAMPLE_RATE  # noqa: E402

HERE = Path(__file__).resolve().parent
VOICES = {"clinician": ("en-us+m3", 0), "patient": ("en-gb+f3", 1)}  # role -> (espeak voice, channel)
WORDS_PER_MINUTE = 150  # a little slower than espeak's default 175: clearer for a small ASR model
GAP_S = (0.5, 0.9)
LEAD_S, TAIL_S = 0.5, 1.0
SEED = 20240611


def read_script(path: Path) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        role, _, text = raw.partition("|")
        if role not in VOICES or not text.strip():
            raise SystemExit(f"bad script line {len(lines) + 1}: expected ROLE|text")
        lines.append((role, text.strip()))
    return lines


def speak(text: str, *, voice: str, workdir: Path) -> np.ndarray:
    """One line of speech as mono int16 at 16 kHz."""
    out = workdir / "line.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(out), text],
        check=True,
        capture_output=True,
    )
    audio = load_audio(out)  # espeak writes 22.05 kHz; load_audio resamples to 16 kHz
    return np.frombuffer(audio.pcm, dtype="<i2")


def synthesize(lines: list[tuple[str, str]]) -> np.ndarray:
    rng = random.Random(SEED)
    pieces: list[np.ndarray] = [np.zeros((int(LEAD_S * SAMPLE_RATE), 2), dtype="<i2")]
    with tempfile.TemporaryDirectory() as tmp:
        for index, (role, text) in enumerate(lines):
            voice, channel = VOICES[role]
            mono = speak(text, voice=voice, workdir=Path(tmp))
            stereo = np.zeros((len(mono), 2), dtype="<i2")
            stereo[:, channel] = mono
            pieces.append(stereo)
            gap = TAIL_S if index == len(lines) - 1 else rng.uniform(*GAP_S)
            pieces.append(np.zeros((int(gap * SAMPLE_RATE), 2), dtype="<i2"))
    return np.concatenate(pieces)


def write_wav(path: Path, frames: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(frames.astype("<i2").tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, default=HERE / "encounter_script.txt")
    parser.add_argument("--out", type=Path, default=HERE / "encounter.wav")
    args = parser.parse_args()
    frames = synthesize(read_script(args.script))
    write_wav(args.out, frames)
    print(f"wrote {args.out} ({len(frames) / SAMPLE_RATE:.1f} s, 2 channels, {SAMPLE_RATE} Hz)")


if __name__ == "__main__":
    main()
