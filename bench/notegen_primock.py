"""Benchmark: a note backend on PriMock57, scored like ACI-Bench.

Each consultation's two TextGrids (doctor, patient; time-aligned human transcripts) become one dialogue in
time order (``[doctor]`` / ``[patient]`` lines, ``<UNSURE>`` tags dropped, ``<UNIN/>`` removed); the reference is
the consulting clinician's note (``presenting_complaint`` + ``note``). The dialogues are written to an
ACI-Bench-format CSV, so the figures come from the same code as ``scribestream eval notes`` (which can be run
on that CSV too). PriMock57 notes are short free-text shorthand ("3/7 hx of diarrhea, nil radiation") with
no section headings, so ROUGE is low for every system; compare with the transcript-copy baseline of this run.

Data: PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov), ACL 2022, CC BY 4.0.

    .venv/bin/python bench/notegen_primock.py --data ../shared/data/primock57 --csv /tmp/primock57.csv --out /tmp/notegen_primock.json
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.notegen.evaluation import evaluate, read_encounters  # noqa: E402
from services.notegen.writers import GroundedWriter  # noqa: E402

ATTRIBUTION = "PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov), ACL 2022, CC BY 4.0."
_INTERVAL = re.compile(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "((?:[^"]|"")*)"', re.MULTILINE)


@dataclass(frozen=True)
class Utterance:
    start: float
    end: float
    speaker: str  # "doctor" | "patient"
    text: str


def clean(text: str) -> str:
    text = text.replace('""', '"')
    text = re.sub(r"<UNIN/>", " ", text)
    text = re.sub(r"</?UNSURE>", "", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())


def read_textgrid(path: Path, *, speaker: str) -> list[Utterance]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    out = []
    for start, end, text in _INTERVAL.findall(raw):
        cleaned = clean(text)
        if cleaned:
            out.append(Utterance(float(start), float(end), speaker, cleaned))
    return out


def consultation(data: Path, name: str) -> tuple[list[Utterance], str, float]:
    """(utterances in time order, reference note, seconds of conversation)"""
    utterances = [
        *read_textgrid(data / "transcripts" / f"{name}_doctor.TextGrid", speaker="doctor"),
        *read_textgrid(data / "transcripts" / f"{name}_patient.TextGrid", speaker="patient"),
    ]
    utterances.sort(key=lambda u: (u.start, u.speaker))
    note = json.loads((data / "notes" / f"{name}.json").read_text())
    reference = "\n".join(x for x in (note.get("presenting_complaint", ""), note.get("note", "")) if x).strip()
    return utterances, reference, max((u.end for u in utterances), default=0.0)


def names(data: Path) -> list[str]:
    return sorted(p.stem for p in (data / "notes").glob("*.json"))


def write_aci_csv(data: Path, path: Path) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["dataset", "encounter_id", "dialogue", "note"])
        for name in names(data):
            utterances, reference, _ = consultation(data, name)
            out.writerow(["primock57", name, "\n".join(f"[{u.speaker}] {u.text}" for u in utterances), reference])
    return len(names(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/primock57")
    parser.add_argument("--csv", type=Path, required=True, help="where to write the ACI-format CSV (outside the repo)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    args = parser.parse_args()
    count = write_aci_csv(args.data, args.csv)
    report, _ = asyncio.run(evaluate(read_encounters(args.csv), writer=GroundedWriter(version="bench")))
    report["attribution"] = ATTRIBUTION
    args.out.write_text(json.dumps(report, indent=2))
    r, c = report["rouge"], report["transcript_copy"]
    print(f"PriMock57: {count} consultations")
    print(f"grounded        R-1 {r['rouge1']:.2f} R-2 {r['rouge2']:.2f} R-Lsum {r['rougeLsum']:.2f}")
    print(f"transcript copy R-1 {c['rouge1']:.2f} R-2 {c['rouge2']:.2f} R-Lsum {c['rougeLsum']:.2f}")
    print(f"supported {report['supported_share']:.2%}, statements/note {report['statements_per_note']}, "
          f"no-note {report['no_note']}, s/note {report['seconds_per_note']}")
    print(f"Data: {ATTRIBUTION}")


if __name__ == "__main__":
    main()
