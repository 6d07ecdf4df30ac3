"""Status codes from documented facts (long-term drug use, dialysis, adult BMI) and the Tabular List's sequencing
notes ("code first", "use additional code") among a note's suggestions (session 5)."""

from __future__ import annotations

import pytest

from scribestream.evals.coding import as_draft
from services.coding.coder import code_note
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import (
    ALL_FINDINGS,
    OUTPATIENT,
    SUGGEST_MIN_CONFIDENCE,
    suggest_codes,
)
from services.coding.instructions import additional_code_query, sequence
from services.coding.status import ALL_RULES, bmi_code
from shared.contracts import ICD10CM_SYSTEM, CodeSuggestion, EncounterContext

pytestmark = pytest.mark.unit


def codes(codeset: SimpleIcd10CmCodeSet, text: str, *, mode: str = OUTPATIENT, age: int | None = None) -> list[str]:
    """Outpatient: the suggestions. All-findings: every ranked candidate (status codes rank just below the cut)."""
    draft = as_draft("t", text)
    if age is not None:
        draft = draft.model_copy(update={"context": EncounterContext(patient_age=age)})
    floor = SUGGEST_MIN_CONFIDENCE if mode == OUTPATIENT else 0.5
    return [s.code for s in suggest_codes(draft, codeset=codeset, mode=mode, min_confidence=floor)]


def test_every_status_code_is_billable(codeset: SimpleIcd10CmCodeSet) -> None:
    assert all(codeset.is_billable(r.code) for r in ALL_RULES)
    assert all(codeset.is_billable(bmi_code(v)) for v in (15, 19.9, 20, 24.5, 29.99, 30, 39.9, 40, 44.9, 45, 55, 65, 70, 85))


@pytest.mark.parametrize(("value", "code"), [
    (18.5, "Z68.1"), (20.0, "Z68.20"), (24.9, "Z68.24"), (30.0, "Z68.30"), (39.9, "Z68.39"), (40.0, "Z68.41"),
    (47.0, "Z68.42"), (52.0, "Z68.43"), (61.0, "Z68.44"), (72.0, "Z68.45"),
])
def test_adult_bmi_bands(value: float, code: str) -> None:
    assert bmi_code(value) == code


@pytest.mark.parametrize(("text", "code"), [
    ("Type 2 diabetes on insulin glargine.", "Z79.4"),
    ("Type 2 diabetes. Takes metformin 500 mg twice daily.", "Z79.84"),
    ("Type 2 diabetes on weekly semaglutide.", "Z79.85"),
    ("Atrial fibrillation on apixaban.", "Z79.01"),
    ("Coronary artery disease on clopidogrel.", "Z79.02"),
    ("Coronary artery disease, takes aspirin 81 mg.", "Z79.82"),
    ("Rheumatoid arthritis on prednisone 5 mg daily.", "Z79.52"),
    ("Rheumatoid arthritis on methotrexate.", "Z79.631"),
    ("Breast cancer on tamoxifen.", "Z79.810"),
    ("End stage renal disease on hemodialysis.", "Z99.2"),
    ("Type 2 diabetes. Start metformin 500 mg twice daily.", "Z79.84"),  # a new chronic drug on a schedule
    ("Chronic back pain on oxycodone 5 mg twice daily.", "Z79.891"),
    ("Chronic back pain on oxycodone, long term opioid use.", "Z79.891"),
])
def test_documented_long_term_use_gives_its_status_code(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert code in codes(codeset, text, mode=mode)


@pytest.mark.parametrize("text", [
    "Type 2 diabetes. Not on insulin.",
    "Type 2 diabetes. Denies taking metformin.",
    "Atrial fibrillation. Stopped warfarin last year.",
    "Allergic to aspirin.",
    "Insulin resistance.",
    "Asthma exacerbation, prednisone 40 mg for 5 days.",  # a short burst: no long-term word
    "A 45-year-old woman given ibuprofen for a sprain.",  # an age is not a duration
    "Acute kidney injury; dialysis was considered.",
    "Knee sprain. Ibuprofen 800 mg three times daily.",  # a schedule is no long-term word for an NSAID
    "Knee pain. Initiate meloxicam 15 mg once daily.",
    "Asthma on prednisone 40 mg daily for 5 days.",  # "on" a short course
    "Breast cancer. Treatment with tamoxifen was started.",  # started in the episode, no schedule
    "Presents in wheelchair.",  # arriving in one is no dependence
])
def test_no_status_code_without_affirmed_current_long_term_use(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert not [c for c in codes(codeset, text, mode=mode) if c.startswith(("Z79", "Z99"))]


def test_bmi_needs_a_weight_diagnosis_in_the_outpatient_mode_and_an_adult(codeset: SimpleIcd10CmCodeSet) -> None:
    assert "Z68.41" in codes(codeset, "Obesity. BMI 41.2.")
    assert not [c for c in codes(codeset, "Hypertension. BMI 41.2.") if c.startswith("Z68")]
    assert "Z68.41" in codes(codeset, "Hypertension. BMI 41.2.", mode=ALL_FINDINGS)
    assert not [c for c in codes(codeset, "Obesity. BMI 31.", age=14) if c.startswith("Z68")]


@pytest.mark.parametrize(("text", "code"), [
    # A child's BMI is coded by its percentile for age (Z68.51-Z68.54), never by the number.
    ("Obesity. BMI at the 97th percentile.", "Z68.54"), ("Overweight child, BMI at the 90th percentile.", "Z68.53"),
    ("Obesity, BMI-for-age percentile of 99.", "Z68.54"), ("Underweight. BMI 3rd percentile for age.", "Z68.51"),
])
def test_a_childs_bmi_percentile(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert [c for c in codes(codeset, text, age=9) if c.startswith("Z68")] == [code]
    assert not [c for c in codes(codeset, "BMI at the 97th percentile.", age=9) if c.startswith("Z68")]  # no weight diagnosis


def test_status_code_keeps_its_evidence(codeset: SimpleIcd10CmCodeSet) -> None:
    got = {s.code: s for s in suggest_codes(as_draft("t", "Type 2 diabetes. She injects insulin at night."), codeset=codeset)}
    assert got["Z79.4"].evidence_statement_ids == ["s1"] and got["Z79.4"].category == "status"
    assert "insulin" in got["Z79.4"].rationale


def suggestion(code: str, rank: int) -> CodeSuggestion:
    return CodeSuggestion(system=ICD10CM_SYSTEM, code=code, display=code, confidence=0.9, rank=rank,
                          evidence_statement_ids=[], evidence_turn_ids=[], rationale="rule")


def test_code_first_partner_is_ranked_before_the_code_that_names_it(codeset: SimpleIcd10CmCodeSet) -> None:
    # N18.30: "Code first any associated ... hypertensive chronic kidney disease (I12.-, I13.-)".
    got = sequence([suggestion("N18.30", 1), suggestion("I12.9", 2)], codeset=codeset)
    assert [(s.code, s.rank) for s in got] == [("I12.9", 1), ("N18.30", 2)]
    assert "code first I12.9" in got[1].rationale and "sequenced before N18.30" in got[0].rationale
    # F02.80 (dementia in other diseases): "Code first the underlying physiological condition, such as: Alzheimer's (G30.-)".
    got = sequence([suggestion("F02.80", 1), suggestion("I10", 2), suggestion("G30.9", 3)], codeset=codeset)
    assert [s.code for s in got] == ["I10", "G30.9", "F02.80"]  # I10 had nothing to wait for: it keeps the lead


def test_unrelated_codes_keep_their_order(codeset: SimpleIcd10CmCodeSet) -> None:
    given = [suggestion("I10", 1), suggestion("J45.909", 2), suggestion("K21.9", 3)]
    assert [(s.code, s.rank, s.rationale) for s in sequence(given, codeset=codeset)] == [
        (s.code, s.rank, s.rationale) for s in given]


def test_missing_required_additional_code_becomes_a_query(codeset: SimpleIcd10CmCodeSet) -> None:
    query = additional_code_query("E11.9", present=["E11.9"], codeset=codeset)
    assert query is not None and "Z79.4" in query and "Z79.84" in query
    assert additional_code_query("E11.9", present=["E11.9", "Z79.4"], codeset=codeset) is None
    # "Use additional code, if applicable, ..." asks nothing.
    assert additional_code_query("N18.30", present=["N18.30"], codeset=codeset) is None


def test_coded_note_links_diabetes_and_its_control(codeset: SimpleIcd10CmCodeSet) -> None:
    coded = code_note(as_draft("t", "Type 2 diabetes with chronic kidney disease stage 3. On insulin."), codeset=codeset)
    icd = [s for s in coded.codes if s.system == ICD10CM_SYSTEM]
    order = [s.code for s in icd]
    assert order.index("E11.22") < order.index("N18.30") and order.index("E11.22") < order.index("Z79.4")
    assert all(s.query is None or "Z79" not in s.query for s in icd)  # control is documented: no query
    without = code_note(as_draft("t", "Type 2 diabetes."), codeset=codeset)
    assert "Z79.4" in (without.codes[0].query or "")


@pytest.mark.parametrize(("text", "code"), [
    ("Allergic to penicillin.", "Z88.0"),
    ("Allergies: sulfa drugs (rash).", "Z88.2"),
    ("Known allergy to iodinated contrast.", "Z91.041"),
    ("A 41-year-old man with a history of allergy to penicillins.", "Z88.0"),  # a past allergy is today's status
    ("Allergic to beta-lactamics.", "Z88.0"),
    ("Hypertension and allergy to pyrazolones.", "Z88.6"), ("Hypothyroidism and iodine allergy.", "Z91.041"),
    ("A history of allergy to procaine and streptomycin.", "Z88.4"), ("Allergic to streptomycin.", "Z88.1"),
    ("Hemodialysis dependent.", "Z99.2"),
    ("Status post cholecystectomy.", "Z90.49"),
    ("History of CABG.", "Z95.1"),
    ("Coronary artery disease with a coronary stent.", "Z95.5"),
    ("Kidney transplant recipient.", "Z94.0"),
    ("Has a permanent pacemaker.", "Z95.0"),
    ("Wheelchair bound since the stroke.", "Z99.3"),
    ("Status post knee replacement.", "Z96.659"), ("Status post right total hip arthroplasty.", "Z96.641"),
    ("Status post left total knee replacement.", "Z96.652"), ("History of bilateral hip replacements.", "Z96.643"),
    ("COPD on home oxygen.", "Z99.81"),
])
def test_allergy_dependence_and_presence_statuses(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert code in codes(codeset, text, mode=mode)


@pytest.mark.parametrize("text", [
    "No known drug allergies.",
    "Denies allergies to penicillin.",
    "Penicillin 500 mg four times a day for 10 days.",  # a prescription is no allergy
    "Evaluation for kidney transplant.",  # planned, not done
    "Referred for CABG.",
    "Planned knee replacement.",
    "No history of pacemaker.",
])
def test_no_status_for_denied_allergies_or_planned_procedures(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        assert not [c for c in codes(codeset, text, mode=mode) if c.startswith(("Z88", "Z91", "Z94", "Z95", "Z96"))]


@pytest.mark.parametrize("text", ["Penicillin allergy.", "Allergic to penicillin.", "History of allergy to sulfa drugs.",
                                  "Allergic to penicillin with anaphylaxis.", "Food allergy."])
def test_a_drug_allergy_is_a_status_not_an_allergic_reaction(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        got = codes(codeset, text, mode=mode)
        assert [c for c in got if c.startswith(("Z88", "Z91.0"))] and not [c for c in got if c.startswith("T78")]
    # an allergic reaction today is still one
    assert "T78.40XA" in codes(codeset, "Allergic reaction, cause unknown.", mode=ALL_FINDINGS) + \
        codes(codeset, "Allergy, unspecified.", mode=ALL_FINDINGS)


@pytest.mark.parametrize(("code", "asks"), [
    ("E11.9", "Z79.4"), ("I12.9", "N18"), ("N39.0", "B95-B97"),
    ("I25.10", None),  # "code to identify: exposure to tobacco smoke ...": other conditions, if present
    ("E66.9", None),  # BMI "if known"
    ("J06.9", None),  # infectious agent "if known"
])
def test_only_attribute_notes_become_queries(codeset: SimpleIcd10CmCodeSet, code: str, asks: str | None) -> None:
    query = additional_code_query(code, present=[code], codeset=codeset)
    assert (query is None) if asks is None else (query is not None and asks in query)


def test_status_codes_are_suggestions_outpatient_and_candidates_below_the_cut_for_case_reports(
    codeset: SimpleIcd10CmCodeSet,
) -> None:
    draft = as_draft("t", "Type 2 diabetes on insulin.")
    outpatient = {s.code: s.confidence for s in suggest_codes(draft, codeset=codeset)}
    case_report = {s.code: s.confidence for s in suggest_codes(draft, codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0)}
    assert outpatient["Z79.4"] >= SUGGEST_MIN_CONFIDENCE > case_report["Z79.4"] > 0


@pytest.mark.parametrize(("text", "code"), [
    ("A 46-year-old hysterectomized patient due to leiomyomas.", "Z90.710"), ("A nephrectomized patient.", "Z90.5"),
])
def test_an_operated_adjective_is_the_absence_status(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert code in codes(codeset, text)


@pytest.mark.parametrize("text", [
    "I recommend we perform a hysterectomy and oophorectomy, as well as a lymph node dissection.",
    "We discussed options including a nephrectomy.",
])
def test_a_recommended_operation_is_no_status_yet(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert not {"Z90.710", "Z90.5"} & set(codes(codeset, text))


@pytest.mark.parametrize(("text", "code"), [
    ("Status post cataract surgery.", "Z98.49"), ("History of lobectomy.", "Z90.2"), ("Pseudophakia.", "Z96.1"),
])
def test_past_operations_of_outpatient_notes(codeset: SimpleIcd10CmCodeSet, text: str, code: str) -> None:
    assert code in codes(codeset, text)


def test_mastectomy_is_an_absence_status(codeset: SimpleIcd10CmCodeSet) -> None:
    assert "Z90.10" in codes(codeset, "History of breast cancer, status post mastectomy.")


def test_a_substance_disorder_is_not_the_drug_s_long_term_use(codeset: SimpleIcd10CmCodeSet) -> None:
    assert "Z79.891" not in codes(codeset, "Opioid dependence on buprenorphine.")
    assert "Z79.891" in codes(codeset, "Chronic pain on long-term opioid therapy.")


def test_prescribed_long_term_opioid_use_is_no_opioid_use_disorder(codeset: SimpleIcd10CmCodeSet) -> None:
    got = codes(codeset, "Chronic back pain on oxycodone, long term opioid use.")
    assert "Z79.891" in got and not [c for c in got if c.startswith("F11")]
