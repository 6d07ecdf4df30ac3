"""The EHR sink against a real FHIR server: HAPI FHIR's R4 JPA server (in-memory H2, started once per
session by the ``fhir_server`` fixture). HAPI parses every request, runs its instance validator on it,
enforces referential integrity and processes the transaction atomically, so what passes here is what a
standards-conformant EHR endpoint accepts."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.ehr_sink.destinations import FhirServerDestination, FhirSubmissionError
from services.ehr_sink.domain import NoteLayout
from services.ehr_sink.fhir_builder import build_document_bundle
from services.ehr_sink.stage import EhrSinkStage
from shared.contracts import EncounterContext, NoteSubmitted
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = pytest.mark.integration

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


async def seed_context(client: httpx.AsyncClient, base: str) -> EncounterContext:
    """The patient, encounter and practitioner the producer names: they exist in the EHR before the note."""
    suffix = uuid.uuid4().hex[:10]
    pat, enc, doc = f"pat-{suffix}", f"visit-{suffix}", f"doc-{suffix}"
    resources = [
        {"resourceType": "Patient", "id": pat, "active": True},
        {"resourceType": "Practitioner", "id": doc, "active": True},
        {"resourceType": "Encounter", "id": enc, "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "subject": {"reference": f"Patient/{pat}"}},
    ]
    for r in resources:
        response = await client.put(f"{base}/{r['resourceType']}/{r['id']}", json=r, headers=FHIR_JSON)
        assert response.status_code in (200, 201), response.text[:300]
    return EncounterContext(patient_ref=f"Patient/{pat}", encounter_ref=f"Encounter/{enc}",
                            practitioner_ref=f"Practitioner/{doc}")


async def read(client: httpx.AsyncClient, base: str, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(f"{base}/{path}", params=params, headers=FHIR_JSON)
    assert response.status_code == 200, response.text[:300]
    return response.json()


async def validate(client: httpx.AsyncClient, base: str, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """HAPI's $validate on a stored resource: the issues of severity error or fatal."""
    params = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": resource}]}
    response = await client.post(f"{base}/{resource['resourceType']}/$validate", json=params, headers=FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]


def refs_by_type(event: NoteSubmitted) -> dict[str, list[tuple[str, str | None]]]:
    out: dict[str, list[tuple[str, str | None]]] = {}
    for r in event.resources:
        out.setdefault(r.resource_type, []).append((r.id, r.version))
    return out


async def test_note_is_filed_read_back_equal_and_valid(fhir_server: str, encounter_id: str):
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = await seed_context(client, fhir_server)
        coded = make_coded(encounter_id=encounter_id, context=ctx)
        stage = EhrSinkStage(destination=FhirServerDestination(fhir_server, client=client), software_version="0.1.0",
                             clock=lambda: NOW)
        (event,) = await stage.handle(coded)
        assert isinstance(event, NoteSubmitted)
        assert (event.mode, event.status, event.destination) == ("fhir", "created", fhir_server)
        by_type = refs_by_type(event)
        assert {t: len(v) for t, v in by_type.items()} == {
            "Composition": 1, "Condition": 2, "ChargeItem": 1, "DocumentReference": 1, "Provenance": 1}
        assert all(version == "1" for refs in by_type.values() for _, version in refs)

        sent = build_document_bundle(coded, software_version="0.1.0", now=NOW)
        sent_doc = next(e["resource"] for e in sent["entry"] if e["resource"]["resourceType"] == "DocumentReference")
        ((doc_id, _),) = by_type["DocumentReference"]
        stored = await read(client, fhir_server, f"DocumentReference/{doc_id}")
        for key in ("identifier", "status", "docStatus", "type", "category", "subject", "author"):
            assert stored[key] == sent_doc[key], key
        assert stored["context"]["encounter"] == [{"reference": ctx.encounter_ref, "type": "Encounter"}]
        texts = [c["attachment"] for c in stored["content"]]
        assert base64.b64decode(texts[0]["data"]) == base64.b64decode(sent_doc["content"][0]["attachment"]["data"])
        structured = json.loads(base64.b64decode(texts[1]["data"]))
        assert structured["type"] == "document" and structured["entry"][0]["resource"]["resourceType"] == "Composition"
        ((comp_id, _),) = by_type["Composition"]
        assert stored["context"]["related"] == [{"reference": f"Composition/{comp_id}", "type": "Composition"}]

        composition = await read(client, fhir_server, f"Composition/{comp_id}")
        assert [s["code"]["coding"][0]["code"] for s in composition["section"]] == [
            "61150-9", "61149-1", "51848-0", "18776-5"]
        condition_refs = {e["reference"] for e in composition["section"][2]["entry"]}
        assert condition_refs == {f"Condition/{cid}" for cid, _ in by_type["Condition"]}
        ((charge_id, _),) = by_type["ChargeItem"]
        charge = await read(client, fhir_server, f"ChargeItem/{charge_id}")
        assert charge["status"] == "planned" and charge["code"]["coding"][0]["code"] == "99214"
        assert charge["supportingInformation"] == [{"reference": f"DocumentReference/{doc_id}",
                                                    "type": "DocumentReference"}]
        ((prov_id, _),) = by_type["Provenance"]
        provenance = await read(client, fhir_server, f"Provenance/{prov_id}")
        assert {t["reference"] for t in provenance["target"]} >= {f"DocumentReference/{doc_id}",
                                                                    f"Composition/{comp_id}"}
        for resource in (stored, composition, charge, provenance,
                         *[await read(client, fhir_server, f"Condition/{cid}") for cid, _ in by_type["Condition"]]):
            assert await validate(client, fhir_server, resource) == [], resource["resourceType"]


async def test_redelivery_files_nothing_twice(fhir_server: str, encounter_id: str):
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = await seed_context(client, fhir_server)
        coded = make_coded(encounter_id=encounter_id, context=ctx)
        dest = FhirServerDestination(fhir_server, client=client)
        times = iter([NOW, NOW + timedelta(minutes=7)])  # the redelivery is built later: other timestamps
        stage = EhrSinkStage(destination=dest, software_version="0.1.0", clock=lambda: next(times))
        (first,) = await stage.handle(coded)
        (again,) = await stage.handle(coded)
        assert (first.status, again.status) == ("created", "unchanged")
        assert first.resources == again.resources
        found = await read(client, fhir_server, "DocumentReference",
                           identifier=f"urn:scribestream:note|{encounter_id}/v1", _summary="count")
        assert found["total"] == 1
        conditions = await read(client, fhir_server, "Condition", _tag=f"urn:scribestream:encounter|{encounter_id}",
                                _summary="count")
        assert conditions["total"] == 2


async def test_newer_version_supersedes_the_older_document(fhir_server: str, encounter_id: str):
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = await seed_context(client, fhir_server)
        stage = EhrSinkStage(destination=FhirServerDestination(fhir_server, client=client),
                             software_version="0.1.0", clock=lambda: NOW)
        (v1,) = await stage.handle(make_coded(encounter_id=encounter_id, context=ctx, note_version=1))
        (v2,) = await stage.handle(make_coded(encounter_id=encounter_id, context=ctx, note_version=2))
        (v2_again,) = await stage.handle(make_coded(encounter_id=encounter_id, context=ctx, note_version=2))
        ((old_id, _),) = refs_by_type(v1)["DocumentReference"]
        new_docs = refs_by_type(v2)["DocumentReference"]
        assert new_docs[1] == (old_id, "2")  # the patched old one, now at version 2
        new_id = new_docs[0][0]
        assert v2.status == "created" and v2_again.status == "unchanged"

        old = await read(client, fhir_server, f"DocumentReference/{old_id}")
        new = await read(client, fhir_server, f"DocumentReference/{new_id}")
        assert old["status"] == "superseded" and new["status"] == "current"
        assert new["relatesTo"] == [{"code": "replaces", "target": {"reference": f"DocumentReference/{old_id}",
                                                                     "type": "DocumentReference"}}]
        current = await read(client, fhir_server, "DocumentReference",
                             _tag=f"urn:scribestream:encounter|{encounter_id}", status="current")
        assert [e["resource"]["id"] for e in current.get("entry", [])] == [new_id]
        assert await validate(client, fhir_server, new) == []


async def test_rejected_transaction_leaves_nothing_behind(fhir_server: str, encounter_id: str):
    """An unknown encounter reference: HAPI refuses the whole transaction (400 OperationOutcome); the error
    carries status and issue codes only, and not one of the note's resources was stored."""
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = await seed_context(client, fhir_server)
        wrong = ctx.model_copy(update={"encounter_ref": f"Encounter/missing-{uuid.uuid4().hex[:8]}"})
        coded = make_coded(encounter_id=encounter_id, context=wrong)
        dest = FhirServerDestination(fhir_server, client=client)
        with pytest.raises(FhirSubmissionError) as err:
            await dest.submit(encounter_id=encounter_id, note_version=1,
                              document=build_document_bundle(coded, software_version="0.1.0", now=NOW))
        assert err.value.status_code == 400 and not err.value.retryable
        assert err.value.issue_codes and all(c.startswith("error:") for c in err.value.issue_codes)
        assert "missing-" not in str(err.value) and "Hypertension" not in str(err.value)
        for resource_type in ("Composition", "Condition", "ChargeItem", "DocumentReference", "Provenance"):
            found = await read(client, fhir_server, resource_type,
                               _tag=f"urn:scribestream:encounter|{encounter_id}", _summary="count")
            assert found["total"] == 0, resource_type


async def test_combined_assessment_and_plan_template_is_accepted(fhir_server: str, encounter_id: str):
    async with httpx.AsyncClient(timeout=60) as client:
        ctx = await seed_context(client, fhir_server)
        layout = NoteLayout(type_code="34117-2", type_display="History and physical note",
                            combined_assessment_plan=True)
        stage = EhrSinkStage(destination=FhirServerDestination(fhir_server, client=client),
                             software_version="0.1.0", clock=lambda: NOW, layout=layout)
        (event,) = await stage.handle(make_coded(encounter_id=encounter_id, context=ctx))
        ((comp_id, _),) = refs_by_type(event)["Composition"]
        composition = await read(client, fhir_server, f"Composition/{comp_id}")
        assert composition["type"]["coding"][0]["code"] == "34117-2"
        assert [s["code"]["coding"][0]["code"] for s in composition["section"]] == ["61150-9", "61149-1", "51847-2"]
        assert len(composition["section"][2]["entry"]) == 2  # the Conditions hang off the combined section
