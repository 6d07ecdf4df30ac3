"""Train (and cross-validate) the candidate re-ranker on a gold-coded TRAIN split; deterministic.

    .venv/bin/python -m services.coding.train_reranker --data ../shared/data/codiesp/train_en.jsonl          # CV + write
    .venv/bin/python -m services.coding.train_reranker --data ../shared/data/codiesp/train_en.jsonl --cv-only

Stacking without leakage: the documents are split into K folds; each fold's candidates and features come from an
association table built on the OTHER folds, exactly as the service will meet unseen notes. The logistic model is
then evaluated by a second K-fold pass over those out-of-fold rows (train-CV figures), its F1-best probability cut
chosen on the pooled out-of-fold predictions, and the shipped model is fitted on all rows. Only the train split is
ever read; dev is for reporting.

Data: CodiEsp corpus, CLEF eHealth 2020 (Miranda-Escalada, Gonzalez-Agirre, Armengol-Estapé, Krallinger), Zenodo
3693570, CC BY 4.0. The shipped model holds the boosted trees, the cuts, and each code's hit rate as a candidate
(how often coders coded it when it was proposed, by code and by how it was reached), counted on the out-of-fold
candidates; the trees learn from rates each fold counted on the others (target encoding without leakage).
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from services.coding.codeset import CodeSet, Exclusions
from services.coding.domain import ALL_FINDINGS, BELOW_CUT, rank_findings
from services.coding.learned import AssociationTable
from services.coding.rerank import (
    DEFAULT_MODEL,
    FEATURES,
    FORMAT,
    HitRates,
    NoteContext,
    Priors,
    category_probabilities,
    features,
    source,
)
from services.coding.semantic import Embedder, WordLlamaEmbedder
from services.coding.train_associations import ATTRIBUTION, build

if TYPE_CHECKING:
    import numpy as np

FOLDS = 5
C = 1.0  # L2 strength of the logistic model (chosen by train CV)
# Boosted trees (chosen by train CV; see docs/benchmarks/coding.md): rounds, depth, step, smallest leaf.
TREES, DEPTH, LEARNING_RATE, MIN_LEAF = 200, 4, 0.1, 40
CATEGORY_RULE = True  # choose a category cut too (all-findings mode; see Reranker.category_cut)


@dataclass
class DocRows:
    gold: list[str]
    codes: list[str]  # candidates in rule order (the baseline ranking)
    rule_confidence: list[float]  # the rules' confidence (baseline cut)
    x: list[list[float]]  # the candidate features (rerank.CANDIDATE_FEATURES); the hit rates are appended per fold
    demoted: list[bool]  # never suggested (an unspecified code beside its kept specific sibling)
    gold_fy2026: list[str]  # gold read in FY2026 (a subdivided 2018 code matched by its descendant): the labels
    sources: list[str] = field(default_factory=list)  # how each candidate was reached (rerank.source)


def fold_of(index: int, folds: int) -> int:
    return index % folds


def candidate_rows(
    docs: Sequence[dict], *, table: AssociationTable, codeset: CodeSet, mode: str = ALL_FINDINGS,
    embedder: Embedder | None = None,
) -> list[DocRows]:
    from scribestream.evals.coding import _dotted, as_draft, to_edition

    priors = Priors.of(table)
    out: list[DocRows] = []
    for i, doc in enumerate(docs):
        draft = as_draft(str(doc.get("id", i)), doc.get("text") or doc.get("text_en") or "")
        findings = rank_findings(draft, codeset=codeset, mode=mode, learned=table)
        note = NoteContext.of(findings, statements=len(draft.note.assessment) + len(draft.note.subjective),
                              texts=[st.text for st in draft.note.statements()], embedder=embedder, codeset=codeset)
        gold = [str(c) for c in doc.get("icd10cm", [])]
        codes = [f.code for f in findings]
        out.append(DocRows(
            gold=gold,
            gold_fy2026=sorted(to_edition(gold, codes, billable=lambda c: codeset.is_billable(_dotted(c)))),
            codes=codes,
            rule_confidence=[f.confidence for f in findings],
            x=[features(f, note=note, codeset=codeset, priors=priors) for f in findings],
            demoted=[f.demoted for f in findings],
            sources=[source(f) for f in findings],
        ))
    return out


def hit_rates(rows: Sequence[DocRows]) -> HitRates:
    """The candidates' record on these rows: how often each code (and each code by source) was gold when proposed."""
    return HitRates.count((r.codes, r.sources, r.gold_fy2026) for r in rows)


def with_rates(rows: Sequence[DocRows], rates: HitRates) -> list[DocRows]:
    """The rows with the :data:`~services.coding.rerank.HIT_FEATURES` appended, as ``rates`` give them."""
    return [replace(r, x=[[*x, *rates.of(code)] for x, code in zip(r.x, r.codes)])
            for r in rows]


def with_out_of_fold_rates(rows: Sequence[DocRows], indices: Sequence[int], *, folds: int = FOLDS) -> list[DocRows]:
    """``rows[i]`` for ``i`` in ``indices``, each fold's hit rates counted on the other folds among ``indices``: a
    row's own gold never describes it (target encoding without leakage)."""
    out: dict[int, DocRows] = {}
    for k in sorted({fold_of(i, folds) for i in indices}):
        members = [i for i in indices if fold_of(i, folds) == k]
        rates = hit_rates([rows[i] for i in indices if fold_of(i, folds) != k])
        out.update(zip(members, with_rates([rows[i] for i in members], rates)))
    return [out[i] for i in indices]


def out_of_fold_rows(
    docs: Sequence[dict], *, codeset: CodeSet, folds: int = FOLDS, mode: str = ALL_FINDINGS,
    embedder: Embedder | None = None, **table_args: float,
) -> list[DocRows]:
    rows: list[DocRows | None] = [None] * len(docs)
    for k in range(folds):
        train = [d for i, d in enumerate(docs) if fold_of(i, folds) != k]
        held = [i for i in range(len(docs)) if fold_of(i, folds) == k]
        table = AssociationTable.from_build(build(train, codeset=codeset, **table_args))  # type: ignore[arg-type]
        for i, r in zip(held, candidate_rows([docs[i] for i in held], table=table, codeset=codeset, mode=mode,
                                                  embedder=embedder)):
            rows[i] = r
    return [r for r in rows if r is not None]


def fit(rows: Sequence[DocRows], *, c: float = C, kind: str = "trees") -> dict:
    """The model's parameters (``Reranker.from_dict`` without format, features and cut): boosted trees (shipped) or
    the logistic model of the previous stop (``kind="logistic"``, kept for comparison)."""
    x, y = training_arrays(rows)
    if kind == "trees":
        return _fit_trees(x, y)
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return {"weights": model.coef_[0].tolist(), "bias": float(model.intercept_[0]), "mean": mean.tolist(),
            "scale": scale.tolist()}


def training_arrays(rows: Sequence[DocRows]) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate's features and whether it is gold."""
    import numpy as np

    from scribestream.evals.coding import norm

    x = np.array([v for r in rows for v in r.x], dtype=float)
    # Labels in the code set's edition: E87.20 for a 2018 gold E87.2 is what the coder coded, not a false positive.
    y = np.array([norm(code) in set(r.gold_fy2026) for r in rows for code in r.codes], dtype=int)
    return x, y


def tree_classifier():  # type: ignore[no-untyped-def]
    """The shipped boosting settings, unfitted. Fixed seed and no early-stopping split: the same rows always give
    the same trees."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=TREES, max_depth=DEPTH, learning_rate=LEARNING_RATE,
                                          min_samples_leaf=MIN_LEAF, early_stopping=False, random_state=0)


def _fit_trees(x: np.ndarray, y: np.ndarray) -> dict:
    """scikit-learn's histogram gradient boosting, exported to flat node arrays (no pickle, no scikit-learn at run
    time)."""
    import numpy as np

    model = tree_classifier().fit(x, y)
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    for (predictor,) in model._predictors:  # one tree per boosting round (binary classification)
        base = len(feature)
        roots.append(base)
        for i, node in enumerate(predictor.nodes):
            leaf = bool(node["is_leaf"])
            feature.append(0 if leaf else int(node["feature_idx"]))
            threshold.append(0.0 if leaf else float(node["num_threshold"]))
            # A leaf points to itself: walks that end early stay put for the remaining levels.
            left.append(base + i if leaf else base + int(node["left"]))
            right.append(base + i if leaf else base + int(node["right"]))
            value.append(float(node["value"]) if leaf else 0.0)
    return {"bias": float(np.ravel(model._baseline_prediction)[0]),
            "trees": {"feature": feature, "threshold": threshold, "left": left, "right": right, "value": value,
                      "roots": roots, "depth": DEPTH}}


def _probabilities(params: dict, rows: Sequence[DocRows]) -> list[list[float]]:
    from services.coding.rerank import Reranker

    model = Reranker.from_dict({"format": FORMAT, "features": list(FEATURES), "cut": 0.5, **params})
    return [model.probabilities(r.x) for r in rows]


@dataclass
class Ranked:
    """One scoring of the rows, prepared once for every cut: each document's candidates in score order, each with its
    score and whether the service may suggest it (not demoted, not an Excludes1 loser in that order)."""

    order: list[list[tuple[str, float, bool]]]
    category_p: list[dict[str, float]]  # category -> noisy-OR of its candidates' probabilities


def prepare(rows: Sequence[DocRows], scores: Sequence[Sequence[float]], *, codeset: CodeSet | None = None) -> Ranked:
    order_all, category_p = [], []
    for r, s in zip(rows, scores):
        order = sorted(range(len(r.codes)), key=lambda j: -s[j])  # stable: ties keep the rules' order
        category_p.append(category_probabilities((r.codes[j], s[j]) for j in order))
        exclusions = Exclusions(codeset) if codeset is not None else None
        doc = []
        for j in order:
            eligible = True
            if exclusions is not None:
                if exclusions.conflicts(r.codes[j]):
                    eligible = False
                else:
                    exclusions.add(r.codes[j])
                    eligible = not r.demoted[j]
            doc.append((r.codes[j], s[j], eligible))
        order_all.append(doc)
    return Ranked(order=order_all, category_p=category_p)


def suggestions(prepared: Ranked, *, cut: float, category_cut: float | None = None) -> list[list[str]]:
    """Eligible codes at or above ``cut``; with ``category_cut`` also the best eligible code of every category whose
    candidates together reach it (:func:`promoted`)."""
    out = []
    for doc, category_p in zip(prepared.order, prepared.category_p):
        chosen = [c for c, p, ok in doc if ok and p >= cut]
        out.append(chosen + promoted(doc, category_p, cut=cut, category_cut=category_cut))
    return out


def promoted(
    doc: Sequence[tuple[str, float, bool]], category_p: dict[str, float], *, cut: float, category_cut: float | None,
) -> list[str]:
    if category_cut is None:
        return []
    have = {c[:3] for c, p, ok in doc if ok and p >= cut}
    out = []
    for c, _p, ok in doc:
        if ok and c[:3] not in have and category_p[c[:3]] >= category_cut:
            out.append(c)
            have.add(c[:3])
    return out


def service_ranking(prepared: Ranked, *, cut: float, category_cut: float | None = None) -> list[list[str]]:
    """The order the service ranks candidates in: a code it may not suggest is capped just below the cut, a code
    promoted for its category sits at the cut."""
    out = []
    for doc, category_p in zip(prepared.order, prepared.category_p):
        up = set(promoted(doc, category_p, cut=cut, category_cut=category_cut))
        key = [max(p, cut) if c in up else (p if ok else min(p, BELOW_CUT * cut)) for c, p, ok in doc]
        out.append([doc[j][0] for j in sorted(range(len(doc)), key=lambda j: -key[j])])
    return out


def metrics(
    rows: Sequence[DocRows], scores: Sequence[Sequence[float]], *, cut: float, codeset: CodeSet | None = None,
    category_cut: float | None = None, prepared: Ranked | None = None,
) -> dict:
    """As the service suggests and ranks: with ``codeset``, demoted codes and Excludes1 losers (in the scores' order)
    are never suggested and rank below the cut."""
    from scribestream.evals.coding import score

    prepared = prepared or prepare(rows, scores, codeset=codeset)
    gold = [r.gold for r in rows]
    ranked = service_ranking(prepared, cut=cut, category_cut=category_cut)
    m = score(zip(suggestions(prepared, cut=cut, category_cut=category_cut), gold))
    m["map"] = score(zip(ranked, gold))["map"]
    m["map_fy2026_gold"] = score(zip(ranked, [r.gold_fy2026 for r in rows]))["map"]
    return m


def best_cut(rows: Sequence[DocRows], scores: Sequence[Sequence[float]], *, codeset: CodeSet | None = None,
             level: str = "category") -> float:
    grid = [i / 100 for i in range(5, 95)]
    from scribestream.evals.coding import score

    prepared = prepare(rows, scores, codeset=codeset)
    gold = [r.gold for r in rows]
    return max(grid, key=lambda t: (score(zip(suggestions(prepared, cut=t), gold))[level]["f1"], -abs(t - 0.5)))  # type: ignore[index]


class CrossValidation(NamedTuple):
    reranked: dict  # metrics of the re-ranked candidates at the chosen cuts
    baseline: dict  # the rules' own order and cut
    cut: float  # F1-best probability cut (category level)
    category_cut: float | None  # the category rule's cut (None: the rule does not pay on train CV)


def best_category_cut(rows: Sequence[DocRows], scores: Sequence[Sequence[float]], *, codeset: CodeSet | None = None,
                      ) -> tuple[float, float | None]:
    """(cut, category cut) maximising category F1 together; the category rule only where it beats the cut alone."""
    prepared = prepare(rows, scores, codeset=codeset)

    from scribestream.evals.coding import score

    gold = [r.gold for r in rows]

    def f1(t: float, u: float | None) -> float:
        return score(zip(suggestions(prepared, cut=t, category_cut=u), gold))["category"]["f1"]  # type: ignore[index]

    cut = best_cut(rows, scores, codeset=codeset)
    best: tuple[float, float, float | None] = (f1(cut, None), cut, None)
    for t in [i / 50 for i in range(5, 48)]:
        for u in [i / 20 for i in range(4, 19)]:
            best = max(best, (f1(t, u), t, u), key=lambda b: b[0])
    return best[1], best[2]


def out_of_fold_scores(
    rows: Sequence[DocRows], *, folds: int = FOLDS, c: float = C, kind: str = "trees", rates: bool = True,
) -> list[list[float]]:
    """Each document's candidate probabilities from a model fitted on the other folds; with ``rates`` the hit rates
    of the held-out fold come from the other folds, and those of the training folds from the others among them."""
    scores: list[list[float]] = [[] for _ in rows]
    for k in range(folds):
        train = [i for i in range(len(rows)) if fold_of(i, folds) != k]
        held = [i for i in range(len(rows)) if fold_of(i, folds) == k]
        if rates:
            params = fit(with_out_of_fold_rates(rows, train, folds=folds), c=c, kind=kind)
            held_rows = with_rates([rows[i] for i in held], hit_rates([rows[i] for i in train]))
        else:
            params = fit([rows[i] for i in train], c=c, kind=kind)
            held_rows = [rows[i] for i in held]
        for i, s in zip(held, _probabilities(params, held_rows)):
            scores[i] = s
    return scores


def cross_validate(
    rows: Sequence[DocRows], *, folds: int = FOLDS, c: float = C, codeset: CodeSet | None = None, kind: str = "trees",
    category_rule: bool = False,
) -> CrossValidation:
    """Second-level K-fold over the out-of-fold rows."""
    scores = out_of_fold_scores(rows, folds=folds, c=c, kind=kind)
    if category_rule:
        cut, category_cut = best_category_cut(rows, scores, codeset=codeset)
    else:
        cut, category_cut = best_cut(rows, scores, codeset=codeset), None
    baseline = metrics(rows, [r.rule_confidence for r in rows], cut=0.6)
    return CrossValidation(metrics(rows, scores, cut=cut, codeset=codeset, category_cut=category_cut), baseline, cut,
                           category_cut)


def main() -> None:
    ap = argparse.ArgumentParser(description="Cross-validate and build the ICD-10-CM candidate re-ranker (TRAIN split only).")
    ap.add_argument("--data", type=Path, required=True, help="gold-coded JSONL (train split only)")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--folds", type=int, default=FOLDS)
    ap.add_argument("--c", type=float, default=C, help="L2 strength (logistic model only)")
    ap.add_argument("--kind", choices=("trees", "logistic"), default="trees")
    ap.add_argument("--cv-only", action="store_true", help="print the train-CV figures, write nothing")
    args = ap.parse_args()
    from services.coding.codeset import SimpleIcd10CmCodeSet

    codeset = SimpleIcd10CmCodeSet().load()
    docs = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = out_of_fold_rows(docs, codeset=codeset, folds=args.folds, embedder=WordLlamaEmbedder())
    reranked, baseline, cut, category_cut = cross_validate(rows, folds=args.folds, c=args.c, codeset=codeset,
                                                           kind=args.kind, category_rule=CATEGORY_RULE)
    summary = {
        "train_cv": {"folds": args.folds, "cut": cut, "category_cut": category_cut, "reranked": reranked,
                     "rules_and_votes": baseline},
        "candidates": sum(len(r.codes) for r in rows),
        "candidate_recall": _candidate_recall(rows),
    }
    print(json.dumps(summary, indent=2))
    if args.cv_only:
        return
    params = fit(with_out_of_fold_rates(rows, range(len(rows)), folds=args.folds), c=args.c, kind=args.kind)
    model = {"format": FORMAT, "features": list(FEATURES), **params, "cut": cut, "category_cut": category_cut,
             "hit_rates": hit_rates(rows).to_dict(),
             "kind": args.kind, "folds": args.folds,
             "train_cv": {"category_f1": reranked["category"]["f1"], "map": reranked["map"]},  # type: ignore[index]
             "attribution": ATTRIBUTION + "; re-ranker parameters only"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    # mtime=0: the same rows always give a byte-identical artifact.
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(payload)
    print(f"re-ranker ({len(FEATURES)} features, cut {cut}) -> {args.out}")


def _candidate_recall(rows: Sequence[DocRows]) -> dict[str, float]:
    from scribestream.evals.coding import norm

    gold = sum(len({norm(g) for g in r.gold}) for r in rows)
    exact = sum(len({norm(g) for g in r.gold} & {norm(c) for c in r.codes}) for r in rows)
    cat_gold = sum(len({norm(g)[:3] for g in r.gold}) for r in rows)
    cat = sum(len({norm(g)[:3] for g in r.gold} & {norm(c)[:3] for c in r.codes}) for r in rows)
    return {"exact": round(exact / gold, 4) if gold else 0.0, "category": round(cat / cat_gold, 4) if cat_gold else 0.0}


if __name__ == "__main__":
    main()
