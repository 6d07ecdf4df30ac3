"""Benchmark: a note backend on ACI-Bench splits, ROUGE against the reference notes.

The same scoring as ``scribestream eval notes`` (services/notegen/evaluation.py): ROUGE-1, ROUGE-2 and
ROUGE-Lsum with the ``rouge-score`` package, no stemmer, Lsum over newline-split sentences; per-section
scores; the share of statements the checker supports; seconds per note; and the transcript-copy baseline
computed the same way. One report per split (valid is the headline; train is development data too).

Data: ACI-Bench (Yim, Fu, Ben Abacha, Snider, Lin, Yetisgen), Nature Scientific Data 2023, CC BY 4.0.
Nothing was tuned to any test split.

    .venv/bin/python bench/notegen_aci.py --data ../shared/data/aci-bench --splits valid train --out /tmp/notegen_aci.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.notegen.backends import build_writer  # noqa: E402
from services.notegen.evaluation import (  # noqa: E402
    ACI_ATTRIBUTION,
    ANCHORS_TEST1,
    evaluate,
    read_encounters,
)
from shared.llm import LlmSettings  # noqa: E402


def run(data_dir: Path, splits: list[str], *, backend: str = "grounded") -> dict:
    reports = {}
    for split in splits:
        encounters = read_encounters(data_dir / f"{split}.csv")
        writer = build_writer(backend=backend, settings=LlmSettings() if backend == "llm" else None, version="bench")
        report, _ = asyncio.run(evaluate(encounters, writer=writer))
        reports[split] = report
    return {"attribution": ACI_ATTRIBUTION, "backend": backend, "splits": reports,
            "anchors_test1": {k: dict(zip(("rouge1", "rouge2", "rougeLsum"), v)) for k, v in ANCHORS_TEST1.items()}}


def print_table(result: dict) -> None:
    print(f"{'system':<44} {'R-1':>6} {'R-2':>6} {'R-Lsum':>7}")
    for split, report in result["splits"].items():
        for name, figures in ((f"{result['backend']} ({split}, {report['encounters']})", report["rouge"]),
                              (f"transcript copy ({split})", report["transcript_copy"])):
            print(f"{name:<44} {figures['rouge1']:>6.2f} {figures['rouge2']:>6.2f} {figures['rougeLsum']:>7.2f}")
        sections = ", ".join(f"{k} {v['rouge1']:.1f}/{v['rouge2']:.1f}/{v['rougeLsum']:.1f}"
                             for k, v in report["sections"].items())
        print(f"  sections: {sections}")
        print(f"  supported {report['supported_share']:.2%}, statements/note {report['statements_per_note']}, "
              f"review {report['notes_needing_review']}, no-note {report['no_note']}, "
              f"s/note {report['seconds_per_note']}")
    print("anchors, ACI-Bench test set 1 (other split):")
    for name, f in result["anchors_test1"].items():
        print(f"  {name:<42} {f['rouge1']:>6.2f} {f['rouge2']:>6.2f} {f['rougeLsum']:>7.2f}")
    print(f"Data: {result['attribution']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/aci-bench")
    parser.add_argument("--splits", nargs="+", default=["valid", "train"])
    parser.add_argument("--backend", choices=["grounded", "llm"], default="grounded")
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON report")
    args = parser.parse_args()
    result = run(args.data, args.splits, backend=args.backend)
    args.out.write_text(json.dumps(result, indent=2))
    print_table(result)


if __name__ == "__main__":
    main()
