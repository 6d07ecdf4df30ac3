"""After-visit summary (notegen), template LOINC types and the summary in the FHIR document (sink), and
downstream stages ignoring live drafts."""

from __future__ import annotations

import base64

import pytest
from fhir.resources.R4B.bundle import Bundle

from services.ehr_sink.fhir_builder import (
    SUMMARY_ID_SYSTEM,
    build_document_bundle,
    build_transaction_bundle,
    check_us_core,
)
from services.notegen.summary import after_visit_summary, summary_statements
from services.notegen.templates import load_templates
from shared.contracts import NoteCoded, Role, SoapNote, Statement, SummarySection, Turn
from tests.unit.test_ehr_sink_fhir import NOW, composition, make_coded, resources

pytestmark = pytest.mark.unit

TURNS = [
    Turn(turn_id="t0", seq=0, speaker=Role.PATIENT, start=0, end=3, confidence=0.9,
         text="I have had a sore throat for three days."),
    Turn(turn_id="t1", seq=1, speaker=Role.CLINICIAN, start=3, end=5, confidence=0.9, text="Any fever?"),
    Turn(turn_id="t2", seq=2, speaker=Role.PATIENT, start=5, end=6, confidence=0.9, text="No."),
    Turn(turn_id="t3", seq=3, speaker=Role.CLINICIAN, start=6, end=9, confidence=0.9,
         text="Your blood pressure is high, you have hypertension. Take lisinopril ten milligrams once a day."),
]


def st(sid: str, text: str, turns: list[str], kind: str = "finding", supported: bool = True) -> Statement:
    return Statement(statement_id=sid, text=text, evidence_turn_ids=turns, kind=kind, supported=supported)


NOTE = SoapNote(
    subjective=[st("s0", "Reports a sore throat for 3 days.", ["t0"], "symptom"),
                st("s1", "Denies fever.", ["t1", "t2"], "pertinent_negative"),
                st("s2", "Reports chest pain.", ["t0"], "symptom", supported=False)],
    assessment=[st("a0", "Hypertension.", ["t3"], "diagnosis")],
    plan=[st("p0", "Take lisinopril 10 mg once a day.", ["t3"], "medication")],
)


def test_summary_rewords_supported_statements_keeps_evidence_and_checks_them():
    sections = after_visit_summary(NOTE, TURNS)
    assert [s.title for s in sections] == ["What you told us", "What we think is going on", "Your medicines"]
    statements = summary_statements(sections)
    texts = [s.text for s in statements]
    assert texts[0] == "You told us about a sore throat for 3 days."
    assert texts[1] == "You said you did not have fever."
    assert texts[2] == "High blood pressure (hypertension)."
    assert "You take" not in texts[3] and "lisinopril 10 mg" in texts[3]
    # The unverified clinician statement never reaches the patient.
    assert not any("chest pain" in t for t in texts)
    assert [s.evidence_turn_ids for s in statements] == [["t0"], ["t1", "t2"], ["t3"], ["t3"]]
    assert all(s.supported for s in statements)
    assert len({s.statement_id for s in statements}) == len(statements)


def test_a_summary_statement_that_no_longer_matches_its_turns_is_marked():
    wrong = SoapNote(plan=[st("p0", "Take lisinopril 20 mg once a day.", ["t3"], "medication")])
    [section] = after_visit_summary(wrong, TURNS)
    assert [s.supported for s in section.statements] == [False]  # the checker still sees the dose


def test_empty_note_gives_an_empty_summary():
    assert after_visit_summary(SoapNote(), TURNS) == []


def test_templates_carry_loinc_document_types():
    templates = load_templates()
    assert templates["primary_care"].loinc == "11506-3"
    assert templates["cardiology"].loinc == "34124-8"
    assert templates["bh_soap"].loinc == templates["dap"].loinc == "34904-3"
    assert templates["after_visit_summary"].loinc == "34133-9"
    assert all(t.type_display for t in templates.values())


# ------------------------------------------------------------------ the sink's document
def with_draft(coded: NoteCoded, **update) -> NoteCoded:
    return coded.model_copy(update={"draft": coded.draft.model_copy(update=update)})


SUMMARY = [SummarySection(title="What you told us", statements=[
    st("v0", "You told us about a headache for two weeks.", ["t1"]),
    st("v1", "You take a <pill>.", ["t1"], supported=False)])]


def test_document_type_comes_from_the_note_template():
    coded = with_draft(make_coded(), template_id="cardiology", loinc_code="34124-8",
                       loinc_display="Cardiology Outpatient Progress note")
    doc = build_document_bundle(coded, software_version="0.1.0", now=NOW)
    Bundle.model_validate(doc)
    comp = composition(doc)
    assert comp["type"]["coding"][0]["code"] == "34124-8" and comp["title"] == "Cardiology Outpatient Progress note"
    [ref] = resources(doc, "DocumentReference")
    assert ref["type"]["coding"][0]["code"] == "34124-8"
    # Without a template code, the configured default (progress note) stays.
    plain = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)
    assert composition(plain)["type"]["coding"][0]["code"] == "11506-3"


def test_after_visit_summary_is_its_own_document_reference_and_a_composition_section():
    coded = with_draft(make_coded(), after_visit_summary=SUMMARY)
    doc = build_document_bundle(coded, software_version="0.1.0", now=NOW)
    Bundle.model_validate(doc)
    check_us_core(doc)
    note_ref, summary_ref = resources(doc, "DocumentReference")
    assert summary_ref["type"]["coding"][0]["code"] == "34133-9"
    assert summary_ref["identifier"] == [{"system": SUMMARY_ID_SYSTEM, "value": "enc-42/v1"}]
    assert summary_ref["relatesTo"] == [{"code": "transforms", "target": {
        "reference": f"urn:uuid:{note_ref['id']}", "type": "DocumentReference"}}]
    text = base64.b64decode(summary_ref["content"][0]["attachment"]["data"]).decode()
    assert "You told us about a headache for two weeks." in text
    assert "You take a <pill>. [unverified" in text
    section = composition(doc)["section"][-1]
    assert section["code"]["coding"][0]["code"] == "34133-9"
    assert [s["title"] for s in section["section"]] == ["What you told us"]
    assert "&lt;pill&gt;" in section["section"][0]["text"]["div"]
    [prov] = resources(doc, "Provenance")
    assert f"urn:uuid:{summary_ref['id']}" in {t["reference"] for t in prov["target"]}
    # Filing a newer version: only the note replaces the older note, the summary keeps its own relation.
    tx = build_transaction_bundle(doc, supersedes=[("old-1", "1")])
    refs = [e["resource"] for e in tx["entry"] if e["resource"]["resourceType"] == "DocumentReference"]
    assert refs[0]["relatesTo"][0]["code"] == "replaces"
    assert refs[1]["relatesTo"][0]["code"] == "transforms"


def test_no_summary_means_no_summary_resources():
    doc = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)
    assert len(resources(doc, "DocumentReference")) == 1
    assert all(s["code"]["coding"][0]["code"] != "34133-9" for s in composition(doc)["section"])


# ------------------------------------------------------------------ downstream ignores live drafts
async def test_coding_and_sink_ignore_live_drafts(tmp_path):
    from services.coding.stage import CodingStage
    from services.ehr_sink.stage import build_ehr_sink_stage

    class NoCodes:  # a coder that must never be reached for a live draft
        def lookup(self, *_a, **_k):
            raise AssertionError("a live draft was coded")

    live = with_draft(make_coded(), final=False, note_version=3)
    assert await CodingStage(codeset=NoCodes(), fuzzy=False).handle(live.draft) == []  # type: ignore[arg-type]
    sink = build_ehr_sink_stage(outbox_dir=tmp_path)
    assert await sink.handle(live) == []
    assert list(tmp_path.iterdir()) == []
    [submitted] = await sink.handle(with_draft(make_coded(), note_version=4))
    assert submitted.status == "created" and submitted.note_version == 4
