"""Benchmark: ICD-10-CM suggestions on CodiEsp (English machine translation, dev split).

Each report's sentences become Assessment statements of a NoteDrafted; suggest_codes runs as in production.
Scores: micro precision / recall / F1 at full-code and 3-character category level, and MAP as in the CodiEsp
diagnosis task (codes ranked; AP per document divided by its number of gold codes, averaged over documents).

Data: CodiEsp corpus, CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estapé, Krallinger),
Zenodo 3693570, CC BY 4.0. Gold codes are from the Spanish 2018 edition of ICD-10-CM; ours are FY2026, so a
few gold codes cannot be matched by any current code.

    .venv/bin/python bench/coding_codiesp.py --data ../shared/data/codiesp/dev_en.jsonl --out /tmp/codiesp.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.coding.codeset import CODE_SET_NAME, SimpleIcd10CmCodeSet  # noqa: E402
from services.coding.domain import suggest_codes  # noqa: E402
from shared.contracts import GeneratorInfo, NoteDrafted, SoapNote, Statement  # noqa: E402

ATTRIBUTION = (
    "CodiEsp corpus, CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estape, Krallinger), "
    "Zenodo 3693570, CC BY 4.0; English machine translation, gold codes ICD-10-CM Spanish 2018 edition."
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def norm(code: str) -> str:
    return code.strip().upper().replace(".", "")


def as_draft(doc_id: str, text: str) -> NoteDrafted:
    sentences = [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 2]
    statements = [Statement(statement_id=f"s{i}", text=s, evidence_turn_ids=[f"t{i}"], kind="diagnosis") for i, s in enumerate(sentences)]
    safe_id = re.sub(r"[^A-Za-z0-9._:\-]", "-", doc_id)[:128]
    return NoteDrafted(event_id=safe_id[:64], encounter_id=safe_id,
                       note_version=1, status="drafted", note=SoapNote(assessment=statements),
                       generator=GeneratorInfo(backend="bench"), turns=[])


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def average_precision(ranked: list[str], gold: set[str]) -> float:
    hits, total = 0, 0.0
    for k, code in enumerate(ranked, start=1):
        if code in gold:
            hits += 1
            total += hits / k
    return total / len(gold) if gold else 0.0


def dedupe(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/codiesp/dev_en.jsonl")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-fuzzy", action="store_true", help="curated lexicon only")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()

    codeset = SimpleIcd10CmCodeSet().load()
    docs = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    if args.limit:
        docs = docs[: args.limit]
    counts = {"code": [0, 0, 0], "category": [0, 0, 0]}  # tp, predicted, gold
    aps: list[float] = []
    unmatchable = 0
    started = time.perf_counter()
    for doc in docs:
        gold = {norm(c) for c in doc["icd10cm"]}
        unmatchable += sum(1 for c in gold if not codeset.is_billable(c))
        suggestions = suggest_codes(as_draft(doc["id"], doc["text_en"]), codeset=codeset, fuzzy=not args.no_fuzzy)
        ranked = dedupe([norm(s.code) for s in sorted(suggestions, key=lambda s: s.rank)])
        for level, cut in (("code", None), ("category", 3)):
            g = {c[:cut] for c in gold}
            p = dedupe([c[:cut] for c in ranked])
            counts[level][0] += len(g & set(p))
            counts[level][1] += len(p)
            counts[level][2] += len(g)
        aps.append(average_precision(ranked, gold))
    elapsed = time.perf_counter() - started

    result = {
        "benchmark": "coding_codiesp",
        "data": str(args.data.name),
        "documents": len(docs),
        "code_set": CODE_SET_NAME,
        "fuzzy": not args.no_fuzzy,
        "gold_codes": counts["code"][2],
        "gold_codes_not_billable_in_fy2026": unmatchable,
        "predicted_codes": counts["code"][1],
        "full_code": prf(*counts["code"]),
        "category_3char": prf(*counts["category"]),
        "map": round(sum(aps) / len(aps), 4) if aps else 0.0,
        "seconds": round(elapsed, 2),
        "attribution": ATTRIBUTION,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"CodiEsp {args.data.name}: {len(docs)} documents, {counts['code'][2]} gold codes, {counts['code'][1]} predicted "
          f"({'lexicon + fuzzy' if result['fuzzy'] else 'lexicon only'}), {elapsed:.1f} s")
    print(f"{'level':<14}{'P':>8}{'R':>8}{'F1':>8}")
    for level, key in (("full code", "full_code"), ("category", "category_3char")):
        m = result[key]
        print(f"{level:<14}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}")
    print(f"MAP {result['map']:.3f}")
    print(f"Data: {ATTRIBUTION}")


if __name__ == "__main__":
    main()
