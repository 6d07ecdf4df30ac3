"""Build the learned phrase -> code association table from gold-coded documents (reproducible, deterministic).

    .venv/bin/python -m services.coding.train_associations --data ../shared/data/codiesp/train_en.jsonl

Input lines ``{"id", "text" | "text_en", "icd10cm": [...]}``. Only the TRAIN split is ever used: the dev split is
kept for reporting. Gold codes are read in the shipped code set's edition (CodiEsp used the Spanish 2018 edition):
an injury code written without its 7th character counts as its initial encounter (T14.90 -> T14.90XA); any other
code that is not billable in FY2026 is left out, so the table can only ever vote for valid, billable FY2026 codes.

The shipped table (``services/coding/data/codiesp_associations.json.gz``) is derived from the CodiEsp corpus,
CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estapé, Krallinger), Zenodo 3693570, licensed
CC BY 4.0; it holds phrase and code counts only, no document text.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from services.coding.codeset import CodeSet, in_current_edition
from services.coding.learned import DEFAULT_TABLE, FORMAT, phrases
from services.coding.matcher import Assertion
from services.coding.neighbours import build_neighbours

# Training reads every affirmed, uncertain or historical word: the gold codes of case reports cover all of them.
TRAIN_CODABLE = (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)
ALPHA = 2.0  # smoothing: a phrase seen in 2 documents, both with the code, votes 0.5
MIN_COUNT = 2  # a phrase must co-occur with the code in at least two documents
# Weaker votes are noise; kept out of the table. 0.15 (was 0.3 before the re-ranker): the re-ranker weighs weak
# votes against their evidence, and they add candidates (train CV: exact candidate recall 0.48 -> 0.54).
MIN_SCORE = 0.15
ATTRIBUTION = ("CodiEsp corpus, CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estape, Krallinger), "
               "Zenodo 3693570, CC BY 4.0; phrase/code counts from the English train split")


def build(docs: Iterable[dict], *, codeset: CodeSet, alpha: float = ALPHA, min_count: int = MIN_COUNT,
          min_score: float = MIN_SCORE) -> dict:
    df: Counter[str] = Counter()
    co: dict[str, Counter[str]] = defaultdict(Counter)
    code_docs: Counter[str] = Counter()
    doc_phrases: list[Counter[str]] = []
    doc_codes: list[list[str]] = []
    n_docs = 0
    for doc in docs:
        n_docs += 1
        text = doc.get("text") or doc.get("text_en") or ""
        codes = {c for c in (in_current_edition(str(x), codeset) for x in doc.get("icd10cm", [])) if c}
        code_docs.update(codes)
        counts = Counter(phrases(text, codable=TRAIN_CODABLE))
        doc_phrases.append(counts)
        doc_codes.append(sorted(codes))
        for phrase in counts:
            df[phrase] += 1
            co[phrase].update(codes)
    table: dict[str, list] = {}
    for phrase in sorted(co):
        pairs = sorted(((c, n) for c, n in co[phrase].items() if n >= min_count and n / (df[phrase] + alpha) >= min_score),
                       key=lambda p: (-p[1], p[0]))
        if pairs:
            table[phrase] = [df[phrase], [[c, n] for c, n in pairs]]
    return {"format": FORMAT, "alpha": alpha, "min_count": min_count, "min_score": min_score, "documents": n_docs,
            "attribution": ATTRIBUTION, "phrases": table, "code_documents": dict(sorted(code_docs.items())),
            "neighbours": build_neighbours(doc_phrases, doc_codes)}


def main() -> None:
    ap = argparse.ArgumentParser(description="Build the phrase -> ICD-10-CM association table from a TRAIN split.")
    ap.add_argument("--data", type=Path, required=True, help="gold-coded JSONL (train split only)")
    ap.add_argument("--out", type=Path, default=DEFAULT_TABLE)
    args = ap.parse_args()
    from services.coding.codeset import SimpleIcd10CmCodeSet

    docs = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    table = build(docs, codeset=SimpleIcd10CmCodeSet().load())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(table, sort_keys=True, separators=(",", ":")).encode()
    # mtime=0: the same train file always gives a byte-identical artifact.
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(payload)
    pairs = sum(len(v[1]) for v in table["phrases"].values())
    print(f"{len(table['phrases'])} phrases, {pairs} phrase-code pairs from {table['documents']} documents -> {args.out}")


if __name__ == "__main__":
    main()
