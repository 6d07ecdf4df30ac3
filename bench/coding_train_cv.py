"""Benchmark: the ICD-10-CM re-ranker's steps on the CodiEsp TRAIN split by 5-fold cross-validation (never dev).

Builds the out-of-fold candidate rows once (every fold coded with association votes, neighbour vectors and linear
classifiers learned from the other four folds: ``train_reranker.out_of_fold_rows``), then scores feature subsets
and suggestion rules on them with a second 5-fold pass (``train_reranker.cross_validate``'s scheme):

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/coding_train_cv.py --data ../shared/data/codiesp/train_en.jsonl

Session 4's candidate sources can be switched off to reproduce earlier rows: ``--no-partial``, ``--partial COV,LIMIT``,
``--no-parts``, ``--no-index-terms``, ``--no-anatomy-terms``, ``--absence-kept`` (see docs/benchmarks/coding.md).

``--ceiling`` also scores an oracle that puts every gold candidate first (the most any re-ranker could reach with
these candidates). ``--rows FILE`` caches the rows (a scratch pickle outside the repository: it holds gold codes of the train split).
Prints one JSON line per step: exact and category P/R/F1 at the category-F1-best cut, MAP, the cut, and the
precision/recall trade-off of the category level at a few cuts.

Data: CodiEsp corpus, CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estapé, Krallinger), Zenodo
3693570, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scribestream.evals.coding import norm
from services.coding import domain, matcher, neighbours
from services.coding import train_reranker as tr
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.learned import AssociationTable
from services.coding.rerank import CANDIDATE_FEATURES, FEATURES, HIT_FEATURES, Reranker
from services.coding.semantic import WordLlamaEmbedder
from services.coding.train_associations import build

# Feature sets by step: the previous stop's 32 features, then the linear classifiers' scores.
PREVIOUS = FEATURES[: FEATURES.index("excluded") + 1]
STEPS: dict[str, tuple[str, ...]] = {
    "previous features (32)": PREVIOUS,
    "+ linear classifier scores (code, category)": (*PREVIOUS, "linear", "linear_category"),
    "+ note-relative classifier rank, category best": FEATURES[: FEATURES.index("category_linear_best") + 1],
    "+ description coverage in the note, margins within the category": FEATURES[: FEATURES.index("linear_margin") + 1],
    "+ coverage of the words that set the code apart in its category, side named": FEATURES[: FEATURES.index("side") + 1],
    "+ partial description matches (flag)": FEATURES[: FEATURES.index("partial") + 1],
    "+ combination parts kept as candidates (flag)": CANDIDATE_FEATURES[: CANDIDATE_FEATURES.index("component") + 1],
    "+ each code's hit rate as a rule candidate in training": (
        *CANDIDATE_FEATURES[: CANDIDATE_FEATURES.index("component") + 1], *HIT_FEATURES),
    "+ description similarity to the note's statements (WordLlama)": FEATURES,
}


def subset(rows: list[tr.DocRows], names: tuple[str, ...]) -> list[tr.DocRows]:
    """The rows on the step's candidate features (the hit rates are appended per fold when the step names them)."""
    cols = [CANDIDATE_FEATURES.index(n) for n in names if n in CANDIDATE_FEATURES]
    return [replace(r, x=[[v[c] for c in cols] for v in r.x]) for r in rows]


def rated(names: tuple[str, ...]) -> bool:
    return any(n in HIT_FEATURES for n in names)


def fold_tables(docs: list[dict], *, codeset: SimpleIcd10CmCodeSet, folds: int) -> list[AssociationTable]:
    return [AssociationTable.from_build(build([d for i, d in enumerate(docs) if tr.fold_of(i, folds) != k], codeset=codeset))
            for k in range(folds)]


class _SubsetReranker(Reranker):
    """The service's re-ranker on a feature subset, its probabilities from a scikit-learn model (bench only)."""

    model: object = None
    columns: tuple[int, ...] = ()

    def probabilities(self, xs):  # type: ignore[no-untyped-def]
        import numpy as np

        if not xs:
            return []
        return self.model.predict_proba(np.asarray(xs, dtype=float)[:, list(self.columns)])[:, 1].tolist()  # type: ignore[attr-defined]


def service_path(
    docs: list[dict], rows: list[tr.DocRows], tables: list[AssociationTable], *, names: tuple[str, ...] | None, cut: float,
    codeset: SimpleIcd10CmCodeSet, folds: int, mode: str, category_cut: float | None = None,
) -> dict:
    """Every held-out fold coded by the service itself (``suggest_codes``) with that fold's association table and a
    re-ranker fitted on the other folds' rows: checks the trainer's figures and measures the outpatient mode, whose
    guards the trainer does not model. ``names=None``: no re-ranker."""
    from scribestream.evals.coding import as_draft, score
    from services.coding.domain import SUGGEST_MIN_CONFIDENCE, suggest_codes

    embedder = WordLlamaEmbedder()
    ranked: list[list[str]] = [[] for _ in docs]
    suggested: list[list[str]] = [[] for _ in docs]
    for k in range(folds):
        reranker = None
        if names is not None:
            cols = tuple(FEATURES.index(n) for n in names)
            others = [i for i in range(len(rows)) if tr.fold_of(i, folds) != k]
            train = subset([rows[i] for i in others], names)
            rates = tr.hit_rates(train)
            if rated(names):
                train = tr.with_out_of_fold_rates(subset(rows, names), others, folds=folds)
            model = tr.tree_classifier().fit(*tr.training_arrays(train))
            reranker = _SubsetReranker(weights=[], bias=0.0, mean=[], scale=[], cut=cut, category_cut=category_cut,
                                       rates=rates, embedder=embedder)
            reranker.model, reranker.columns = model, cols
        for i in (i for i in range(len(docs)) if tr.fold_of(i, folds) == k):
            draft = as_draft(str(docs[i].get("id", i)), docs[i].get("text") or docs[i].get("text_en") or "")
            got = suggest_codes(draft, codeset=codeset, mode=mode, learned=tables[k], min_confidence=0.0, reranker=reranker)
            ranked[i] = [s.code for s in got]
            suggested[i] = [s.code for s in got if s.confidence >= SUGGEST_MIN_CONFIDENCE]
    gold = [d.get("icd10cm", []) for d in docs]
    m = score(zip(suggested, gold))
    invalid = sum(1 for r in ranked for c in r if not codeset.is_billable(c))
    return {"mode": mode, "exact": m["exact"], "category": m["category"], "map": score(zip(ranked, gold))["map"],
            "invalid": invalid}


def summary(m: dict) -> dict:
    return {"exact": m["exact"], "category": m["category"], "map": m["map"], "map_fy2026_gold": m["map_fy2026_gold"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="gold-coded JSONL (train split only)")
    ap.add_argument("--rows", type=Path, help="scratch pickle of the out-of-fold rows (built when missing)")
    ap.add_argument("--folds", type=int, default=tr.FOLDS)
    ap.add_argument("--steps", nargs="*", help="step names to run (default: all)")
    ap.add_argument("--service-path", action="store_true", help="also code every held-out fold through the service "
                    "(suggest_codes) in both modes, and without a re-ranker")
    ap.add_argument("--no-status-codes", action="store_true", help="previous stop: no Z status codes from neighbours")
    ap.add_argument("--no-partial", action="store_true", help="session 3: no partial description matches as candidates")
    ap.add_argument("--no-parts", action="store_true", help="session 3: combination parts are not kept as candidates")
    ap.add_argument("--partial", type=str, default=None, help="coverage,limit of the partial description matches")
    ap.add_argument("--no-index-terms", action="store_true", help="session 3: no Alphabetic Index conventions")
    ap.add_argument("--absence-kept", action="store_true", help="session 3: words after 'without' must be in the note")
    ap.add_argument("--no-anatomy-terms", action="store_true", help="no organ adjective -> noun terms in the matcher")
    ap.add_argument("--description-slack", type=str, default=None,
                    help="how scattered a full description match may be (domain.DESCRIPTION_SLACK); 'none': no limit")
    ap.add_argument("--nonessential-required", action="store_true",
                    help="descriptions are read only as written, their parenthesized and bracketed words required")
    ap.add_argument("--ridge-lambda", type=float, default=None)
    ap.add_argument("--trees", type=str, default=None, help="rounds,depth,rate,min_leaf of the boosted trees")
    ap.add_argument("--ceiling", action="store_true", help="also score an oracle that ranks every gold candidate first: "
                    "what a perfect re-ranker could reach with these candidates")
    args = ap.parse_args()
    if args.trees:
        rounds, depth, rate, leaf = args.trees.split(",")
        tr.TREES, tr.DEPTH, tr.LEARNING_RATE, tr.MIN_LEAF = int(rounds), int(depth), float(rate), int(leaf)
    domain.NEIGHBOUR_STATUS_CODES = not args.no_status_codes
    domain.PARTIAL_MATCHES = not args.no_partial
    domain.COMBINATION_PARTS = not args.no_parts
    matcher.INDEX_TERMS_ON = not args.no_index_terms
    matcher.ABSENCE_DROPPED = not args.absence_kept
    matcher.ANATOMY_TERMS_ON = not args.no_anatomy_terms
    matcher.NONESSENTIAL_OPTIONAL = not args.nonessential_required
    if args.partial:
        coverage, limit = args.partial.split(",")
        domain.PARTIAL_COVERAGE, domain.PARTIAL_LIMIT = float(coverage), int(limit)
    if args.description_slack is not None:
        domain.DESCRIPTION_SLACK = None if args.description_slack == "none" else int(args.description_slack)
    if args.ridge_lambda is not None:
        neighbours.RIDGE_LAMBDA = args.ridge_lambda
    codeset = SimpleIcd10CmCodeSet().load()
    started = time.process_time()
    docs = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.rows is not None and args.rows.exists():
        rows = pickle.loads(args.rows.read_bytes())
    else:
        rows = tr.out_of_fold_rows(docs, codeset=codeset, folds=args.folds, embedder=WordLlamaEmbedder())
        if args.rows is not None:
            args.rows.write_bytes(pickle.dumps(rows))
    print(json.dumps({"rows_cpu_s": round(time.process_time() - started, 1), "candidates": sum(len(r.codes) for r in rows),
                      "candidate_recall": tr._candidate_recall(rows)}), flush=True)
    if args.ceiling:
        oracle = [[1.0 if norm(c) in set(r.gold_fy2026) else 0.0 for c in r.codes] for r in rows]
        joint_cut, category_cut = tr.best_category_cut(rows, oracle, codeset=codeset)
        print(json.dumps({"step": "oracle ranking of these candidates (ceiling)", "cut": joint_cut, "category_cut": category_cut,
                          **summary(tr.metrics(rows, oracle, cut=joint_cut, category_cut=category_cut, codeset=codeset))}),
              flush=True)
    tables: list[AssociationTable] | None = None
    for name, names in STEPS.items():
        if args.steps and name not in args.steps:
            continue
        scores = tr.out_of_fold_scores(subset(rows, names), folds=args.folds, rates=rated(names))
        prepared = tr.prepare(rows, scores, codeset=codeset)
        cut = tr.best_cut(rows, scores, codeset=codeset)
        exact_cut = tr.best_cut(rows, scores, codeset=codeset, level="exact")
        at = {t: tr.metrics(rows, scores, cut=t, prepared=prepared) for t in (0.2, 0.3, 0.4, 0.5)}
        joint_cut, category_cut = tr.best_category_cut(rows, scores, codeset=codeset)
        with_rule = tr.metrics(rows, scores, cut=joint_cut, category_cut=category_cut, prepared=prepared)
        print(json.dumps({
            "step": name, "features": len(names), "cut": cut, **summary(tr.metrics(rows, scores, cut=cut, prepared=prepared)),
            "exact_best_cut": exact_cut,
            "exact_f1_at_exact_cut": tr.metrics(rows, scores, cut=exact_cut, prepared=prepared)["exact"]["f1"],
            "category_trade_off": {t: m["category"] for t, m in at.items()},
        }), flush=True)
        print(json.dumps({"step": name + " + category rule", "cut": joint_cut, "category_cut": category_cut,
                          **summary(with_rule)}), flush=True)
        if args.service_path:
            tables = tables or fold_tables(docs, codeset=codeset, folds=args.folds)
            for mode in ("all-findings", "outpatient"):
                for label, (t, u) in ((name, (cut, None)), (name + " + category rule", (joint_cut, category_cut))):
                    print(json.dumps({"step": label, **service_path(docs, rows, tables, names=names, cut=t, category_cut=u,
                                                                    codeset=codeset, folds=args.folds, mode=mode)}),
                          flush=True)
    if args.service_path:
        tables = tables or fold_tables(docs, codeset=codeset, folds=args.folds)
        for mode in ("all-findings", "outpatient"):
            print(json.dumps({"step": "no re-ranker", **service_path(docs, rows, tables, names=None, cut=0.5, codeset=codeset,
                                                                     folds=args.folds, mode=mode)}), flush=True)


if __name__ == "__main__":
    main()
