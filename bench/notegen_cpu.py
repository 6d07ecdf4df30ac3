"""Benchmark: CPU seconds of the grounded backend for a 15-minute encounter (target < 1 s).

The encounter is real, time-aligned conversation: PriMock57 consultations (human transcripts with start and
end times) laid end to end, in order, until 15 minutes of conversation are reached, then cut at 900 s. Each
run drafts the whole note (writer, checker, template) from the turns; CPU time is ``time.process_time`` of
this process, median of ``--runs`` runs after one warm-up. Also reported: CPU seconds per minute of
conversation over every PriMock57 consultation on its own.

Data: PriMock57 (Papadopoulos Korfiatis, Moramarco, Sarac, Savkov), ACL 2022, CC BY 4.0.

    .venv/bin/python bench/notegen_cpu.py --data ../shared/data/primock57 --runs 7
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from notegen_primock import ATTRIBUTION, consultation, names  # noqa: E402

from services.notegen.domain import draft_note  # noqa: E402
from shared.contracts import EncounterContext, Role, Turn  # noqa: E402

TARGET_S = 15 * 60


def as_turns(utterances, *, offset: float, first_seq: int) -> list[Turn]:
    return [
        Turn(turn_id=f"t{first_seq + i}", seq=first_seq + i,
             speaker=Role.CLINICIAN if u.speaker == "doctor" else Role.PATIENT,
             start=u.start + offset, end=u.end + offset, text=u.text, confidence=1.0)
        for i, u in enumerate(utterances)
    ]


def fifteen_minutes(data: Path) -> list[Turn]:
    turns: list[Turn] = []
    offset = 0.0
    for name in names(data):
        utterances, _, seconds = consultation(data, name)
        turns += [t for t in as_turns(utterances, offset=offset, first_seq=len(turns)) if t.start < TARGET_S]
        offset += seconds
        if offset >= TARGET_S:
            break
    return turns


def cpu_seconds(turns: list[Turn], *, runs: int) -> list[float]:
    draft_note(turns, context=EncounterContext(), encounter_id="warm-up")
    out = []
    for i in range(runs):
        started = time.process_time()
        draft_note(turns, context=EncounterContext(), encounter_id=f"run-{i}")
        out.append(time.process_time() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/primock57")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    turns = fifteen_minutes(args.data)
    words = sum(len(t.text.split()) for t in turns)
    runs = cpu_seconds(turns, runs=args.runs)
    per_minute = []
    for name in names(args.data):
        utterances, _, seconds = consultation(args.data, name)
        one = as_turns(utterances, offset=0.0, first_seq=0)
        per_minute.append(median(cpu_seconds(one, runs=3)) / (seconds / 60))
    report = {
        "encounter_minutes": round(max(t.end for t in turns) / 60, 2),
        "turns": len(turns),
        "words": words,
        "cpu_seconds_median": round(median(runs), 3),
        "cpu_seconds_runs": [round(r, 3) for r in runs],
        "cpu_seconds_per_conversation_minute_median": round(median(per_minute), 4),
        "target_s": 1.0,
        "attribution": ATTRIBUTION,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
