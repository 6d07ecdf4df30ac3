"""suggest_codes against the real FY2026 ICD-10-CM code set (a local package: no network)."""

from __future__ import annotations

from collections import Counter

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import suggest_codes
from services.coding.lexicon import COMBINATIONS, CONCEPTS, INDEX_ENTRIES
from shared.contracts import (
    ICD10CM_SYSTEM,
    GeneratorInfo,
    NoteDrafted,
    SoapNote,
    Statement,
)

pytestmark = pytest.mark.unit


def _statement(prefix: str, i: int, text: str, kind: str = "finding") -> Statement:
    return Statement(statement_id=f"{prefix}{i}", text=text, evidence_turn_ids=[f"turn-{prefix}{i}", f"turn-{prefix}{i}b"], kind=kind)


def draft(assessment: list[str] = (), subjective: list[str] = (), status: str = "drafted") -> NoteDrafted:  # type: ignore[assignment]
    note = SoapNote(
        assessment=[_statement("a", i, t, "diagnosis") for i, t in enumerate(assessment)],
        subjective=[_statement("s", i, t, "symptom") for i, t in enumerate(subjective)],
    )
    return NoteDrafted(event_id="draft-1", encounter_id="enc-1", note_version=1, status=status, note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[])


def codes(codeset: SimpleIcd10CmCodeSet, assessment: list[str] = (), subjective: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    return [c.code for c in suggest_codes(draft(assessment, subjective), codeset=codeset)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hypertension, not well controlled.", ["I10"]),
        ("HTN", ["I10"]),
        ("High blood pressure.", ["I10"]),
        ("T2DM, stable.", ["E11.9"]),
        ("COPD", ["J44.9"]),
        ("Viral URI.", ["J06.9"]),
        ("History of stroke.", ["Z86.73"]),
        ("Family history of breast cancer.", ["Z80.3"]),
        ("Left knee pain.", ["M25.562"]),
        ("Bilateral knee pain.", ["M25.561", "M25.562"]),
        ("Osteoarthritis of the right knee.", ["M17.11"]),
    ],
)
def test_assessment_statement_codes(codeset: SimpleIcd10CmCodeSet, text: str, expected: list[str]) -> None:
    assert codes(codeset, [text]) == expected


@pytest.mark.parametrize(
    "text",
    ["Denies chest pain.", "No fever.", "Rule out pneumonia.", "Possible pneumonia.", "Suspected UTI.",
     "Migraine versus tension headache.", "Pneumonia was ruled out."],
)
def test_negated_and_uncertain_are_not_coded(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert codes(codeset, [text]) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("The chest film showed pneumonia but the blood culture was negative.", ["J18.9"]),
    ("Marked anemia was observed, but leukocytosis was not observed.", ["D64.9"]),
])
def test_a_negation_after_a_contrast_leaves_what_came_before_it(
    codeset: SimpleIcd10CmCodeSet, text: str, expected: list[str],
) -> None:
    assert codes(codeset, [text]) == expected


def test_combination_code_for_diabetes_with_ckd(codeset: SimpleIcd10CmCodeSet) -> None:
    got = codes(codeset, ["Type 2 diabetes with chronic kidney disease."])
    assert got[0] == "E11.22"
    assert "E11.9" not in got


def test_hypertension_with_ckd_across_statements_is_i12(codeset: SimpleIcd10CmCodeSet) -> None:
    got = codes(codeset, ["Hypertension.", "CKD stage 3."])
    assert "I12.9" in got and "N18.30" in got and "I10" not in got


def test_poorly_controlled_diabetes_is_with_hyperglycemia(codeset: SimpleIcd10CmCodeSet) -> None:
    assert codes(codeset, ["Poorly controlled type 2 diabetes."]) == ["E11.65"]
    # The modifier belongs to its own statement: it does not make someone else's diabetes uncontrolled.
    assert codes(codeset, ["Type 2 diabetes.", "Hypertension, poorly controlled."]) == ["E11.9", "I10"]


def test_symptom_only_visit_codes_the_symptom(codeset: SimpleIcd10CmCodeSet) -> None:
    got = suggest_codes(draft([], ["Headache for two weeks, worse in the morning.", "No chest pain, no shortness of breath."]),
                        codeset=codeset)
    assert [(c.code, c.category) for c in got] == [("R51.9", "symptom")]


def test_symptoms_give_way_to_an_established_diagnosis(codeset: SimpleIcd10CmCodeSet) -> None:
    assert codes(codeset, ["Hypertension, not well controlled."], ["Headache for two weeks."]) == ["I10"]


def test_symptom_with_uncertain_diagnosis_codes_the_symptom(codeset: SimpleIcd10CmCodeSet) -> None:
    assert codes(codeset, ["Chest pain, rule out myocardial infarction."]) == ["R07.9"]


def test_subjective_diagnosis_alone_is_not_coded(codeset: SimpleIcd10CmCodeSet) -> None:
    assert codes(codeset, [], ["I think I have diabetes."]) == []


def test_suggestion_fields_rank_and_evidence(codeset: SimpleIcd10CmCodeSet) -> None:
    got = suggest_codes(draft(["Hypertension, not well controlled.", "Hyperlipidemia.", "History of stroke."]), codeset=codeset)
    assert [(c.code, c.rank, c.category) for c in got] == [
        ("I10", 1, "diagnosis"), ("E78.5", 2, "diagnosis"), ("Z86.73", 3, "history")]
    first = got[0]
    assert first.system == ICD10CM_SYSTEM
    assert first.display == "Essential (primary) hypertension"
    assert first.evidence_statement_ids == ["a0"]
    assert first.evidence_turn_ids == ["turn-a0", "turn-a0b"]
    assert 0 < got[2].confidence <= got[0].confidence <= 1


def test_same_code_from_two_statements_merges_evidence(codeset: SimpleIcd10CmCodeSet) -> None:
    got = suggest_codes(draft(["HTN.", "Blood pressure: hypertension, continue lisinopril."]), codeset=codeset)
    assert [c.code for c in got] == ["I10"]
    assert got[0].evidence_statement_ids == ["a0", "a1"]


def test_no_note_draft_gives_no_codes(codeset: SimpleIcd10CmCodeSet) -> None:
    assert suggest_codes(draft(["Hypertension."], status="no_note"), codeset=codeset) == []


def test_fuzzy_fallback_finds_billable_code_for_unlisted_condition(codeset: SimpleIcd10CmCodeSet) -> None:
    got = suggest_codes(draft(["Plantar fasciitis."]), codeset=codeset)
    assert [c.code for c in got] == ["M72.2"]
    assert got[0].confidence < 0.9  # fuzzy is trusted less than the curated lexicon


def test_output_is_deterministic(codeset: SimpleIcd10CmCodeSet) -> None:
    note = draft(["Type 2 diabetes with CKD stage 3, poorly controlled.", "HTN.", "Asthma."], ["Cough."])
    assert suggest_codes(note, codeset=codeset) == suggest_codes(note, codeset=codeset)


def test_emitted_codes_are_valid_billable_and_never_exclude_each_other(codeset: SimpleIcd10CmCodeSet) -> None:
    note = draft(
        ["Type 2 diabetes with CKD stage 3.", "Hypertension.", "Congestive heart failure.", "Asthma.", "COPD.", "GERD.",
         "Migraine.", "Depression.", "Anxiety.", "Obesity.", "Atrial fibrillation.", "Family history of colon cancer."],
    )
    got = suggest_codes(note, codeset=codeset)
    assert len(got) >= 8
    for c in got:
        assert codeset.is_valid(c.code) and codeset.is_billable(c.code), c.code
    for a in got:
        for b in got:
            assert not codeset.excludes(a.code, b.code), (a.code, b.code)


def test_every_lexicon_code_is_real_and_billable(codeset: SimpleIcd10CmCodeSet) -> None:
    referenced = [code for c in CONCEPTS for code in (c.code, c.history_code, c.family_code, *(c.lateral or ())) if code]
    referenced += [combo.code for combo in COMBINATIONS]
    referenced += [code for code, _ in INDEX_ENTRIES]
    assert len({c.key for c in CONCEPTS}) >= 60
    bad = [code for code in referenced if not codeset.is_billable(code)]
    assert bad == []


def test_index_entries_are_listed_once() -> None:
    # A repeated entry counts its words twice in the description index's idf weights.
    repeated = [entry for entry, n in Counter(INDEX_ENTRIES).items() if n > 1]
    assert repeated == []


@pytest.mark.parametrize(("assessment", "expected"), [
    # Guideline I.A.15: the Index's "Diabetes, with" conditions are linked without the note saying "due to".
    (["Type 2 diabetes with peripheral arterial disease."], ["E11.51"]),
    (["Type 1 diabetes.", "Diabetic retinopathy."], ["E10.319"]),
    (["Diabetic retinopathy."], ["E11.319"]),  # type 2 when the type is not documented
    # Gastroparesis stays as its own code, after the combination (K31.84: "code first ... E11.43").
    (["Type 2 diabetes with gastroparesis."], ["E11.43", "K31.84"]),
    # Several complications: one combination code each, none demoted as a less specific sibling of another.
    (["Type 2 diabetes with neuropathy and chronic kidney disease."], ["E11.22", "E11.40", "N18.9"]),
    (["Diabetes, diabetic retinopathy and chronic kidney disease stage 3."], ["E11.319", "E11.22", "N18.30"]),
])
def test_diabetes_combinations_for_each_complication(
    codeset: SimpleIcd10CmCodeSet, assessment: list[str], expected: list[str],
) -> None:
    got = codes(codeset, assessment)
    assert sorted(c for c in got if not c.startswith("Z")) == sorted(expected)
