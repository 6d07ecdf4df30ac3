"""FhirServerDestination against a real HTTP server started in the test: a small FHIR endpoint that
implements conditional create for transaction Bundles, or answers with errors."""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from services.ehr_sink.destinations import FhirServerDestination, FhirSubmissionError
from services.ehr_sink.fhir_builder import build_document_bundle
from services.ehr_sink.stage import EhrSinkStage
from shared.stage import StageError
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = pytest.mark.integration

PHI = "Hypertension, not well controlled."


@dataclass
class FakeFhirServer:
    """Answers POST <base> with a transaction-response. ``behaviour`` picks the answer."""

    behaviour: str = "conditional"
    requests: list[dict[str, Any]] = field(default_factory=list)
    store: dict[str, tuple[str, str]] = field(default_factory=dict)  # ifNoneExist query -> (type, id)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any] | str]:
        bundle = json.loads(body)
        self.requests.append({"path": path, "headers": headers, "bundle": bundle})
        if self.behaviour == "reject":
            return 400, {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "error", "code": "invalid", "diagnostics": f"Bad text: {PHI}"},
                    {"severity": "error", "code": "required", "details": {"text": PHI}},
                ],
            }
        if self.behaviour == "unavailable":
            return 503, "<html>maintenance</html>"
        if self.behaviour == "not-a-bundle":
            return 200, {"resourceType": "OperationOutcome", "issue": []}
        entries = []
        for entry in bundle["entry"]:
            request = entry["request"]
            key = f"{request['url']}?{request['ifNoneExist']}"
            if key in self.store:
                rtype, rid = self.store[key]
                entries.append({"response": {"status": "200 OK", "location": f"{rtype}/{rid}/_history/1"}})
            else:
                rid = str(next(self.ids))
                self.store[key] = (request["url"], rid)
                entries.append(
                    {"response": {"status": "201 Created", "location": f"http://fhir.test/r4/{request['url']}/{rid}"
                                  f"/_history/1", "etag": 'W/"1"'}}
                )
        return 200, {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}


@pytest.fixture
def fhir_server() -> Iterator[tuple[FakeFhirServer, str]]:
    fake = FakeFhirServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, payload = fake.answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/fhir/r4/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def document() -> dict[str, Any]:
    return build_document_bundle(make_coded(), software_version="0.1.0", now=NOW)


async def test_posts_a_conditional_transaction_and_reads_ids(fhir_server):
    fake, base = fhir_server
    async with httpx.AsyncClient(timeout=5) as client:
        dest = FhirServerDestination(base, token="tok-123", client=client)
        sub = await dest.submit(encounter_id="enc-42", note_version=1, document=document())
    assert sub.mode == "fhir" and sub.status == "created" and sub.destination == base.rstrip("/")
    assert [(r.resource_type, r.version) for r in sub.resources] == [
        ("Composition", "1"), ("Condition", "1"), ("Condition", "1"), ("DocumentReference", "1"), ("Provenance", "1")
    ]
    assert [r.id for r in sub.resources] == ["1000", "1001", "1002", "1003", "1004"]
    (request,) = fake.requests
    assert request["path"] == "/fhir/r4"
    assert request["headers"]["authorization"] == "Bearer tok-123"
    assert request["headers"]["content-type"] == "application/fhir+json"
    bundle = request["bundle"]
    assert bundle["type"] == "transaction"
    assert all(e["request"]["method"] == "POST" and e["request"]["ifNoneExist"] for e in bundle["entry"])
    assert bundle["entry"][0]["request"]["ifNoneExist"] == "identifier=urn:scribestream:note|enc-42/v1"


async def test_second_submission_of_the_same_note_is_unchanged(fhir_server):
    fake, base = fhir_server
    async with httpx.AsyncClient(timeout=5) as client:
        stage = EhrSinkStage(destination=FhirServerDestination(base, token=None, client=client),
                             software_version="0.1.0")
        (first,) = await stage.handle(make_coded())
        (second,) = await stage.handle(make_coded())  # a redelivery, built at a later wall-clock time
    assert first.status == "created" and second.status == "unchanged"
    assert [r.id for r in first.resources] == [r.id for r in second.resources]
    assert first.event_id == second.event_id
    assert len(fake.store) == 5
    assert all("authorization" not in r["headers"] for r in fake.requests)


async def test_rejection_reports_issue_codes_without_note_text(fhir_server):
    fake, base = fhir_server
    fake.behaviour = "reject"
    async with httpx.AsyncClient(timeout=5) as client:
        dest = FhirServerDestination(base, token=None, client=client)
        with pytest.raises(FhirSubmissionError) as err:
            await dest.submit(encounter_id="enc-42", note_version=1, document=document())
    assert err.value.status_code == 400 and not err.value.retryable
    assert err.value.issue_codes == ("error:invalid", "error:required")
    assert "400" in str(err.value) and "error:invalid" in str(err.value) and "enc-42" in str(err.value)
    assert PHI not in str(err.value) and "Bad text" not in str(err.value)
    assert isinstance(err.value, StageError)  # the delivery mechanism may put its message in DLQ headers


async def test_server_errors_are_retryable(fhir_server):
    fake, base = fhir_server
    fake.behaviour = "unavailable"
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(base, token=None, client=client).submit(
                encounter_id="enc-42", note_version=1, document=document()
            )
    assert err.value.status_code == 503 and err.value.retryable and err.value.issue_codes == ()


async def test_a_response_that_is_not_a_transaction_response_is_an_error(fhir_server):
    fake, base = fhir_server
    fake.behaviour = "not-a-bundle"
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError, match="transaction-response"):
            await FhirServerDestination(base, token=None, client=client).submit(
                encounter_id="enc-42", note_version=1, document=document()
            )


async def test_unreachable_server_is_retryable():
    with socket.socket() as sock:  # a port that was free a moment ago, with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(f"http://127.0.0.1:{port}/fhir", token="t", client=client).submit(
                encounter_id="enc-42", note_version=1, document=document()
            )
    assert err.value.retryable and err.value.status_code is None
