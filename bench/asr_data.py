"""Build ASR evaluation manifests from ../shared/data (nothing is copied into the repository).

  osce.jsonl            the two real OSCE interviews (mono MP3 + D:/P: transcripts), referenced in place
  primock_stereo.jsonl  PriMock57 consultations synthesized with espeak-ng: every TextGrid interval spoken
                        at its own time, doctor and patient in different voices, one channel each
  primock_mono.jsonl    the same audio mixed to one channel (for diarization)

Audio goes to a git-ignored cache folder (default ``.cache/asr``). Usage:
  .venv/bin/python bench/asr_data.py [--consultations 6] [--out .cache/asr]

Data: OSCE — Smith, Fareez et al. (2022), Scientific Data 9:313, CC BY 4.0. PriMock57 — Papadopoulos
Korfiatis, Moramarco, Sarac, Savkov, ACL 2022, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from services.asr.domain import to_float
from shared.audio import load_audio

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
RATE = 16000
VOICES = {"doctor": ("en-gb", 175), "patient": ("en-us+f3", 165)}  # one voice per speaker; base wpm
_INTERVAL = re.compile(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "((?:[^"]|"")*)"', re.MULTILINE)


def osce_manifest(out: Path) -> Path:
    lines = []
    for mp3 in sorted((DATA / "osce").glob("*.mp3")):
        turns = []
        for raw in mp3.with_suffix(".txt").read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*([DP])\s*[:;]\s*(.*)", raw)
            if m:
                turns.append({"speaker": m.group(1), "text": m.group(2)})
            elif raw.strip() and turns:  # a turn continued on the next line
                turns[-1]["text"] += " " + raw.strip()
        lines.append(json.dumps({"audio": str(mp3), "reference": turns}))
    path = out / "osce.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def intervals(textgrid: Path) -> list[tuple[float, float, str]]:
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


def consultation(stem: str, out: Path) -> tuple[Path, Path, list[dict]]:
    tracks: dict[str, list[tuple[float, float, str]]] = {
        who: intervals(DATA / "primock57" / "transcripts" / f"{stem}_{who}.TextGrid") for who in VOICES
    }
    length = max(end for items in tracks.values() for _, end, _ in items) + 2.0
    audio = np.zeros((2, int(length * RATE) + RATE * 30), dtype=np.float32)
    reference = []
    for channel, (who, items) in enumerate(tracks.items()):
        voice, base_wpm = VOICES[who]
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
    audio = audio[:, : last + RATE]
    stereo, mono = out / f"{stem}.stereo.wav", out / f"{stem}.mono.wav"
    soundfile.write(stereo, audio.T, RATE, subtype="PCM_16")
    soundfile.write(mono, np.clip(audio.sum(axis=0), -1, 1), RATE, subtype="PCM_16")
    reference.sort(key=lambda t: t["start"])
    return stereo, mono, reference


def primock_manifests(out: Path, *, count: int) -> tuple[Path, Path]:
    folder = out / "primock"
    folder.mkdir(parents=True, exist_ok=True)
    stems = sorted({p.name.rsplit("_", 1)[0] for p in (DATA / "primock57" / "transcripts").glob("*.TextGrid")})
    stereo_lines, mono_lines = [], []
    for stem in stems[:count]:
        stereo, mono, reference = consultation(stem, folder)
        turns = [{"speaker": t["speaker"], "text": t["text"]} for t in reference]
        stereo_lines.append(json.dumps({"audio": str(stereo), "reference": turns, "channels": ["clinician", "patient"]}))
        mono_lines.append(json.dumps({"audio": str(mono), "reference": turns}))
        print(f"synthesized {stem}", flush=True)
    paths = out / "primock_stereo.jsonl", out / "primock_mono.jsonl"
    paths[0].write_text("\n".join(stereo_lines) + "\n", encoding="utf-8")
    paths[1].write_text("\n".join(mono_lines) + "\n", encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / ".cache" / "asr")
    parser.add_argument("--consultations", type=int, default=6)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(osce_manifest(args.out))
    for path in primock_manifests(args.out, count=args.consultations):
        print(path)


if __name__ == "__main__":
    main()
