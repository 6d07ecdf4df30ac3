"""FhirServerDestination's failure handling and SMART Backend Services auth, against a scripted HTTP server
started in the test: behaviours a real FHIR server will not produce on demand (503, 429 + Retry-After,
a token endpoint). What a real server accepts is tested in test_ehr_sink_hapi.py."""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from services.ehr_sink.auth import AuthError, SmartBackendAuth, load_private_key
from services.ehr_sink.destinations import (
    FhirServerDestination,
    FhirSubmissionError,
    RetryPolicy,
)
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import EncounterContext
from shared.stage import StageError
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = pytest.mark.integration

PHI = "Hypertension, not well controlled."
CTX = EncounterContext(patient_ref="Patient/123", encounter_ref="Encounter/abc")
Answer = tuple[int, dict[str, str], Any]


@dataclass
class ScriptedServer:
    """POST <base>: the next scripted answer, or a conditional-create transaction-response when the script
    is empty. GET: an empty searchset. POST /token: SMART token endpoint that checks the client assertion."""

    script: list[Answer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    store: dict[str, str] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    public_key: Any = None
    token_counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    token_lifetime_s: int = 300

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        if path.endswith("/token"):
            return self.token(body)
        if method == "GET":
            return 200, {}, {"resourceType": "Bundle", "type": "searchset", "total": 0}
        if self.script:
            return self.script.pop(0)
        entries = []
        for entry in json.loads(body)["entry"]:
            key = f"{entry['request']['url']}?{entry['request'].get('ifNoneExist')}"
            created = key not in self.store
            rid = self.store.setdefault(key, str(next(self.ids)))
            entries.append({"response": {"status": "201 Created" if created else "200 OK",
                                         "location": f"{entry['request']['url']}/{rid}/_history/1"}})
        return 200, {}, {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}

    def token(self, body: bytes) -> Answer:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        ok = (form.get("grant_type") == "client_credentials"
              and form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
              and verify_jwt(form.get("client_assertion", ""), self.public_key))
        if not ok:
            return 401, {}, {"error": "invalid_client", "error_description": "assertion rejected"}
        return 200, {}, {"access_token": f"token-{next(self.token_counter)}", "token_type": "bearer",
                         "expires_in": self.token_lifetime_s, "scope": form.get("scope", "")}

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST" and not r["path"].endswith("/token")]


def verify_jwt(token: str, public_key: Any) -> bool:
    """What the authorization server does with the assertion: check the signature with our registered key."""
    try:
        head, claims, sig = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=="))
        signature = base64.urlsafe_b64decode(sig + "==")
        signed = f"{head}.{claims}".encode()
        if header["alg"] == "RS384":
            public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA384())
        elif header["alg"] == "ES384":
            der = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
            public_key.verify(der, signed, ec.ECDSA(hashes.SHA384()))
        else:
            return False
        payload = json.loads(base64.urlsafe_b64decode(claims + "=="))
        return payload["iss"] == payload["sub"] == "scribestream-client" and payload["aud"].endswith("/token")
    except (ValueError, KeyError, InvalidSignature):
        return False


@pytest.fixture
def server() -> Iterator[tuple[ScriptedServer, str]]:
    scripted = ScriptedServer()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, headers, payload = scripted.answer(method, self.path, {k.lower(): v for k, v in
                                                                            self.headers.items()}, body)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield scripted, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class Sleeps:
    """Records the waits instead of sleeping: the test checks the backoff, not the wall clock."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def document() -> dict[str, Any]:
    return build_document_bundle(make_coded(context=CTX), software_version="0.1.0", now=NOW)


def reject(status: int = 400) -> Answer:
    return status, {}, {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "diagnostics": f"Bad text: {PHI}"},
        {"severity": "error", "code": "required", "details": {"text": PHI}}]}


async def test_posts_a_conditional_transaction_with_the_bearer_token(server):
    scripted, base = server
    async with httpx.AsyncClient(timeout=5) as client:
        sub = await FhirServerDestination(f"{base}/fhir/", token="tok-123", client=client).submit(
            encounter_id="enc-42", note_version=1, document=document())
    assert (sub.mode, sub.status, sub.destination) == ("fhir", "created", f"{base}/fhir")
    assert [r.id for r in sub.resources] == ["1000", "1001", "1002", "1003", "1004", "1005"]
    search, post = scripted.requests
    assert search["method"] == "GET" and search["path"].startswith("/fhir/DocumentReference?")
    assert "_tag=urn%3Ascribestream%3Aencounter%7Cenc-42" in search["path"]
    assert post["path"] == "/fhir" and post["headers"]["authorization"] == "Bearer tok-123"
    bundle = json.loads(post["body"])
    assert bundle["type"] == "transaction"
    assert all(e["request"]["method"] == "POST" and e["request"]["ifNoneExist"] for e in bundle["entry"])


async def test_rejection_goes_to_the_dlq_with_issue_codes_only(server):
    scripted, base = server
    scripted.script = [reject(422)]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(base, client=client, sleep=sleeps).submit(
                encounter_id="enc-42", note_version=1, document=document())
    assert err.value.status_code == 422 and not err.value.retryable
    assert err.value.issue_codes == ("error:invalid", "error:required")
    assert "error:invalid" in str(err.value) and "enc-42" in str(err.value)
    assert PHI not in str(err.value) and "Bad text" not in str(err.value)
    assert isinstance(err.value, StageError)  # its message may go into DLQ headers
    assert len(scripted.posts()) == 1 and sleeps.waits == []  # a 4xx is not retried


async def test_server_errors_are_retried_with_jittered_backoff(server):
    scripted, base = server
    scripted.script = [(503, {}, "<html>maintenance</html>"), (502, {}, ""), (500, {}, "")]
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, initial_wait_s=0.5, max_wait_s=8.0)
    async with httpx.AsyncClient(timeout=5) as client:
        sub = await FhirServerDestination(base, client=client, retry=policy, sleep=sleeps).submit(
            encounter_id="enc-42", note_version=1, document=document())
    assert sub.status == "created" and len(scripted.posts()) == 4
    assert len(sleeps.waits) == 3
    # full jitter: each wait is random in [0, 0.5 * 2^n], capped
    assert all(0 <= w <= min(0.5 * 2 ** (n + 1), 8.0) for n, w in enumerate(sleeps.waits))


async def test_retry_after_is_honoured(server):
    scripted, base = server
    scripted.script = [(429, {"Retry-After": "3"}, reject(429)[2])]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        sub = await FhirServerDestination(base, client=client, sleep=sleeps).submit(
            encounter_id="enc-42", note_version=1, document=document())
    assert sub.status == "created" and sleeps.waits == [3.0]


async def test_a_retry_after_beyond_the_budget_gives_up_at_once_without_calling_early(server):
    scripted, base = server
    scripted.script = [(503, {"Retry-After": "600"}, "")]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(base, client=client, sleep=sleeps).submit(
                encounter_id="enc-42", note_version=1, document=document())
    assert err.value.retryable and err.value.retry_after == 600.0
    assert len(scripted.posts()) == 1 and sleeps.waits == []


async def test_persistent_failure_stops_after_max_attempts(server):
    scripted, base = server
    scripted.script = [(503, {}, "")] * 10
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(base, client=client, sleep=sleeps,
                                        retry=RetryPolicy(max_attempts=3)).submit(
                encounter_id="enc-42", note_version=1, document=document())
    assert err.value.status_code == 503 and err.value.retryable
    assert len(scripted.posts()) == 3 and len(sleeps.waits) == 2


async def test_a_response_that_is_not_a_transaction_response_is_an_error(server):
    scripted, base = server
    scripted.script = [(200, {}, {"resourceType": "OperationOutcome", "issue": []})]
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(FhirSubmissionError, match="transaction-response"):
            await FhirServerDestination(base, client=client).submit(
                encounter_id="enc-42", note_version=1, document=document())


async def test_unreachable_server_is_retryable():
    with socket.socket() as sock:  # a port that was free a moment ago, with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(FhirSubmissionError) as err:
            await FhirServerDestination(f"http://127.0.0.1:{port}/fhir", token="t", client=client, sleep=sleeps,
                                        retry=RetryPolicy(max_attempts=2)).submit(
                encounter_id="enc-42", note_version=1, document=document())
    assert err.value.retryable and err.value.status_code is None and len(sleeps.waits) == 1


async def test_a_note_without_a_patient_never_leaves(server):
    scripted, base = server
    doc = build_document_bundle(make_coded(context=EncounterContext()), software_version="0.1.0", now=NOW)
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(StageError, match="subject must reference a Patient"):
            await FhirServerDestination(base, client=client).submit(encounter_id="enc-42", note_version=1,
                                                                    document=doc)
    assert scripted.requests == []


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
async def test_smart_backend_services_token_is_fetched_once_and_renewed_on_expiry(server, alg):
    scripted, base = server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg == "RS384" \
        else ec.generate_private_key(ec.SECP384R1())
    scripted.public_key = key.public_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    now = [1_000_000.0]
    auth = SmartBackendAuth(token_url=f"{base}/token", client_id="scribestream-client",
                            private_key=load_private_key(pem), alg=alg, scope="system/DocumentReference.crus",
                            kid="k1", clock=lambda: now[0])
    async with httpx.AsyncClient(timeout=5) as client:
        dest = FhirServerDestination(f"{base}/fhir", client=client, auth=auth)
        for _ in range(2):
            await dest.submit(encounter_id="enc-42", note_version=1, document=document())
        assert auth.token_requests == 1  # cached: four FHIR calls, one token
        now[0] += 300  # past expires_in
        await dest.submit(encounter_id="enc-42", note_version=1, document=document())
    assert auth.token_requests == 2
    fhir_auth = [r["headers"]["authorization"] for r in scripted.requests if not r["path"].endswith("/token")]
    assert fhir_auth == ["Bearer token-1"] * 4 + ["Bearer token-2"] * 2
    token_form = dict(urllib.parse.parse_qsl(scripted.requests[0]["body"].decode()))
    assert token_form["scope"] == "system/DocumentReference.crus"
    assert "client_secret" not in token_form


async def test_a_revoked_smart_token_is_replaced_once(server):
    scripted, base = server
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    scripted.public_key = key.public_key()
    auth = SmartBackendAuth(token_url=f"{base}/token", client_id="scribestream-client", private_key=key,
                            alg="RS384", scope="system/*.cruds")
    scripted.script = [(401, {}, {"resourceType": "OperationOutcome",
                                  "issue": [{"severity": "error", "code": "login"}]})]
    sleeps = Sleeps()
    async with httpx.AsyncClient(timeout=5) as client:
        sub = await FhirServerDestination(base, client=client, auth=auth, sleep=sleeps).submit(
            encounter_id="enc-42", note_version=1, document=document())
    assert sub.status == "created" and auth.token_requests == 2


async def test_a_refused_client_assertion_is_a_phi_free_auth_error(server):
    scripted, base = server
    scripted.public_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()  # not ours
    auth = SmartBackendAuth(token_url=f"{base}/token", client_id="scribestream-client",
                            private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
                            alg="RS384", scope="system/*.cruds")
    async with httpx.AsyncClient(timeout=5) as client:
        with pytest.raises(AuthError) as err:
            await FhirServerDestination(base, client=client, auth=auth).submit(
                encounter_id="enc-42", note_version=1, document=document())
    assert str(err.value) == "token endpoint answered 401 (invalid_client)" and not err.value.retryable
    assert scripted.posts() == []
