"""Nearest-neighbour candidates keep the product's guarantees: a code of a similar training report is a candidate
only with a statement that names it, never from a negated mention; Excludes1 losers stay ranked candidates below the
cut; and the linear Excludes1 lookup answers exactly as the pairwise check."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from scribestream.evals.coding import as_draft
from services.coding.codeset import Exclusions, SimpleIcd10CmCodeSet
from services.coding.domain import SUGGEST_MIN_CONFIDENCE, suggest_codes
from services.coding.learned import AssociationTable, phrases
from services.coding.matcher import Assertion
from services.coding.neighbours import (
    NeighbourIndex,
    build_neighbours,
    evidence_words,
    tfidf,
)
from services.coding.train_associations import build
from shared.contracts import NoteDrafted

pytestmark = pytest.mark.unit
ALL = (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)


def draft(texts: list[str]) -> NoteDrafted:
    return as_draft("d1", "\n".join(texts))  # one statement per text: s0, s1, ... with turns t0, t1, ...


def toy_table(codeset: SimpleIcd10CmCodeSet) -> AssociationTable:
    # Reports about a renal colic that the "coders" also gave R52 (pain) and N13.30 (hydronephrosis); the phrase
    # votes are switched off (min score above 1) so only the neighbours can propose codes.
    docs = [{"text": f"Renoureteral colic case {i} with lithiasis and ureteral dilatation.", "icd10cm": ["N23", "R52", "N13.30"]}
            for i in range(4)]
    docs += [{"text": f"Tension headache case {i}, insomnia.", "icd10cm": ["G44.209"]} for i in range(4)]
    return AssociationTable.from_build(build(docs, codeset=codeset, min_score=1.5))


def codes(texts: list[str], *, table: AssociationTable, codeset: SimpleIcd10CmCodeSet, mode: str = "all-findings") -> dict:
    return {s.code: s for s in suggest_codes(draft(texts), codeset=codeset, learned=table, mode=mode, min_confidence=0.0)}


def test_a_neighbour_code_needs_a_statement_that_names_it(codeset: SimpleIcd10CmCodeSet) -> None:
    table = toy_table(codeset)
    assert table.neighbours is not None
    similar = ["Renoureteral colic with lithiasis and ureteral dilatation."]
    got = codes(similar, table=table, codeset=codeset)
    # N23 "renal colic" is named by "colic"; R52 "pain" and hydronephrosis are not named anywhere: no candidate.
    assert "N23" in got and "R52" not in got and "N13.30" not in got
    assert got["N23"].evidence_statement_ids == ["s0"] and got["N23"].evidence_turn_ids == ["t0"]
    named = codes([*similar, "The pain radiated to the groin."], table=table, codeset=codeset)
    assert named["R52"].evidence_statement_ids == ["s1"]  # the statement that says "pain"
    assert "G44.209" not in named  # the dissimilar reports propose nothing


def test_negated_mentions_never_give_a_neighbour_candidate(codeset: SimpleIcd10CmCodeSet) -> None:
    table = toy_table(codeset)
    for mode in ("outpatient", "all-findings"):
        got = codes(["Renoureteral colic with lithiasis and ureteral dilatation.", "He denies pain."], table=table,
                    codeset=codeset, mode=mode)
        assert "R52" not in got
        # A wholly negated note lends no words to the similarity at all.
        assert codes(["No renoureteral colic, no lithiasis, no pain."], table=table, codeset=codeset, mode=mode) == {}


def test_outpatient_keeps_neighbour_codes_below_the_cut(codeset: SimpleIcd10CmCodeSet) -> None:
    # "renoureteral colic" is a curated term (N23 by rule); "colic" apart from it reaches N23 only by the neighbours
    got = codes(["Colic with lithiasis and ureteral dilatation, renoureteral."], table=toy_table(codeset), codeset=codeset,
                mode="outpatient")
    learned = [s for s in got.values() if "learned" in s.rationale]
    assert "N23" in got and learned and all(s.confidence < SUGGEST_MIN_CONFIDENCE for s in learned)


def test_status_codes_come_from_neighbours_with_evidence_in_all_findings_mode_only(codeset: SimpleIcd10CmCodeSet) -> None:
    # Case reports coded with another long-term drug therapy (Z79.899): no rule reaches that status code (the status
    # rules name drug classes, services/coding/status.py), the neighbours may.
    docs = [{"text": f"Lupus nephritis case {i} on long-term hydroxychloroquine.", "icd10cm": ["M32.14", "Z79.899"]} for i in range(4)]
    docs += [{"text": f"Tension headache case {i}, insomnia.", "icd10cm": ["G44.209"]} for i in range(4)]
    table = AssociationTable.from_build(build(docs, codeset=codeset, min_score=1.5))
    similar = ["Lupus nephritis.", "She takes long-term hydroxychloroquine."]
    got = codes(similar, table=table, codeset=codeset)
    assert got["Z79.899"].evidence_statement_ids == ["s1"] and got["Z79.899"].evidence_turn_ids == ["t1"]
    assert "Z79.899" not in codes(similar, table=table, codeset=codeset, mode="outpatient")
    assert "Z79.899" not in codes(["Lupus nephritis."], table=table, codeset=codeset)  # nothing names it
    assert "Z79.899" not in codes(["Lupus nephritis.", "No long-term hydroxychloroquine."], table=table, codeset=codeset)


def test_similarity_prefers_the_report_that_shares_the_case() -> None:
    docs = [Counter(phrases(t, codable=ALL)) for t in ("renal colic lithiasis", "renal colic lithiasis pain", "tension headache",
                                                       "tension headache insomnia")]
    index = NeighbourIndex(build_neighbours(docs, [["N23"], ["N23", "R52"], ["G44.209"], ["G44.209", "G47.00"]]), k=2)
    votes = index.votes(Counter(phrases("Renal colic with lithiasis.", codable=ALL)))
    assert set(votes) == {"N23", "R52"} and votes["N23"].count == 2 and votes["N23"].score > votes["R52"].score


def test_linear_classifiers_score_the_codes_of_similar_reports() -> None:
    docs = [Counter(phrases(t, codable=ALL)) for t in ("renal colic lithiasis", "renal colic lithiasis pain", "tension headache",
                                                       "tension headache insomnia")]
    index = NeighbourIndex(build_neighbours(docs, [["N23"], ["N23", "R52"], ["G44.209"], ["G44.209", "G47.00"]]))
    colic = index.similarity(Counter(phrases("Renal colic with lithiasis.", codable=ALL)))
    assert colic.code_score("N23") > colic.code_score("R52") > colic.code_score("G44.209")
    assert colic.category_score("G44.209") < colic.category_score("N23.0") == pytest.approx(colic.code_score("N23"))
    assert colic.code_score("I10") == 0.0  # no training report carries it: no classifier, no score
    assert index.similarity(Counter()).code_score("N23") == 0.0


def test_linear_classifiers_are_ridge_regression_on_the_report_vectors() -> None:
    # The kernel form the index solves equals the primal least-squares fit on the same (truncated) vectors.
    import numpy as np
    from sklearn.linear_model import Ridge

    texts = ["renal colic lithiasis", "renal colic pain", "tension headache", "headache insomnia pain", "colic fever"]
    codes_ = [["N23"], ["N23", "R52"], ["G44.209"], ["G44.209", "R52"], ["N23", "R50.9"]]
    data = build_neighbours([Counter(phrases(t, codable=ALL)) for t in texts], codes_)
    x = np.zeros((len(texts), len(data["vocab"])))
    for d, (_, terms) in enumerate(data["docs"]):
        for i, w in terms:
            x[d, i] = w
    ridge = Ridge(alpha=0.5, fit_intercept=False).fit(x, np.array(["R52" in c for c in codes_], dtype=float))
    index = NeighbourIndex(data, ridge_lambda=0.5)
    query = Counter(phrases("Colic with pain.", codable=ALL))
    q = np.zeros(len(data["vocab"]))
    for p, w in tfidf(query, idf=dict(zip(data["vocab"], data["idf"]))).items():
        q[data["vocab"].index(p)] = w
    assert index.similarity(query).code_score("R52") == pytest.approx(float(ridge.predict(q[None, :])[0]), abs=1e-9)


def test_evidence_words_leave_out_vague_words_and_add_clinical_synonyms() -> None:
    words = evidence_words(["disorder", "of", "kidney", "and", "ureter", "unspecified", "left"])
    assert {"kidney", "renal", "ureter"} <= words and not {"disorder", "unspecified", "left"} & words


def test_excludes1_loser_stays_a_candidate_below_the_cut(codeset: SimpleIcd10CmCodeSet) -> None:
    # R52 (pain, unspecified) Excludes1 abdominal pain R10.-: never both suggested, both ranked.
    assert codeset.excludes("R52", "R10.9")
    table = AssociationTable(table={"pain": (3, [("R52", 3)]), "abdominal_pain": (3, [("R10.9", 3)])}, alpha=0.0, min_score=0.3)
    ranked = suggest_codes(draft(["Abdominal pain."]), codeset=codeset, learned=table, mode="all-findings", min_confidence=0.0)
    by_code = {s.code: s.confidence for s in ranked}
    assert {"R52", "R10.9"} <= set(by_code)
    suggested = [c for c, conf in by_code.items() if conf >= SUGGEST_MIN_CONFIDENCE]
    assert not any(codeset.excludes(a, b) for a in suggested for b in suggested)
    assert min(by_code["R52"], by_code["R10.9"]) < SUGGEST_MIN_CONFIDENCE


def test_linear_exclusions_answer_as_the_pairwise_check(codeset: SimpleIcd10CmCodeSet) -> None:
    rng = random.Random(7)
    pool = [c for c, _ in codeset.billable_terms()]
    sample = sorted(set(rng.sample(pool, 300))) + ["R52", "R10.9", "E11.22", "E10.9", "I10", "I11.0", "F17.200", "Z87.891",
                                                  "G89.29", "N23", "M54.50", "O10.02"]
    for trial in range(3):
        order = sample[:]
        rng.shuffle(order)
        exclusions, kept = Exclusions(codeset), []
        for code in order:
            pairwise = any(codeset.excludes(k, code) or codeset.excludes(code, k) for k in kept)
            assert exclusions.conflicts(code) == pairwise, (trial, code)
            if not pairwise:
                exclusions.add(code)
                kept.append(code)
