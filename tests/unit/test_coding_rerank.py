"""The candidate re-ranker: a monotone confidence scale around the learned cut, the product guards it cannot
override, the shipped model's shape, a trainer that learns from toy folds, and the rule changes that came with it
(unspecified siblings kept as candidates, personal-history codes, Index terms, FY2026-edition scoring)."""

from __future__ import annotations

import itertools

import pytest

from scribestream.evals.coding import as_draft, score, to_edition
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import SUGGEST_MIN_CONFIDENCE, Finding, suggest_codes
from services.coding.learned import AssociationTable
from services.coding.rerank import (
    FEATURES,
    FORMAT,
    HitRates,
    NoteContext,
    Priors,
    Reranker,
    features,
)
from services.coding.train_reranker import (
    DocRows,
    cross_validate,
    fit,
    out_of_fold_rows,
    with_out_of_fold_rates,
)

pytestmark = pytest.mark.unit


def flat(*, cut: float = 0.2, vote_weight: float = 0.0) -> Reranker:
    """A model whose probability depends only on the learned vote (weight on the 'vote' feature)."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("vote")] = vote_weight
    return Reranker(weights=weights, bias=0.0, mean=[0.0] * len(FEATURES), scale=[1.0] * len(FEATURES), cut=cut)


def finding(code: str, *, confidence: float, learned: bool = False, vote: float = 0.0, demoted: bool = False) -> Finding:
    return Finding(code=code, category="diagnosis", confidence=confidence, order=(0, 0, 0), statement_ids=["s0"],
                   learned=learned, vote=vote, demoted=demoted)


def test_confidence_scale_is_monotone_and_puts_the_cut_on_the_suggestion_threshold() -> None:
    model = flat(cut=0.2)
    assert model.confidence(0.2) == pytest.approx(SUGGEST_MIN_CONFIDENCE)
    assert model.confidence(0.19) < SUGGEST_MIN_CONFIDENCE <= model.confidence(0.21)
    grid = [i / 100 for i in range(101)]
    assert all(model.confidence(a) <= model.confidence(b) for a, b in itertools.pairwise(grid))
    assert model.confidence(0.0) == 0.0 and model.confidence(1.0) == pytest.approx(1.0)


def test_rescoring_orders_by_the_model_and_keeps_the_product_guards(codeset: SimpleIcd10CmCodeSet) -> None:
    model = flat(cut=0.2, vote_weight=10.0)  # a strong vote -> probability near 1
    weak_rule = finding("I10", confidence=0.9)
    strong_vote = finding("N23", confidence=0.3, learned=True, vote=0.9)
    unspecified = finding("R51.9", confidence=0.3, vote=0.9, demoted=True)
    ranked = model.rescore([weak_rule, strong_vote, unspecified], statements=1, mode="all-findings", codeset=codeset,
                           learned=None)
    assert ranked[0].code == "N23" and ranked[0].confidence > 0.9
    # A demoted unspecified sibling is never a suggestion, whatever the model thinks of it.
    assert next(f for f in ranked if f.code == "R51.9").confidence < SUGGEST_MIN_CONFIDENCE
    # Outpatient: a learned vote alone stays below the cut; a rule suggestion stays a suggestion.
    outpatient = model.rescore([finding("I10", confidence=0.9), finding("N23", confidence=0.3, learned=True, vote=0.9)],
                               statements=1, mode="outpatient", codeset=codeset, learned=None)
    by_code = {f.code: f.confidence for f in outpatient}
    assert by_code["N23"] < SUGGEST_MIN_CONFIDENCE <= by_code["I10"]


def test_category_rule_promotes_the_best_code_of_a_likely_category(codeset: SimpleIcd10CmCodeSet) -> None:
    model = flat(cut=0.6)  # every candidate: probability 0.5, below the cut on its own
    model.category_cut = 0.7

    def rescored(mode: str) -> dict[str, float]:
        kidney, ureter, lone = (finding(c, confidence=0.5) for c in ("N20.0", "N20.1", "I10"))
        ureter.order = (1, 0, 0)
        ranked = model.rescore([kidney, ureter, lone], statements=2, mode=mode, codeset=codeset, learned=None)
        return {f.code: f.confidence for f in ranked}

    got = rescored("all-findings")
    # N20 holds two candidates (noisy-OR 0.75 >= 0.7): its best one is suggested, at the cut; I10 (0.5) is not.
    assert got["N20.0"] == pytest.approx(SUGGEST_MIN_CONFIDENCE)
    assert got["N20.1"] < SUGGEST_MIN_CONFIDENCE and got["I10"] < SUGGEST_MIN_CONFIDENCE
    assert all(conf < SUGGEST_MIN_CONFIDENCE for conf in rescored("outpatient").values())  # product mode: no rule
    # A demoted sibling is never promoted.
    demoted = finding("R10.9", confidence=0.3, demoted=True)
    other = finding("R10.84", confidence=0.3, demoted=True)
    ranked = model.rescore([demoted, other], statements=1, mode="all-findings", codeset=codeset, learned=None)
    assert all(f.confidence < SUGGEST_MIN_CONFIDENCE for f in ranked)


def test_wording_features_tell_the_sibling_the_note_describes(codeset: SimpleIcd10CmCodeSet) -> None:
    from services.coding.domain import _wording_features

    note = frozenset({"pain", "upper", "abdominal", "right", "quadrant"})
    described, other, lone = (Finding(code=c, category="symptom", confidence=0.5, order=(0, 0, 0))
                              for c in ("R10.11", "R10.31", "I10"))
    for f in (described, other, lone):
        _wording_features(f, note_words=note, codeset=codeset)
    # R10.11 right upper quadrant pain: its set-apart words ("upper") are in the note; R10.31 (lower) are not.
    assert described.distinct_coverage > other.distinct_coverage
    assert described.coverage > other.coverage
    assert described.side == 1.0 and other.side == 1.0 and lone.side == 0.0
    left = Finding(code="R10.12", category="symptom", confidence=0.5, order=(0, 0, 0))
    _wording_features(left, note_words=note, codeset=codeset)
    assert left.side == -1.0  # names the left side, the note says right


def test_shipped_model_matches_the_feature_list(codeset: SimpleIcd10CmCodeSet) -> None:
    model = Reranker.load()
    assert model.trees is not None and int(model.trees.feature.max()) < len(FEATURES)
    assert 0 < model.cut < 1
    table = AssociationTable.load()
    f = finding("I10", confidence=0.9)
    x = features(f, note=NoteContext.of([f], statements=3), codeset=codeset, priors=Priors.of(table))
    x += model.rates.of(f.code)
    assert len(x) == len(FEATURES)
    assert 0.0 < model.probability(x) < 1.0
    assert model.rates.documents == 500 and model.rates.codes["I10"][1] > 0  # counted on all of CodiEsp train


def test_shipped_service_path_codes_with_the_reranker_and_evidence(codeset: SimpleIcd10CmCodeSet) -> None:
    note = as_draft("doc", "A 60-year-old smoker with essential hypertension. He denies chest pain.")
    got = suggest_codes(note, codeset=codeset, mode="all-findings", learned=AssociationTable.load(), reranker=Reranker.load())
    codes = {s.code: s for s in got}
    assert "I10" in codes and all(s.evidence_statement_ids for s in got)
    assert not any(c.startswith("R07") for c in codes)  # chest pain is denied


def toy_docs() -> list[dict]:
    # Fever is always coded by the "coders"; hematuria never: the model must learn to rank fever first.
    docs = []
    for i in range(20):
        docs.append({"id": f"d{i}", "text": "Renoureteral crisis with fever. Hematuria was seen.", "icd10cm": ["N23", "R50.9"]})
    return docs


def test_trainer_learns_from_out_of_fold_rows(codeset: SimpleIcd10CmCodeSet) -> None:
    rows = out_of_fold_rows(toy_docs(), codeset=codeset, folds=4)
    assert all("R50.9" in r.codes for r in rows)
    rated = with_out_of_fold_rates(rows, range(len(rows)), folds=4)
    assert len(fit(rated, kind="logistic")["weights"]) == len(FEATURES)
    assert fit(rated)["trees"]["roots"]
    for kind in ("trees", "logistic"):
        reranked, baseline, cut, _ = cross_validate(rows, folds=4, codeset=codeset, kind=kind)
        assert reranked["map"] >= baseline["map"] and 0 < cut < 1


def test_hit_rates_count_the_rules_proposals_once_per_report_and_shrink_towards_the_overall_rate() -> None:
    # R52 proposed by the rules in four reports and coded in one; I10 proposed and coded in two (once twice).
    # The learned associations' proposals are not counted (K35.80 below): they depend on other reports' gold.
    rates = HitRates.count([
        (["I10", "R52", "I10", "K35.80"], ["curated", "description", "curated", "learned"], ["I10", "K35.80"]),
        (["I10", "R52"], ["curated", "description"], ["I10"]),
        (["R52"], ["description"], ["R52"]),
        (["R52"], ["curated"], []),
    ])
    assert rates.codes == {"I10": (2, 2), "R52": (1, 4)}
    assert rates.documents == 4 and rates.base == 3 / 6
    i10, r52, unseen = rates.of("I10"), rates.of("R52"), rates.of("K35.80")
    assert i10[0] > unseen[0] == rates.base > r52[0]  # a code the rules never proposed gets the overall rate
    assert r52[1] > i10[1] > unseen[1]  # and the smallest share
    assert HitRates.from_dict(rates.to_dict()) == rates


def test_training_hit_rates_never_count_the_row_they_describe() -> None:
    # Each report's own code is coded only there; R52 is proposed everywhere and never coded. Counted out of fold,
    # a report's own code was never proposed elsewhere: the overall rate (1 of 2), not its own hit.
    rows = [DocRows(gold=[f"C{i}"], codes=[f"C{i}", "R52"], rule_confidence=[0.9, 0.9], x=[[0.0], [0.0]],
                    demoted=[False, False], gold_fy2026=[f"C{i}"], sources=["curated", "curated"]) for i in range(10)]
    rated = with_out_of_fold_rates(rows, range(10), folds=5)
    assert [r.gold for r in rated] == [r.gold for r in rows]
    for r in rated:
        own, r52 = r.x
        assert own[1] == 0.5 and own[2] < r52[2]
        assert r52[1] == (0 + 10 * 0.5) / (8 + 10)


def test_exported_trees_predict_as_scikit_learn() -> None:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from services.coding import train_reranker

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 3] * x[:, 5] + rng.normal(scale=0.5, size=600) > 0).astype(int)
    params = train_reranker._fit_trees(x, y)
    ours = Reranker.from_dict({"format": FORMAT, "features": list(FEATURES), "cut": 0.5, **params}).probabilities(x.tolist())
    reference = HistGradientBoostingClassifier(
        max_iter=train_reranker.TREES, max_depth=train_reranker.DEPTH, learning_rate=train_reranker.LEARNING_RATE,
        min_samples_leaf=train_reranker.MIN_LEAF, early_stopping=False, random_state=0).fit(x, y)
    assert np.allclose(ours, reference.predict_proba(x)[:, 1], atol=1e-9)


def test_unspecified_sibling_stays_a_candidate_below_the_cut(codeset: SimpleIcd10CmCodeSet) -> None:
    note = as_draft("doc", "Acute pyelonephritis. Pyelonephritis.")
    suggested = {s.code for s in suggest_codes(note, codeset=codeset, mode="all-findings")}
    candidates = {s.code: s.confidence for s in suggest_codes(note, codeset=codeset, mode="all-findings", min_confidence=0.0)}
    assert suggested <= set(candidates)
    demoted = {c for c, conf in candidates.items() if c not in suggested}
    assert all(candidates[c] < SUGGEST_MIN_CONFIDENCE for c in demoted)


def test_index_terms_for_smoking_history_and_dyspnea(codeset: SimpleIcd10CmCodeSet) -> None:
    def codes(text: str, mode: str = "all-findings") -> list[str]:
        return [s.code for s in suggest_codes(as_draft("doc", text), codeset=codeset, mode=mode)]

    assert codes("He is an ex-smoker.") == ["Z87.891"]  # Excludes1 current dependence: not F17.2-
    assert codes("Smoker of 20 cigarettes a day.") == ["F17.210"]
    assert codes("Active smoker.") == ["F17.200"]  # Index: Smoker - see Dependence, drug, nicotine
    assert codes("Progressive dyspnea.") == ["R06.00"]  # Index: Dyspnea R06.00
    assert codes("Shortness of breath.") == ["R06.02"]


def test_edition_reading_matches_a_subdivided_gold_code_by_its_descendant_only(codeset: SimpleIcd10CmCodeSet) -> None:
    billable = lambda c: codeset.is_billable(c if len(c) <= 3 else f"{c[:3]}.{c[3:]}")
    assert to_edition(["R51", "I10"], ["R51.9", "I10"], billable=billable) == {"R519", "I10"}
    # A billable gold code must still match exactly; an unrelated prediction does not stand in.
    assert to_edition(["I10", "R51"], ["I15.0", "R50.9"], billable=billable) == {"I10", "R51"}
    strict = score([(["R51.9"], ["R51"])])
    edition = score([(["R51.9"], to_edition(["R51"], ["R51.9"], billable=billable))])
    assert strict["exact"]["f1"] == 0.0 and edition["exact"]["f1"] == 1.0  # type: ignore[index]
