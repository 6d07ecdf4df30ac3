"""The FHIR document and transaction Bundles built from a coded note."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree

import pytest
from fhir.resources.R4B.bundle import Bundle

from services.ehr_sink.domain import has_document
from services.ehr_sink.fhir_builder import (
    BundleBuildError,
    build_document_bundle,
    build_transaction_bundle,
    content_fingerprint,
)
from shared.contracts import (
    CPT_SYSTEM,
    ICD10CM_SYSTEM,
    CodeSuggestion,
    EncounterContext,
    GeneratorInfo,
    NoteCoded,
    NoteDrafted,
    Role,
    SoapNote,
    Statement,
    Turn,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
SECTION_CODES = ["61150-9", "61149-1", "51848-0", "18776-5"]
XHTML = "{http://www.w3.org/1999/xhtml}"


def make_coded(
    *,
    encounter_id: str = "enc-42",
    note_version: int = 1,
    context: EncounterContext | None = None,
    note: SoapNote | None = None,
    codes: list[CodeSuggestion] | None = None,
    status: str = "drafted",
) -> NoteCoded:
    """A coded note built by hand: four sections, two ICD-10-CM codes and one CPT level."""
    turns = [
        Turn(turn_id=f"t{i}", seq=i, speaker=Role.PATIENT if i % 2 else Role.CLINICIAN, start=i, end=i + 1,
             text=f"turn {i}", confidence=0.9)
        for i in range(6)
    ]
    if note is None:
        note = SoapNote(
            subjective=[
                Statement(statement_id="s1", text="Headache for two weeks, worse in the morning.",
                          evidence_turn_ids=["t1"], kind="chief_complaint"),
                Statement(statement_id="s2", text="Says <script>alert('x')</script> & \"quotes\".",
                          evidence_turn_ids=["t1"]),
            ],
            objective=[Statement(statement_id="o1", text="BP 162/98, HR 78.", evidence_turn_ids=["t2"], kind="vital")],
            assessment=[
                Statement(statement_id="a1", text="Hypertension, not well controlled.", evidence_turn_ids=["t3"],
                          kind="diagnosis"),
                Statement(statement_id="a2", text="Headache.", evidence_turn_ids=["t1"], kind="symptom"),
            ],
            plan=[
                Statement(statement_id="p1", text="Increase lisinopril to 20 mg daily.", evidence_turn_ids=["t4"]),
                Statement(statement_id="p2", text="Order a CT of the head.", evidence_turn_ids=[], supported=False),
            ],
        )
    if codes is None:
        codes = [
            CodeSuggestion(system=ICD10CM_SYSTEM, code="R51.9", display="Headache, unspecified", confidence=0.8,
                           rank=2, evidence_statement_ids=["a2"], evidence_turn_ids=["t1"], category="symptom"),
            CodeSuggestion(system=ICD10CM_SYSTEM, code="I10", display="Essential (primary) hypertension",
                           confidence=0.9, rank=1, evidence_statement_ids=["a1"], evidence_turn_ids=["t3"]),
            CodeSuggestion(system=CPT_SYSTEM, code="99214", display="Office visit, established", confidence=0.6,
                           rank=3, evidence_statement_ids=[], evidence_turn_ids=[], category="em_level"),
        ]
    draft = NoteDrafted(
        event_id=f"draft-{encounter_id}-{note_version}"[:64],
        encounter_id=encounter_id,
        note_version=note_version,
        status=status,
        note=note,
        generator=GeneratorInfo(backend="llm", model="qwen2.5-1.5b-instruct", version="q4"),
        context=context
        if context is not None
        else EncounterContext(patient_ref="Patient/123", encounter_ref="Encounter/abc"),
        turns=turns,
        asr_model="faster-whisper-small.en",
    )
    return NoteCoded(event_id=f"coded-{encounter_id}-{note_version}"[:64], encounter_id=encounter_id, draft=draft,
                     codes=codes, code_set="ICD-10-CM FY2026")


def resources(doc: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in doc["entry"] if e["resource"]["resourceType"] == resource_type]


def composition(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["entry"][0]["resource"]


@pytest.fixture
def doc() -> dict[str, Any]:
    return build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)


def test_document_bundle_validates_and_is_a_document(doc):
    bundle = Bundle.model_validate(doc)
    assert bundle.type == "document"
    assert doc["identifier"] == {"system": "urn:scribestream:note", "value": "enc-42/v1"}
    assert doc["timestamp"].startswith("2026-03-02T09:30:15")
    assert [e["resource"]["resourceType"] for e in doc["entry"]] == [
        "Composition", "Condition", "Condition", "ChargeItem", "DocumentReference", "Provenance"
    ]
    json.dumps(doc)  # JSON-ready


def test_composition_has_the_four_soap_sections_and_context_references(doc):
    comp = composition(doc)
    assert comp["status"] == "preliminary"
    assert comp["type"]["coding"][0]["code"] == "11506-3"
    assert [s["code"]["coding"][0]["code"] for s in comp["section"]] == SECTION_CODES
    assert all(s["code"]["coding"][0]["system"] == "http://loinc.org" for s in comp["section"])
    assert comp["subject"]["reference"] == "Patient/123"
    assert comp["encounter"]["reference"] == "Encounter/abc"
    # no practitioner given: the software is the author, as a contained Device
    assert comp["author"] == [{"reference": "#scribestream", "type": "Device", "display": "scribestream"}]
    assert comp["contained"][0]["resourceType"] == "Device" and comp["contained"][0]["id"] == "scribestream"


def test_practitioner_becomes_the_author():
    context = EncounterContext(patient_ref="Patient/1", encounter_ref="Encounter/2", practitioner_ref="Practitioner/9")
    doc = build_document_bundle(make_coded(context=context), software_version="0.1.0", now=NOW)
    comp = composition(doc)
    assert comp["author"] == [{"reference": "Practitioner/9", "type": "Practitioner"}]
    assert "contained" not in comp
    assert resources(doc, "DocumentReference")[0]["author"] == comp["author"]


def test_conditions_carry_icd10cm_codes_as_provisional_encounter_diagnoses(doc):
    conditions = resources(doc, "Condition")
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["I10", "R51.9"]  # best rank first
    for c in conditions:
        assert c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
        assert c["clinicalStatus"]["coding"][0]["code"] == "active"
        assert c["verificationStatus"]["coding"][0]["code"] == "provisional"
        assert c["category"][0]["coding"][0]["code"] == "encounter-diagnosis"
        assert c["subject"]["reference"] == "Patient/123"
        assert c["encounter"]["reference"] == "Encounter/abc"
    hypertension = conditions[0]
    assert "a1" in hypertension["note"][0]["text"] and "t3" in hypertension["note"][0]["text"]
    assert hypertension["evidence"][0]["detail"][0]["display"] == "note statement a1"
    # the CPT E/M level is not a problem of the patient
    assert all(c["code"]["coding"][0]["code"] != "99214" for c in conditions)


def test_assessment_section_references_the_conditions(doc):
    assessment = composition(doc)["section"][2]
    condition_urls = [e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == "Condition"]
    assert [e["reference"] for e in assessment["entry"]] == condition_urls
    assert all("entry" not in s for i, s in enumerate(composition(doc)["section"]) if i != 2)


def test_every_reference_resolves_inside_the_bundle(doc):
    full_urls = {e["fullUrl"] for e in doc["entry"]}
    assert len(full_urls) == len(doc["entry"])

    def refs(node: Any):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                yield node["reference"]
            for v in node.values():
                yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)

    for entry in doc["entry"]:
        res = entry["resource"]
        contained = {f"#{c['id']}" for c in res.get("contained", [])}
        for ref in refs({k: v for k, v in res.items() if k != "contained"}):
            if ref.startswith("urn:uuid:"):
                assert ref in full_urls
            elif ref.startswith("#"):
                assert ref in contained
            else:
                assert ref in {"Patient/123", "Encounter/abc"}
        # every contained resource is referenced from its container (FHIR dom-3)
        assert contained <= set(refs({k: v for k, v in res.items() if k != "contained"}))


def test_duplicate_suggestions_of_one_code_make_one_condition_with_merged_evidence():
    codes = [
        CodeSuggestion(system=ICD10CM_SYSTEM, code="I10", display="Essential (primary) hypertension",
                       confidence=0.7, rank=2, evidence_statement_ids=["a1"], evidence_turn_ids=["t3"]),
        CodeSuggestion(system=ICD10CM_SYSTEM, code="I10", display="Essential (primary) hypertension",
                       confidence=0.9, rank=1, evidence_statement_ids=["o1"], evidence_turn_ids=["t2"]),
    ]
    doc = build_document_bundle(make_coded(codes=codes), software_version="0.1.0", now=NOW)
    (condition,) = resources(doc, "Condition")
    assert [d["display"] for ev in condition["evidence"] for d in ev["detail"]] == ["note statement o1",
                                                                                    "note statement a1"]


def test_provenance_names_the_software_and_the_models(doc):
    (prov,) = resources(doc, "Provenance")
    devices = {c["id"]: c for c in prov["contained"]}
    assert devices["scribestream"]["deviceName"][0]["name"] == "scribestream"
    assert devices["scribestream"]["version"][0]["value"] == "0.1.0"
    assert devices["asr"]["deviceName"][0]["name"] == "faster-whisper-small.en"
    assert devices["notegen"]["deviceName"][0]["name"] == "qwen2.5-1.5b-instruct"
    assert devices["notegen"]["version"][0]["value"] == "q4"
    assert {a["who"]["reference"] for a in prov["agent"]} == {"#scribestream", "#asr", "#notegen"}
    assert prov["target"][0] == {"reference": doc["entry"][0]["fullUrl"], "type": "Composition"}
    assert prov["entity"][0]["role"] == "source"
    assert prov["entity"][0]["what"]["identifier"]["value"] == "enc-42"


def test_document_reference_carries_the_rendered_note(doc):
    (ref,) = resources(doc, "DocumentReference")
    assert ref["type"]["coding"][0]["code"] == "11506-3"
    assert ref["category"][0]["coding"][0]["code"] == "clinical-note"
    assert ref["docStatus"] == "preliminary"
    assert ref["identifier"] == [{"system": "urn:scribestream:note", "value": "enc-42/v1"}]
    attachment = ref["content"][0]["attachment"]
    assert attachment["contentType"].startswith("text/plain")
    text = base64.b64decode(attachment["data"]).decode()
    assert "Increase lisinopril to 20 mg daily." in text
    assert "I10 Essential (primary) hypertension" in text
    assert attachment["size"] == len(text.encode())


def test_narrative_is_well_formed_xhtml_and_escapes_markup(doc):
    subjective = composition(doc)["section"][0]["text"]["div"]
    root = ElementTree.fromstring(subjective)
    assert root.tag == f"{XHTML}div"
    assert not list(root.iter(f"{XHTML}script")) and "<script" not in subjective
    items = [li.text for li in root.iter(f"{XHTML}li")]
    assert items == ["Headache for two weeks, worse in the morning.",
                     "Says <script>alert('x')</script> & \"quotes\"."]


def test_unsupported_statement_is_marked_and_empty_section_is_explained():
    note = SoapNote(
        subjective=[Statement(statement_id="s1", text="Cough.", evidence_turn_ids=["t1"])],
        plan=[Statement(statement_id="p1", text="Antibiotics.", evidence_turn_ids=[], supported=False)],
    )
    doc = build_document_bundle(make_coded(note=note, codes=[]), software_version="0.1.0", now=NOW)
    sections = composition(doc)["section"]
    assert sections[1]["emptyReason"]["coding"][0]["code"] == "unavailable"
    assert "No statements" in sections[1]["text"]["div"]
    assert "unverified" in sections[3]["text"]["div"]
    assert resources(doc, "Condition") == []
    Bundle.model_validate(doc)


def test_same_input_gives_byte_identical_output():
    a = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)
    b = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)
    assert json.dumps(a) == json.dumps(b)
    other_version = build_document_bundle(make_coded(note_version=2), software_version="0.1.0", now=NOW)
    assert not {e["fullUrl"] for e in a["entry"]} & {e["fullUrl"] for e in other_version["entry"]}
    assert other_version["identifier"]["value"] == "enc-42/v2"


def test_fingerprint_ignores_the_clock_but_not_the_content():
    a = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)
    later = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW + timedelta(hours=3))
    assert a != later
    assert content_fingerprint(a) == content_fingerprint(later)
    changed = build_document_bundle(make_coded(codes=[]), software_version="0.1.0", now=NOW)
    assert content_fingerprint(a) != content_fingerprint(changed)


def test_missing_patient_is_not_invented():
    doc = build_document_bundle(make_coded(context=EncounterContext()), software_version="0.1.0", now=NOW)
    assert "subject" not in composition(doc) and "encounter" not in composition(doc)
    for c in resources(doc, "Condition"):
        assert "reference" not in c["subject"]
    Bundle.model_validate(doc)


def test_no_note_has_no_document():
    empty = make_coded(note=SoapNote(), codes=[], status="no_note")
    assert not has_document(empty)
    with pytest.raises(ValueError):
        build_document_bundle(empty, software_version="0.1.0", now=NOW)
    # "drafted" but without a single statement is no note either
    assert not has_document(make_coded(note=SoapNote(), codes=[]))


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        build_document_bundle(make_coded(), software_version="0.1.0", now=datetime(2026, 1, 1))
    eastern = build_document_bundle(make_coded(), software_version="0.1.0",
                                    now=NOW.astimezone(timezone(timedelta(hours=-5))))
    Bundle.model_validate(eastern)


def test_validation_errors_do_not_echo_content():
    codes = [CodeSuggestion(system=ICD10CM_SYSTEM, code="SECRET  CODE", display="Patient Jane Doe", confidence=0.5,
                            rank=1, evidence_statement_ids=[], evidence_turn_ids=[])]
    with pytest.raises(BundleBuildError) as err:
        build_document_bundle(make_coded(codes=codes), software_version="0.1.0", now=NOW)
    assert "SECRET" not in str(err.value) and "Jane" not in str(err.value)
    assert "Condition" in str(err.value)


def test_transaction_bundle_is_conditional_create_of_every_resource(doc):
    tx = build_transaction_bundle(doc)
    Bundle.model_validate(tx)
    assert tx["type"] == "transaction"
    assert [e["fullUrl"] for e in tx["entry"]] == [e["fullUrl"] for e in doc["entry"]]
    requests = [e["request"] for e in tx["entry"]]
    assert all(r["method"] == "POST" for r in requests)
    assert [r["url"] for r in requests] == ["Composition", "Condition", "Condition", "ChargeItem",
                                            "DocumentReference", "Provenance"]
    assert requests[0]["ifNoneExist"] == "identifier=urn:scribestream:note|enc-42/v1"
    assert requests[1]["ifNoneExist"] == "identifier=urn:scribestream:condition|enc-42/v1/I10"
    assert requests[3]["ifNoneExist"] == "identifier=urn:scribestream:charge|enc-42/v1/99214"
    assert requests[4]["ifNoneExist"] == "identifier=urn:scribestream:note|enc-42/v1"
    assert requests[5]["ifNoneExist"] == "_tag=urn:scribestream:note|enc-42/v1"
    assert all("id" not in e["resource"] for e in tx["entry"])
    # references between entries still point at the entries' full URLs
    assert tx["entry"][0]["resource"]["section"][2]["entry"][0]["reference"] == tx["entry"][1]["fullUrl"]
    assert "id" in doc["entry"][0]["resource"]  # the document itself is not modified


def test_transaction_needs_a_document():
    with pytest.raises(ValueError):
        build_transaction_bundle({"resourceType": "Bundle", "type": "collection", "entry": []})


def test_build_errors_are_phi_free_stage_errors():
    from shared.stage import StageError

    assert issubclass(BundleBuildError, StageError)


# --- E/M charge, note layout, supersede, US Core checks -------------------------------------------------


def test_em_level_becomes_one_planned_charge_item(doc):
    (charge,) = resources(doc, "ChargeItem")
    assert charge["status"] == "planned"
    assert charge["code"]["coding"][0] == {"system": CPT_SYSTEM, "code": "99214", "display": "Office visit, established"}
    assert charge["identifier"] == [{"system": "urn:scribestream:charge", "value": "enc-42/v1/99214"}]
    assert charge["subject"]["reference"] == "Patient/123" and charge["context"]["reference"] == "Encounter/abc"
    docref_url = next(e["fullUrl"] for e in doc["entry"] if e["resource"]["resourceType"] == "DocumentReference")
    assert charge["supportingInformation"][0]["reference"] == docref_url
    (prov,) = resources(doc, "Provenance")
    assert {"reference": f"urn:uuid:{charge['id']}", "type": "ChargeItem"} in prov["target"]


def test_no_em_suggestion_no_charge_item():
    codes = [c for c in make_coded().codes if c.system == ICD10CM_SYSTEM]
    doc = build_document_bundle(make_coded(codes=codes), software_version="0.1.0", now=NOW)
    assert resources(doc, "ChargeItem") == []


def test_combined_assessment_and_plan_uses_51847_2_and_never_both():
    from services.ehr_sink.domain import NoteLayout

    layout = NoteLayout(type_code="34117-2", type_display="History and physical note", combined_assessment_plan=True)
    doc = build_document_bundle(make_coded(), software_version="0.1.0", now=NOW, layout=layout)
    comp = composition(doc)
    codes = [s["code"]["coding"][0]["code"] for s in comp["section"]]
    assert codes == ["61150-9", "61149-1", "51847-2"]
    assert comp["type"]["coding"][0]["code"] == "34117-2"
    assert len(comp["section"][2]["entry"]) == 2
    items = ElementTree.fromstring(comp["section"][2]["text"]["div"]).iter(f"{XHTML}li")
    assert len(list(items)) == 4  # two assessment and two plan statements
    with pytest.raises(ValueError):
        NoteLayout(type_code="not-loinc")


def test_document_reference_carries_the_structured_document_too(doc):
    (ref,) = resources(doc, "DocumentReference")
    _plain, structured = (c["attachment"] for c in ref["content"])
    assert structured["contentType"] == "application/fhir+json"
    inner = json.loads(base64.b64decode(structured["data"]))
    Bundle.model_validate(inner)
    assert [e["resource"]["resourceType"] for e in inner["entry"]] == ["Composition", "Condition", "Condition"]
    assert all(c["format"]["code"] == "urn:ihe:iti:xds:2017:mimeTypeSufficient" for c in ref["content"])
    assert {"system": "urn:scribestream:encounter", "code": "enc-42"} in ref["meta"]["tag"]


def test_supersede_adds_relates_to_and_a_guarded_status_patch(doc):
    tx = build_transaction_bundle(doc, supersedes=[("77", "3")])
    Bundle.model_validate(tx)
    docref = next(e["resource"] for e in tx["entry"] if e["resource"]["resourceType"] == "DocumentReference")
    assert docref["relatesTo"] == [{"code": "replaces",
                                    "target": {"reference": "DocumentReference/77", "type": "DocumentReference"}}]
    patch = tx["entry"][-1]
    assert patch["request"] == {"method": "PATCH", "url": "DocumentReference/77", "ifMatch": 'W/"3"'}
    ops = {p["name"]: p for p in patch["resource"]["parameter"][0]["part"]}
    assert ops["path"]["valueString"] == "DocumentReference.status" and ops["value"]["valueCode"] == "superseded"
    late = build_transaction_bundle(doc, superseded=True)
    assert next(e["resource"] for e in late["entry"]
                if e["resource"]["resourceType"] == "DocumentReference")["status"] == "superseded"


def test_us_core_check_refuses_a_note_without_a_patient_or_with_a_wrong_one(doc):
    from services.ehr_sink.fhir_builder import check_us_core, us_core_problems

    assert us_core_problems(doc) == []
    no_patient = build_document_bundle(make_coded(context=EncounterContext()), software_version="0.1.0", now=NOW)
    assert "DocumentReference.subject must reference a Patient" in us_core_problems(no_patient)
    wrong = build_document_bundle(make_coded(context=EncounterContext(patient_ref="Practitioner/9")),
                                  software_version="0.1.0", now=NOW)
    with pytest.raises(BundleBuildError, match="subject must reference a Patient"):
        check_us_core(wrong)
