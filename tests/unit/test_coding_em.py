"""CPT E/M level (office/outpatient) through code_note: new vs established, MDM vs time, telehealth."""

from __future__ import annotations

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.coder import code_note
from shared.contracts import CPT_SYSTEM, EncounterContext, GeneratorInfo, NoteDrafted, SoapNote, Statement

pytestmark = pytest.mark.unit


def _s(prefix: str, i: int, text: str, kind: str) -> Statement:
    return Statement(statement_id=f"{prefix}{i}", text=text, evidence_turn_ids=[f"t-{prefix}{i}"], kind=kind)


def draft(*, assessment: list[str], plan: list[str] = (), objective: list[str] = (), **ctx: object) -> NoteDrafted:  # type: ignore[assignment]
    note = SoapNote(assessment=[_s("a", i, t, "diagnosis") for i, t in enumerate(assessment)],
                    objective=[_s("o", i, t, "exam") for i, t in enumerate(objective)],
                    plan=[_s("p", i, t, "plan") for i, t in enumerate(plan)])
    return NoteDrafted(event_id="d1", encounter_id="enc-1", note_version=1, status="drafted", note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[], context=EncounterContext(**ctx))


def em(codeset: SimpleIcd10CmCodeSet, d: NoteDrafted):
    found = [c for c in code_note(d, codeset=codeset).codes if c.system == CPT_SYSTEM]
    assert len(found) <= 1
    return found[0] if found else None


def test_one_acute_problem_with_otc_advice_is_low_level(codeset: SimpleIcd10CmCodeSet) -> None:
    c = em(codeset, draft(assessment=["Acute pharyngitis."], plan=["Ibuprofen over the counter, fluids and rest."], new_patient=False))
    assert c is not None and c.code == "99213" and c.category == "em_level"
    assert "risk low" in c.rationale and "problems low" in c.rationale


def test_prescription_drug_management_and_chronic_problems_give_moderate(codeset: SimpleIcd10CmCodeSet) -> None:
    d = draft(assessment=["Type 2 diabetes, poorly controlled.", "Hypertension, stable."],
              plan=["Increase metformin to 1000 mg twice daily.", "Order hemoglobin A1c and lipid panel."], new_patient=True)
    c = em(codeset, d)
    assert c is not None and c.code == "99204"  # new patient, moderate MDM
    assert "prescription drug management" in c.rationale and "exacerbation" in c.rationale
    assert {"a0", "p0"} <= set(c.evidence_statement_ids) and "t-p0" in c.evidence_turn_ids
    # No transcript text is quoted in the reasoning.
    assert "metformin" not in c.rationale.lower()


def test_unknown_new_patient_is_coded_established_and_says_so(codeset: SimpleIcd10CmCodeSet) -> None:
    c = em(codeset, draft(assessment=["Acute pharyngitis."]))
    assert c is not None and c.code.startswith("9921") and "established" in c.rationale
    assert c.confidence < em(codeset, draft(assessment=["Acute pharyngitis."], new_patient=False)).confidence


@pytest.mark.parametrize(("new", "minutes", "expected"), [(False, 42, "99215"), (True, 47, "99204"), (False, 9, "99213")])
def test_time_is_used_when_it_supports_a_higher_level(codeset: SimpleIcd10CmCodeSet, new: bool, minutes: float, expected: str) -> None:
    c = em(codeset, draft(assessment=["Acute pharyngitis."], plan=["Ibuprofen over the counter."], new_patient=new, total_minutes=minutes))
    assert c is not None and c.code == expected
    assert f"{minutes:g} min" in c.rationale


def test_high_risk_threat_to_life_gives_highest_level(codeset: SimpleIcd10CmCodeSet) -> None:
    d = draft(assessment=["Sepsis from pneumonia."], plan=["Admit to the hospital for IV antibiotics."], new_patient=False)
    c = em(codeset, d)
    assert c is not None and c.code == "99215"


def test_telehealth_adds_modifier_95_and_home_place_of_service(codeset: SimpleIcd10CmCodeSet) -> None:
    coded = code_note(draft(assessment=["Hypertension."], new_patient=False, telehealth=True), codeset=codeset)
    (c,) = [c for c in coded.codes if c.system == CPT_SYSTEM]
    assert c.modifiers == ["95"] and "telehealth" in c.tags
    assert coded.place_of_service == "10"
    assert all("telehealth" in s.tags for s in coded.codes)
    office = code_note(draft(assessment=["Hypertension."], new_patient=False), codeset=codeset)
    assert office.place_of_service is None and all(not c.modifiers for c in office.codes)


def test_nothing_codable_gives_no_em_guess(codeset: SimpleIcd10CmCodeSet) -> None:
    assert code_note(draft(assessment=["Denies chest pain."], total_minutes=30), codeset=codeset).codes == []


def test_display_is_our_own_short_description(codeset: SimpleIcd10CmCodeSet) -> None:
    c = em(codeset, draft(assessment=["Hypertension."], new_patient=False))
    assert c is not None and c.display.startswith("Office or outpatient visit, established patient")
