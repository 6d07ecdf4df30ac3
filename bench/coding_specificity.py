"""Benchmark: the outpatient coder against a certified coder's choice on 600 problem statements (specificity).

Each line of ``bench/data/coding_specificity.jsonl`` is one affirmed outpatient problem statement as clinicians write
it (formal wording, shorthand, sentences) with the ICD-10-CM FY2026 codes a careful coder would assign (``expected``,
all billable, checked against the code set) and other defensible ones (``acceptable``), with the Index or Tabular
reason. The statements were written for this project (session 13's specificity audit); they test type, acuity,
stage, severity, episode of care, laterality, trimester and the combination / "use additional code" pairs. A row is
right when every expected code is suggested and nothing outside expected + acceptable is:

    .venv/bin/python bench/coding_specificity.py [--failures]

The audit's statements guided the fixes, so they are a regression suite. ``bench/data/coding_specificity_heldout.jsonl``
(240 statements in eight specialties, written afterwards by a session that saw neither the set nor the coder) measures
how far the fixes generalize:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout.jsonl

``bench/data/coding_specificity_heldout2.jsonl`` (240 statements in ten other specialties, written blind by another
session in session 14 and scored before that session's changes: 145 right) is the second held-out set; only the rows
whose result changed were read, never its list of failures:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout2.jsonl

Session 15 read that set's failures to fix them (it is no longer blind), after a third set was written blind by another
session: ``bench/data/coding_specificity_heldout3.jsonl`` (240 statements in ten more areas: allergy, gynecology, the
emergency department, preventive care, substance use, adverse effects and poisoning, burns and wounds, aftercare and
complications of care, pain and spine, sleep, nutrition and metabolism), scored at the session's start (113 right) and
afterwards read only where a row's result changed (``--results`` writes each row's result to compare two runs):

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout3.jsonl

``bench/data/coding_specificity_heldout4.jsonl`` (120 statements: preventive care, aftercare and complications,
gynecology and contraception, allergy, urgent care injuries) was written blind by a fourth session during session 15,
when set 3's per-area counts had pointed at preventive care; it was scored on the commit before the screening change
(919f003: 36 right) and afterwards read only where a row's result changed:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout4.jsonl

Session 16 opened set 3 (its failures guided that stop's first fixes) after ``bench/data/coding_specificity_heldout5.jsonl``
was written blind (240 statements in the twelve most common outpatient areas; 179 right at the session's start, read
afterwards only where a row's result changed), and wrote ``bench/data/coding_specificity_dev6.jsonl`` (200 statements in
the five areas of set 5's lowest starting counts) as an open development set:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout5.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev6.jsonl [--failures]

Session 17 wrote ``bench/data/coding_specificity_heldout7.jsonl`` blind (240 statements and Assessment/Plan excerpts in
sixteen areas the earlier sets covered least, a third of them numbered multi-problem excerpts; 100 right at the
session's start, read afterwards only where a row's result changed) and ``bench/data/coding_specificity_dev8.jsonl``
(200 rows in the eight areas of set 7's lowest starting counts) as an open development set:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout7.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev8.jsonl [--failures]

Session 18 wrote ``bench/data/coding_specificity_heldout9.jsonl`` blind (200 statements and Assessment/Plan excerpts in
eight areas: diabetes, neurology, ENT, orthopedics, ophthalmology, cardiology, primary care, dermatology and infections;
93 right at the session's start, read afterwards only where a row's result changed) and
``bench/data/coding_specificity_dev10.jsonl`` (160 rows in set 9's four weakest areas) as an open development set:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout9.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev10.jsonl [--failures]

Session 19 wrote ``bench/data/coding_specificity_heldout11.jsonl`` blind (200 statements and excerpts in twelve common
outpatient areas; 144 right at the session's start, read afterwards only where a row's result changed) and
``bench/data/coding_specificity_dev12.jsonl`` (150 rows in set 11's six weakest areas) as an open development set:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout11.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev12.jsonl [--failures]

Session 20 wrote ``bench/data/coding_specificity_heldout13.jsonl`` blind (200 statements and excerpts in twelve everyday
primary-care areas; 145 right at the session's start, 080e25f, read afterwards only where a row's result changed) and
``bench/data/coding_specificity_dev14.jsonl`` (150 rows in set 13's five weakest areas, read as aggregates only) as an
open development set:

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout13.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev14.jsonl [--failures]

Session 21 wrote ``bench/data/coding_specificity_heldout15.jsonl`` blind (160 Assessment/Plan excerpts in sixteen areas,
131 of them numbered multi-problem lists of two to five problems; 59 rows right at the session's start, 96eb429, read
afterwards only where a row's result changed) and ``bench/data/coding_specificity_dev16.jsonl`` (150 multi-problem rows
in six of set 15's weakest areas) as an open development set. A multi-problem row is right only when every code is, so
the bench also reports code-level micro precision / recall / F1 (an expected code found is a true positive, one missed
a false negative, a code outside expected + acceptable a false positive):

    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_heldout15.jsonl
    .venv/bin/python bench/coding_specificity.py --data bench/data/coding_specificity_dev16.jsonl [--failures]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scribestream.evals.coding import as_draft  # noqa: E402
from services.coding.coder import code_note  # noqa: E402
from services.coding.codeset import SimpleIcd10CmCodeSet  # noqa: E402
from services.coding.learned import AssociationTable  # noqa: E402
from services.coding.rerank import Reranker  # noqa: E402
from services.coding.semantic import WordLlamaEmbedder  # noqa: E402
from shared.contracts import ICD10CM_SYSTEM  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "coding_specificity.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--failures", action="store_true", help="print each failing row")
    ap.add_argument("--results", type=Path, help="write each row's result (text, right) as JSON lines, to compare runs "
                    "by the rows whose result changed")
    args = ap.parse_args()
    codeset = SimpleIcd10CmCodeSet().load()
    # As the service codes: the shipped association table and re-ranker, outpatient mode.
    learned, reranker = AssociationTable.load(), Reranker.load(embedder=WordLlamaEmbedder().load())
    right, total = Counter(), Counter()
    counts = Counter()  # code-level true / false positives and false negatives
    results = []
    for line in args.data.read_text().splitlines():
        row = json.loads(line)
        coded = code_note(as_draft("s", row["text"]), codeset=codeset, learned=learned, reranker=reranker)
        got = {s.code for s in coded.codes if s.system == ICD10CM_SYSTEM}
        expected, acceptable = set(row["expected"]), set(row["acceptable"])
        ok = expected <= got <= expected | acceptable
        counts.update(tp=len(got & expected), fn=len(expected - got), fp=len(got - expected - acceptable))
        total[row["area"]] += 1
        right[row["area"]] += ok
        results.append({"text": row["text"], "right": ok, "codes": sorted(got)})
        if args.failures and not ok:
            print(f"FAIL {row['text']!r}: expected {row['expected']}, got {sorted(got)}")
    if args.results:
        args.results.write_text("".join(json.dumps(r) + "\n" for r in results))
    precision = counts["tp"] / max(1, counts["tp"] + counts["fp"])
    recall = counts["tp"] / max(1, counts["tp"] + counts["fn"])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(json.dumps({"right": sum(right.values()), "rows": sum(total.values()),
                      "codes": {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)},
                      "by_area": {a: f"{right[a]}/{n}" for a, n in total.items()}}))


if __name__ == "__main__":
    main()
