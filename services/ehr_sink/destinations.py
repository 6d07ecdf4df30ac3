"""Where a finished document goes: the ``FhirDestination`` port and its two adapters.

``OutboxDestination`` writes one JSON file per encounter and note version (the embedded run, and any
site that imports files). ``FhirServerDestination`` posts a transaction Bundle with conditional creates
to a FHIR server. Both are idempotent: the same note submitted twice reports "unchanged".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
from pydantic_core import from_json
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.wait import wait_random_exponential

from services.ehr_sink.auth import Authenticator, AuthError, NoAuth, StaticBearer
from services.ehr_sink.domain import ENCOUNTER_TAG_SYSTEM, NOTE_ID_SYSTEM
from services.ehr_sink.fhir_builder import (
    build_transaction_bundle,
    check_us_core,
    content_fingerprint,
    resource_refs,
)
from shared.contracts import ResourceRef
from shared.files import PRIVATE, write_atomic
from shared.http import retry_after_seconds
from shared.stage import StageError

Mode = Literal["outbox", "fhir"]
SubmissionStatus = Literal["created", "unchanged"]


@dataclass(frozen=True)
class Submission:
    mode: Mode
    destination: str  # outbox file path or FHIR base URL
    status: SubmissionStatus
    resources: list[ResourceRef] = field(default_factory=list)


class FhirDestination(Protocol):
    mode: Mode
    location: str  # where submissions go, for events about notes that were not submitted

    async def submit(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission: ...


class FhirSubmissionError(StageError):
    """The destination refused or failed. ``retryable`` separates a server that may recover (5xx, 429,
    network) from a request that will fail the same way again (other 4xx). The message holds the
    status and OperationOutcome issue codes only, never note text."""

    def __init__(self, message: str, *, status_code: int | None, issue_codes: tuple[str, ...] = (), retryable: bool,
                 retry_after: float | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.issue_codes = issue_codes
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After), if it did


def _serialize(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class OutboxDestination:
    mode: Mode = "outbox"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._dir = Path(directory)
        self.location = str(self._dir)

    def path_for(self, *, encounter_id: str, note_version: int) -> Path:
        """The file name is a hash of the encounter id, so no id, however hostile, names a path outside
        the folder (and ids do not leak through directory listings)."""
        if isinstance(note_version, bool) or not isinstance(note_version, int) or note_version < 1:
            raise ValueError("note_version must be a positive integer")
        digest = hashlib.sha256(encounter_id.encode("utf-8")).hexdigest()[:32]
        return self._dir / f"note-{digest}-v{note_version}.fhir.json"

    async def submit(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission:
        path = self.path_for(encounter_id=encounter_id, note_version=note_version)
        status = await asyncio.to_thread(self._write, path, document)
        return Submission(mode="outbox", destination=str(path), status=status, resources=resource_refs(document))

    def _write(self, path: Path, document: dict[str, Any]) -> SubmissionStatus:
        data = _serialize(document)
        self._dir.mkdir(parents=True, exist_ok=True)
        try:
            existing = path.read_bytes()
        except FileNotFoundError:
            existing = None
        if existing is not None and (existing == data or _same_note(existing, document)):
            # Same note again (a redelivery): keep the first file, timestamps included.
            return "unchanged"
        # Readers see the old file or the new one, never half of one; private (the note is PHI), and on disk
        # before "created" is reported, since the event that says so lets the input go.
        write_atomic(path, data, mode=PRIVATE, durable=True)
        return "created"


def _same_note(existing: bytes, document: dict[str, Any]) -> bool:
    try:
        return content_fingerprint(json.loads(existing)) == content_fingerprint(document)
    except (ValueError, AttributeError, TypeError):
        return False  # an unreadable file is replaced


_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")
_ETAG = re.compile(r'^(?:W/)?"?([^"]+)"?$')


@dataclass(frozen=True)
class RetryPolicy:
    """Retries inside one ``submit``: exponential backoff with full jitter on 429, 5xx, 408/409/412 and
    network errors, honouring ``Retry-After``. Bounded in attempts and time so one slow server call never
    holds the consumer for long; what is still failing after that goes back to the delivery mechanism
    (its own retries, then the DLQ)."""

    max_attempts: int = 4
    initial_wait_s: float = 0.5
    max_wait_s: float = 8.0
    max_retry_after_s: float = 20.0  # a server asking for a longer pause is not called earlier: we give up
    deadline_s: float = 40.0


class FhirServerDestination:
    mode: Mode = "fhir"

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        client: httpx.AsyncClient,
        auth: Authenticator | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._auth: Authenticator = auth or (StaticBearer(token) if token else NoAuth())
        self._client = client
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.location = self._base

    async def submit(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission:
        # What EHRs reject or misfile is refused here, before anything leaves: US Core elements, patient.
        check_us_core(document)
        policy = self._retry

        def wait(state: RetryCallState) -> float:
            err = state.outcome.exception() if state.outcome else None
            retry_after = getattr(err, "retry_after", None)
            if retry_after is not None:
                return retry_after
            return wait_random_exponential(multiplier=policy.initial_wait_s, max=policy.max_wait_s)(state)

        def should_retry(err: BaseException) -> bool:
            if not isinstance(err, (FhirSubmissionError, AuthError)) or not err.retryable:
                return False
            retry_after = getattr(err, "retry_after", None)
            return retry_after is None or retry_after <= policy.max_retry_after_s

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.deadline_s),
            wait=wait,
            retry=retry_if_exception(should_retry),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._submit_once(encounter_id=encounter_id, note_version=note_version,
                                               document=document)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _submit_once(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission:
        where = f"encounter {encounter_id} v{note_version}"
        filed = await self._filed_versions(encounter_id=encounter_id, where=where)
        older = [(rid, vid) for version, rid, vid in filed if version < note_version]
        newer = any(version > note_version for version, _, _ in filed)
        tx = build_transaction_bundle(document, supersedes=older, superseded=newer)
        body = json.dumps(tx, ensure_ascii=False).encode("utf-8")
        # The base URL, not the id: the transaction endpoint of a FHIR server is its root.
        response = await self._request("POST", self._base, where=where, content=body,
                                       headers={"Content-Type": "application/fhir+json", "Prefer": "return=minimal"})
        refs, created = _parse_transaction_response(response, expected=[_entry_type(e) for e in tx["entry"]])
        return Submission(
            mode="fhir", destination=self._base, status="created" if created else "unchanged", resources=refs
        )

    async def _filed_versions(self, *, encounter_id: str, where: str) -> list[tuple[int, str, str | None]]:
        """(note version, server id, version id) of this encounter's DocumentReferences that are still
        ``current``: the ones a newer version replaces."""
        params = {"_tag": f"{ENCOUNTER_TAG_SYSTEM}|{encounter_id}", "status": "current",
                  "_elements": "identifier", "_count": "100"}
        # no-cache: servers (HAPI among them) reuse a recent identical search's results, which would hide
        # the version filed a moment ago.
        response = await self._request("GET", f"{self._base}/DocumentReference", where=where, params=params,
                                       headers={"Cache-Control": "no-cache"})
        bundle = _json_body(response, what="search answer")
        prefix = f"{encounter_id}/v"
        found = []
        for entry in _dicts(bundle.get("entry") if isinstance(bundle, dict) else None):
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            for ident in _dicts(resource.get("identifier")):
                value = str(ident.get("value", ""))
                version = _VERSION.match(value[len(prefix):]) if value.startswith(prefix) else None
                if ident.get("system") == NOTE_ID_SYSTEM and version:
                    meta = resource.get("meta")
                    version_id = meta.get("versionId") if isinstance(meta, dict) else None
                    found.append((int(version.group(0)), str(resource.get("id"))[:64],
                                  str(version_id)[:64] if version_id is not None else None))
        return found

    async def _request(self, method: str, url: str, *, where: str, **kwargs: Any) -> httpx.Response:
        headers = {"Accept": "application/fhir+json", **kwargs.pop("headers", {})}
        headers.update(await self._auth.headers(self._client))
        try:
            response = await self._client.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as err:  # timeouts included
            raise FhirSubmissionError(
                f"FHIR server unreachable ({type(err).__name__}) for {where}", status_code=None, retryable=True
            ) from None
        if response.status_code < 400:
            return response
        if response.status_code == 401:
            self._auth.invalidate()  # a SMART token may have been revoked early: the retry fetches a new one
        codes = _issue_codes(response)
        status = response.status_code
        raise FhirSubmissionError(
            f"FHIR server answered {status} to {method} for {where}; issue codes: {', '.join(codes) or 'none'}",
            status_code=status,
            issue_codes=codes,
            retryable=status >= 500 or status in (408, 409, 412, 429) or (status == 401 and self._auth.renewable),
            retry_after=retry_after_seconds(response.headers, now=time.time()),
        )


# Hostile or broken servers: a body larger than this is refused unparsed (bounded memory), JSON is parsed by
# pydantic-core (deep nesting is an error, not a RecursionError), and only dicts in lists are looked into.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_VERSION = re.compile(r"[0-9]{1,9}\Z")


def _json_body(response: httpx.Response, *, what: str) -> Any:
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise _bad_response(f"{what} of {len(response.content)} bytes is too large", response.status_code)
    try:
        return from_json(response.content)
    except ValueError:
        raise _bad_response(f"{what} is not JSON", response.status_code) from None


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _entry_type(entry: dict[str, Any]) -> str:
    return entry["request"]["url"].split("/", 1)[0].split("?", 1)[0]


def _issue_codes(response: httpx.Response) -> tuple[str, ...]:
    """OperationOutcome issue severity:code pairs. ``diagnostics`` and ``details`` are skipped: servers
    echo the offending content there, and that content is the note."""
    try:
        outcome = _json_body(response, what="error body")
    except FhirSubmissionError:
        return ()
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ()
    codes = []
    for issue in _dicts(outcome.get("issue"))[:10]:
        code = str(issue.get("code", "unknown"))[:40]
        severity = str(issue.get("severity", "error"))[:20]
        codes.append(f"{severity}:{code}")
    return tuple(codes)


def _bad_response(reason: str, status: int) -> FhirSubmissionError:
    return FhirSubmissionError(f"unexpected transaction-response: {reason}", status_code=status, retryable=False)


def _parse_transaction_response(response: httpx.Response, *, expected: list[str]) -> tuple[list[ResourceRef], bool]:
    """Resource ids and versions from a transaction-response, and whether anything was created
    (``201``; a conditional create that matched answers ``200``)."""
    bundle = _json_body(response, what="body")
    if (not isinstance(bundle, dict) or bundle.get("resourceType", "Bundle") != "Bundle"
            or bundle.get("type") != "transaction-response"):
        raise _bad_response("not a transaction-response Bundle", response.status_code)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise _bad_response("entry is not a list", response.status_code)
    if len(entries) != len(expected):
        raise _bad_response(f"{len(entries)} entries for {len(expected)} requests", response.status_code)
    refs, created = [], False
    for n, (entry, resource_type) in enumerate(zip(entries, expected, strict=True)):
        answer = entry.get("response") if isinstance(entry, dict) else None
        answer = answer if isinstance(answer, dict) else {}
        status = str(answer.get("status", ""))
        code = status[:3] if re.match(r"[0-9]{3}", status) else None  # ASCII only: int("²⁰¹") raises
        if code is None or int(code) >= 400:
            raise _bad_response(f"entry {n} status {code or 'missing or invalid'}", response.status_code)
        created = created or status.startswith("201")
        match = _LOCATION.search(str(answer.get("location", "")))
        if not match or match.group(1) != resource_type:
            raise _bad_response(f"entry {n} has no {resource_type} location", response.status_code)
        version = match.group(3)
        if version is None and answer.get("etag"):
            etag = _ETAG.match(str(answer["etag"]))
            version = etag.group(1) if etag else None
        refs.append(ResourceRef(resource_type=resource_type, id=match.group(2), version=version))
    return refs, created
