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
from pathlib import Path

import soundfile

from scribestream.benchmark.primock import RATE, render_consultation

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


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


def consultation(stem: str, out: Path) -> tuple[Path, Path, list[dict]]:
    rendered = render_consultation(DATA / "primock57" / "transcripts", stem)
    stereo, mono = out / f"{stem}.stereo.wav", out / f"{stem}.mono.wav"
    soundfile.write(stereo, rendered.audio.T, RATE, subtype="PCM_16")
    soundfile.write(mono, rendered.mono(), RATE, subtype="PCM_16")
    return stereo, mono, rendered.reference


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
