"""PriMock57-format consultations as audio: every non-empty TextGrid interval of a speaker is spoken by
espeak-ng at its own start time, one voice per speaker, one channel per speaker.

Shared by the ASR evaluation data (``bench/asr_data.py``) and the capacity benchmark. The recordings of
PriMock57 are not available on these machines, so speech is synthesized; the turn-taking, timing and
clinical vocabulary are the real consultation's.

Data: PriMock57 — Papadopoulos Korfiatis, Moramarco, Sarac, Savkov, ACL 2022, CC BY 4.0.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.asr.domain import to_float
from shared.audio import load_audio

RATE = 16000
SPEAKERS: tuple[str, ...] = ("doctor", "patient")  # channel order: clinician 0, patient 1 (telehealth)
VOICES = {"doctor": ("en-gb", 175), "patient": ("en-us+f3", 165)}  # one voice per speaker; base wpm
_INTERVAL = re.compile(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "((?:[^"]|"")*)"', re.MULTILINE)

Interval = tuple[float, float, str]


@dataclass(frozen=True)
class Rendered:
    """A consultation as float32 audio, one row per speaker (``SPEAKERS`` order), at ``RATE`` Hz."""

    audio: np.ndarray
    reference: list[dict]  # {"start", "speaker", "text"} in time order

    @property
    def seconds(self) -> float:
        return self.audio.shape[1] / RATE

    def mono(self) -> np.ndarray:
        return np.clip(self.audio.sum(axis=0), -1, 1)


def intervals(textgrid: Path) -> list[Interval]:
    """The non-empty intervals of a Praat TextGrid (long text format): (start s, end s, text)."""
    found = []
    for start, end, text in _INTERVAL.findall(textgrid.read_text(encoding="utf-8")):
        text = text.replace('""', '"').strip()
        if text:
            found.append((float(start), float(end), text))
    return found


def spoken(text: str) -> str:
    """What the synthetic speaker says: unsure words kept, unintelligible parts dropped."""
    text = re.sub(r"<UNIN/>", " ", text, flags=re.IGNORECASE)
    return re.sub(r"</?[A-Za-z]+/?>", " ", text).strip()


def synthesize(text: str, *, voice: str, wpm: int) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", tmp.name, text], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return to_float(load_audio(tmp.name).pcm)  # 22.05 kHz -> 16 kHz by the project's own loader


def textgrids(transcripts: Path, stem: str) -> dict[str, Path]:
    return {who: transcripts / f"{stem}_{who}.TextGrid" for who in SPEAKERS}


def consultation_stems(transcripts: Path) -> list[str]:
    """Consultations that have a TextGrid for every speaker, sorted."""
    stems = sorted({p.name.rsplit("_", 1)[0] for p in transcripts.glob("*.TextGrid")})
    return [s for s in stems if all(p.is_file() for p in textgrids(transcripts, s).values())]


def render(tracks: Mapping[str, Sequence[Interval]]) -> Rendered:
    """Speak each speaker's intervals at their times on that speaker's channel; trims trailing silence
    to one second."""
    length = max((end for items in tracks.values() for _, end, _ in items), default=0.0) + 2.0
    audio = np.zeros((len(SPEAKERS), int(length * RATE) + RATE * 30), dtype=np.float32)
    reference = []
    for channel, who in enumerate(SPEAKERS):
        voice, base_wpm = VOICES[who]
        items = list(tracks.get(who, ()))
        for index, (start, end, text) in enumerate(items):
            words = spoken(text)
            if not re.search(r"[A-Za-z0-9]", words):
                continue
            # Speak at the pace the person spoke, within what espeak renders intelligibly.
            wpm = int(np.clip(len(words.split()) / max(end - start, 0.5) * 60, 130, 230)) or base_wpm
            speech = synthesize(words, voice=voice, wpm=wpm)
            at = int(start * RATE)
            stop = int(items[index + 1][0] * RATE) if index + 1 < len(items) else at + len(speech)
            speech = speech[: max(0, stop - at)]  # never run into the same speaker's next interval
            audio[channel, at : at + len(speech)] += 0.6 * speech
            reference.append({"start": start, "speaker": who, "text": text})
    last = max(np.flatnonzero(np.abs(audio).max(axis=0) > 1e-4), default=0)
    reference.sort(key=lambda t: t["start"])
    return Rendered(audio=audio[:, : last + RATE], reference=reference)


def render_consultation(transcripts: Path, stem: str) -> Rendered:
    return render({who: intervals(path) for who, path in textgrids(transcripts, stem).items()})
