"""Benchmark: the grounded note writer on ACI-Bench (train + valid), ROUGE against the reference notes.

The note is rendered as plain text (section headings, one statement per line) and scored with the
``rouge-score`` package as the ACI-Bench paper does: ROUGE-1, ROUGE-2 and ROUGE-Lsum, no stemmer,
Lsum over newline-split sentences. Also reported: statements per note, the share the checker supports,
no-note outcomes, and a transcript-copy baseline computed the same way for comparison.

Data: ACI-Bench (Yim, Fu, Ben Abacha, Snider, Lin, Yetisgen), Nature Scientific Data 2023, CC BY 4.0.
Nothing was tuned to any test split; train and valid are development data here.

    .venv/bin/python bench/notegen_aci.py --data ../shared/data/aci-bench --out /tmp/notegen_aci.json
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rouge_score import rouge_scorer  # noqa: E402

from services.notegen.domain import draft_note  # noqa: E402
from services.notegen.templates import render_text  # noqa: E402
from shared.contracts import EncounterContext, Role, Turn  # noqa: E402

ATTRIBUTION = "ACI-Bench (Yim, Fu, Ben Abacha, Snider, Lin, Yetisgen), Nature Scientific Data 2023, CC BY 4.0."
PUBLISHED_TEST1 = {  # ROUGE-1 / ROUGE-2 / ROUGE-Lsum on ACI-Bench test set 1, from the data README
    "GPT-4": (51.76, 22.58, 45.97),
    "BART fine-tuned (SAMSum, division)": (53.46, 25.08, 48.62),
    "transcript copied as the note": (32.84, 12.53, 30.61),
}
METRICS = ("rouge1", "rouge2", "rougeLsum")


def aci_turns(dialogue: str) -> list[Turn]:
    turns: list[Turn] = []
    for line in dialogue.splitlines():
        m = re.match(r"\s*\[(doctor|patient)\]\s*(.*)", line)
        if not m:
            continue
        i = len(turns)
        role = Role.CLINICIAN if m.group(1) == "doctor" else Role.PATIENT
        turns.append(Turn(turn_id=f"t{i}", seq=i, speaker=role, start=float(i), end=i + 0.5, text=m.group(2),
                          confidence=1.0))
    return turns


def score(scorer: rouge_scorer.RougeScorer, *, reference: str, prediction: str) -> dict[str, float]:
    # rougeLsum splits sentences on newlines; reference notes already use one line per sentence or item.
    result = scorer.score(reference, prediction)
    return {m: result[m].fmeasure * 100 for m in METRICS}


def run(data_dir: Path, splits: list[str]) -> dict:
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=False, split_summaries=False)
    rows = []
    for split in splits:
        with (data_dir / f"{split}.csv").open(newline="") as f:
            rows.extend((split, r) for r in csv.DictReader(f))
    per_note, copy_scores = [], []
    started = time.perf_counter()
    for split, row in rows:
        turns = aci_turns(row["dialogue"])
        result = draft_note(turns, context=EncounterContext(), encounter_id=row["encounter_id"])
        text = render_text(result.note)
        statements = result.note.statements()
        per_note.append({
            "split": split,
            "encounter_id": row["encounter_id"],
            "status": result.status,
            "statements": len(statements),
            "unsupported": len(result.unsupported_statement_ids),
            "missing_elements": result.missing_elements,
            **score(scorer, reference=row["note"], prediction=text),
        })
        transcript = "\n".join(t.text for t in turns)
        copy_scores.append(score(scorer, reference=row["note"], prediction=transcript))
    elapsed = time.perf_counter() - started
    n_statements = sum(p["statements"] for p in per_note)
    return {
        "attribution": ATTRIBUTION,
        "splits": splits,
        "encounters": len(per_note),
        "grounded": {m: round(mean(p[m] for p in per_note), 2) for m in METRICS},
        "transcript_copy": {m: round(mean(s[m] for s in copy_scores), 2) for m in METRICS},
        "published_test1": {k: dict(zip(METRICS, v)) for k, v in PUBLISHED_TEST1.items()},
        "statements_per_note": round(n_statements / max(len(per_note), 1), 1),
        "supported_share": round(1 - sum(p["unsupported"] for p in per_note) / max(n_statements, 1), 4),
        "notes_needing_review": sum(1 for p in per_note if p["unsupported"]),
        "no_note": sum(1 for p in per_note if p["status"] == "no_note"),
        "seconds_total": round(elapsed, 2),
        "per_note": per_note,
    }


def print_table(report: dict) -> None:
    print(f"ACI-Bench {'+'.join(report['splits'])}: {report['encounters']} encounters")
    print(f"{'system':<40} {'R-1':>6} {'R-2':>6} {'R-Lsum':>7}")
    for name, figures in (("grounded (this repo)", report["grounded"]),
                          ("transcript copy (this run)", report["transcript_copy"])):
        print(f"{name:<40} {figures['rouge1']:>6.2f} {figures['rouge2']:>6.2f} {figures['rougeLsum']:>7.2f}")
    print("published, test set 1 (not comparable split):")
    for name, figures in report["published_test1"].items():
        print(f"  {name:<38} {figures['rouge1']:>6.2f} {figures['rouge2']:>6.2f} {figures['rougeLsum']:>7.2f}")
    print(
        f"statements/note {report['statements_per_note']}, checker-supported {report['supported_share']:.2%}, "
        f"notes needing review {report['notes_needing_review']}, no-note {report['no_note']}, "
        f"{report['seconds_total']} s"
    )
    print(f"Data: {report['attribution']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/aci-bench")
    parser.add_argument("--splits", nargs="+", default=["train", "valid"])
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    args = parser.parse_args()
    report = run(args.data, args.splits)
    args.out.write_text(json.dumps(report, indent=2))
    print_table(report)


if __name__ == "__main__":
    main()
