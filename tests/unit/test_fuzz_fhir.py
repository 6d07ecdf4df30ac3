"""Hostile FHIR server answers (services.ehr_sink.destinations): garbage JSON, huge bodies, deep nesting, wrong
resourceType, missing Location, odd status strings. The destination must answer with a FhirSubmissionError (a
PHI-free StageError the delivery dead-letters) or a submission, never another exception, never a hang, and in
bounded memory. The server is an ``httpx.MockTransport``: a real transport that answers from a function."""

from __future__ import annotations

import json
import tracemalloc

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ehr_sink.destinations import (
    MAX_RESPONSE_BYTES,
    FhirServerDestination,
    FhirSubmissionError,
    RetryPolicy,
    _issue_codes,
    _parse_transaction_response,
)
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import EncounterContext
from tests.unit.fuzzing import FUZZ
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

PHI = "Margaret Okonkwo MRN-4471902"
EXPECTED = ["Composition", "Condition", "DocumentReference"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.floats(allow_nan=False)
    | st.text(max_size=30) | st.sampled_from(["201 Created", "200 OK", "²⁰¹", "404", PHI, "Composition/1",
                                              "transaction-response", "Bundle", "OperationOutcome"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceType", "type", "entry", "response", "status", "location", "etag", "issue",
                         "code", "severity", "resource", "identifier", "system", "value", "meta", "versionId",
                         "id", PHI]), inner, max_size=5),
    max_leaves=20,
)
bodies = st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=300))


def parse(body: bytes, status: int = 200):
    try:
        return _parse_transaction_response(httpx.Response(status, content=body), expected=EXPECTED)
    except FhirSubmissionError as err:
        assert PHI not in str(err) and not err.retryable
        return None


@FUZZ
@given(body=bodies)
def test_any_transaction_response_body(body):
    parse(body)


@FUZZ
@given(entries=st.lists(json_values, min_size=3, max_size=3), resource_type=json_values)
def test_bundles_with_garbage_entries(entries, resource_type):
    bundle = {"resourceType": resource_type, "type": "transaction-response", "entry": entries}
    parse(json.dumps(bundle).encode())


@FUZZ
@given(body=bodies, status=st.integers(min_value=400, max_value=599))
def test_error_bodies_give_issue_codes_only(body, status):
    codes = _issue_codes(httpx.Response(status, content=body))
    assert isinstance(codes, tuple) and len(codes) <= 10 and not any(PHI in c for c in codes)


def ok_entry(resource_type: str, **response) -> dict:
    return {"response": {"status": "201 Created", "location": f"{resource_type}/1/_history/1", **response}}


@pytest.mark.parametrize("bundle, reason", [
    ({"resourceType": "OperationOutcome", "type": "transaction-response", "entry": []}, "not a transaction-response"),
    ({"resourceType": "Bundle", "type": "searchset", "entry": []}, "not a transaction-response"),
    ({"resourceType": "Bundle", "type": "transaction-response", "entry": {"a": 1}}, "entry is not a list"),
    ({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [ok_entry("Composition"), {"response": {"status": "201 Created"}}, ok_entry("DocumentReference")]},
     "entry 1 has no Condition location"),
    ({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [ok_entry("Composition"), ok_entry("Patient"), ok_entry("DocumentReference")]},
     "entry 1 has no Condition location"),
    ({"resourceType": "Bundle", "type": "transaction-response",
      "entry": [ok_entry("Composition", status="²⁰¹"), ok_entry("Condition"), ok_entry("DocumentReference")]},
     "entry 0 status missing or invalid"),
    ({"resourceType": "Bundle", "type": "transaction-response", "entry": [1, "x", None]}, "entry 0 status"),
])
def test_wrong_resource_type_and_missing_location_are_named(bundle, reason):
    with pytest.raises(FhirSubmissionError, match=reason):
        _parse_transaction_response(httpx.Response(200, content=json.dumps(bundle).encode()), expected=EXPECTED)


def peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("body", [
    b"[" * 200_000 + b"]" * 200_000,
    b'{"resourceType": "Bundle", "entry": ' + b"[" * 100_000,
    b'{"x": "' + b"a" * (MAX_RESPONSE_BYTES + 1) + b'"}',
], ids=["deep", "deep-unterminated", "huge"])
def test_deep_or_huge_bodies_are_refused_in_bounded_memory(body):
    response = httpx.Response(200, content=body)
    used = peak(lambda: parse(body))
    assert used < 4 * 1024 * 1024, f"{used} bytes"
    with pytest.raises(FhirSubmissionError):
        _parse_transaction_response(response, expected=EXPECTED)
    assert _issue_codes(httpx.Response(500, content=body)) == ()


def destination(answer) -> FhirServerDestination:
    async def no_sleep(_: float) -> None:
        return None

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return FhirServerDestination("https://fhir.example.test/r4", client=client, sleep=no_sleep,
                                 retry=RetryPolicy(max_attempts=2, deadline_s=5))


DOCUMENT = build_document_bundle(make_coded(context=EncounterContext(patient_ref="Patient/123",
                                                                     encounter_ref="Encounter/abc")),
                                 software_version="0.1.0", now=NOW)


@FUZZ
@given(search=bodies, post=bodies, status=st.sampled_from([200, 201, 400, 404, 409, 500]))
async def test_submit_against_a_hostile_server_fails_as_a_stage_error(search, post, status):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, content=search)
        return httpx.Response(status, content=post, headers={"Retry-After": "999999999999"})

    try:
        submission = await destination(answer).submit(encounter_id="enc-42", note_version=1, document=DOCUMENT)
    except FhirSubmissionError as err:
        assert PHI not in str(err)
    else:
        assert submission.mode == "fhir"
