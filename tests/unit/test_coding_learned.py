"""Learned phrase -> code associations: features respect assertions, votes stay in the code set, the shipped
table is reproducible from its trainer, and the domain merges votes under the outpatient rules."""

from __future__ import annotations

import gzip
import json

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import SUGGEST_MIN_CONFIDENCE, suggest_codes
from services.coding.learned import DEFAULT_TABLE, AssociationTable, phrases
from services.coding.matcher import Assertion
from services.coding.train_associations import build
from shared.contracts import GeneratorInfo, NoteDrafted, SoapNote, Statement

pytestmark = pytest.mark.unit
AFFIRMED = (Assertion.AFFIRMED,)
ALL = (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)


@pytest.fixture(scope="module")
def shipped() -> AssociationTable:
    return AssociationTable.load()


def draft(texts: list[str]) -> NoteDrafted:
    note = SoapNote(assessment=[Statement(statement_id=f"a{i}", text=t, evidence_turn_ids=[f"t{i}"], kind="diagnosis")
                                for i, t in enumerate(texts)])
    return NoteDrafted(event_id="d1", encounter_id="enc-1", note_version=1, status="drafted", note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[])


def toy_table(codeset: SimpleIcd10CmCodeSet) -> AssociationTable:
    docs = [
        {"text": "Renoureteral crisis with left flank pain.", "icd10cm": ["N23", "R10.9"]},
        {"text": "Admitted for renoureteral crisis.", "icd10cm": ["N23"]},
        {"text": "Renoureteral crisis again; fever.", "icd10cm": ["N23", "R50.9", "XX9.99"]},  # invalid gold ignored
        {"text": "Fever and cough.", "icd10cm": ["R50.9"]},
        {"text": "Fever since Monday.", "icd10cm": ["R50.9"]},
    ]
    data = build(docs, codeset=codeset, alpha=1.0, min_count=2, min_score=0.3)
    table = {p: (df, [(c, n) for c, n in pairs]) for p, (df, pairs) in data["phrases"].items()}
    return AssociationTable(table=table, alpha=data["alpha"], min_score=data["min_score"])


def test_features_skip_negated_clauses_and_cue_words() -> None:
    assert "renoureteral_crisis" in set(phrases("Renoureteral crisis.", codable=AFFIRMED))
    assert list(phrases("No renoureteral crisis.", codable=ALL)) == []
    # a clause that negates anything lends none of its words ("troponin" must not vote for chest pain)
    assert list(phrases("Myocardial infarction unlikely given normal troponin.", codable=ALL)) == []
    # uncertain words feed only the modes that code uncertainty; the cue itself is never a feature
    assert "possible" not in set(phrases("Possible renoureteral crisis.", codable=ALL))
    assert "renoureteral" in set(phrases("Possible renoureteral crisis.", codable=ALL))
    assert list(phrases("Possible renoureteral crisis.", codable=AFFIRMED)) == []


def test_an_uneventful_procedure_lends_no_features() -> None:
    # "Without complications" names no finding: the clause's words ("intubated") vote for nothing.
    codable = (Assertion.AFFIRMED, Assertion.UNCERTAIN, Assertion.HISTORY)
    assert list(phrases("The patient was intubated without complications.", codable=codable)) == []
    assert "intubated" in set(phrases("The patient was intubated.", codable=codable))


def test_a_bare_disease_is_a_learned_feature_though_no_description_word() -> None:
    # CodiEsp's coders code "the disease" R69; the description matcher still ignores the word
    assert {"disease", "underlying_disease"} <= set(phrases("Progression of the underlying disease.", codable=AFFIRMED))


def test_trainer_reads_earlier_edition_gold_in_fy2026(codeset: SimpleIcd10CmCodeSet) -> None:
    docs = [{"text": "Trauma to the knee.", "icd10cm": ["T14.90"]}, {"text": "Trauma after a fall.", "icd10cm": ["T14.90"]}]
    table = build(docs, codeset=codeset, alpha=1.0, min_count=2, min_score=0.3)
    assert table["phrases"]["trauma"] == [2, [["T14.90XA", 2]]]
    assert table["code_documents"] == {"T14.90XA": 2}


def test_trainer_counts_co_occurrence_and_drops_invalid_codes(codeset: SimpleIcd10CmCodeSet) -> None:
    table = toy_table(codeset)
    votes = {v.code: v for v in table.votes([("s1", "Renoureteral crisis."), ("s2", "Fever.")], codable=AFFIRMED)}
    assert votes["N23"].score == pytest.approx(3 / 4)  # 3 co-occurrences in 3 documents, alpha 1
    assert votes["N23"].statement_ids == ("s1",)
    assert votes["R50.9"].statement_ids == ("s2",)
    assert "XX9.99" not in table.codes and "R10.9" not in table.codes  # invalid; seen only once


def test_shipped_table_votes_only_for_billable_codes(shipped: AssociationTable, codeset: SimpleIcd10CmCodeSet) -> None:
    assert len(shipped.codes) > 300
    assert all(codeset.is_billable(c) for c in shipped.codes)


def test_shipped_table_is_reproducible_from_train_split(codeset: SimpleIcd10CmCodeSet) -> None:
    train = DEFAULT_TABLE.parents[4] / "shared" / "data" / "codiesp" / "train_en.jsonl"
    if not train.exists():
        pytest.skip("CodiEsp train split not present beside the checkout")
    docs = [json.loads(line) for line in train.read_text(encoding="utf-8").splitlines() if line.strip()]
    with gzip.open(DEFAULT_TABLE, "rt", encoding="utf-8") as fh:
        assert build(docs, codeset=codeset) == json.load(fh)


def test_learned_code_is_suggested_with_evidence_and_marked(codeset: SimpleIcd10CmCodeSet) -> None:
    codes = {s.code: s for s in suggest_codes(draft(["Renoureteral crisis."]), codeset=codeset, learned=toy_table(codeset),
                                              mode="all-findings")}
    assert codes["N23"].evidence_statement_ids == ["a0"]
    assert codes["N23"].evidence_turn_ids == ["t0"]
    assert "learned" in codes["N23"].rationale
    assert codes["N23"].confidence >= SUGGEST_MIN_CONFIDENCE


def test_outpatient_never_suggests_a_learned_vote_alone(codeset: SimpleIcd10CmCodeSet) -> None:
    note = draft(["Renoureteral crisis."])
    table = toy_table(codeset)
    assert suggest_codes(note, codeset=codeset, learned=table) == []
    [candidate] = suggest_codes(note, codeset=codeset, learned=table, min_confidence=0.0)
    assert candidate.code == "N23" and 0 < candidate.confidence < SUGGEST_MIN_CONFIDENCE


def test_agreement_raises_a_rule_match_and_ranking_follows_confidence(codeset: SimpleIcd10CmCodeSet) -> None:
    table = toy_table(codeset)
    alone = {s.code: s for s in suggest_codes(draft(["Fever."]), codeset=codeset, mode="all-findings")}
    both = suggest_codes(draft(["Renoureteral crisis.", "Fever."]), codeset=codeset, mode="all-findings", learned=table,
                         min_confidence=0.0)
    by_code = {s.code: s for s in both}
    assert by_code["R50.9"].confidence > alone["R50.9"].confidence
    assert "agree" in by_code["R50.9"].rationale
    assert [s.rank for s in both] == list(range(1, len(both) + 1))
    assert [s.confidence for s in both] == sorted((s.confidence for s in both), reverse=True)


def test_negated_mentions_never_reach_the_learned_votes(codeset: SimpleIcd10CmCodeSet, shipped: AssociationTable) -> None:
    for mode in ("outpatient", "all-findings"):
        for text in ("No history of renoureteral crisis.", "Denies fever or hematuria.", "Pneumonia was ruled out."):
            assert suggest_codes(draft([text]), codeset=codeset, mode=mode, learned=shipped, min_confidence=0.0) == []


def test_below_the_cut_votes_are_candidates_not_suggestions(codeset: SimpleIcd10CmCodeSet) -> None:
    table = AssociationTable(table={"renoureteral": (9, [("N23", 4)])}, alpha=1.0, min_score=0.3)  # vote 0.4
    note = draft(["Renoureteral."])
    assert suggest_codes(note, codeset=codeset, learned=table, mode="all-findings") == []
    assert [s.code for s in suggest_codes(note, codeset=codeset, learned=table, mode="all-findings", min_confidence=0.0)] == ["N23"]


def test_outpatient_keeps_the_first_assessment_diagnosis_first(codeset: SimpleIcd10CmCodeSet) -> None:
    # The associations strongly back the second problem; the claim's first-listed diagnosis stays the first one.
    table = AssociationTable(table={"hypertension": (1, [("I10", 1)])}, alpha=0.0, min_score=0.3)
    note = draft(["Type 2 diabetes mellitus without complications.", "Essential hypertension."])
    outpatient = suggest_codes(note, codeset=codeset, learned=table)
    assert [s.code for s in outpatient][:2] == ["E11.9", "I10"]
    assert outpatient[1].confidence > outpatient[0].confidence
    inpatient_style = suggest_codes(note, codeset=codeset, learned=table, mode="all-findings")
    assert [s.code for s in inpatient_style][:2] == ["I10", "E11.9"]
