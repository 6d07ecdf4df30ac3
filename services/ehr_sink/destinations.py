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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from services.ehr_sink.fhir_builder import build_transaction_bundle, content_fingerprint, resource_refs
from shared.contracts import ResourceRef
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

    def __init__(self, message: str, *, status_code: int | None, issue_codes: tuple[str, ...] = (), retryable: bool):
        super().__init__(message)
        self.status_code = status_code
        self.issue_codes = issue_codes
        self.retryable = retryable


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
        fd, tmp = tempfile.mkstemp(dir=self._dir, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)  # readers see the old file or the new one, never half of one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self._dir)
        return "created"


def _same_note(existing: bytes, document: dict[str, Any]) -> bool:
    try:
        return content_fingerprint(json.loads(existing)) == content_fingerprint(document)
    except (ValueError, AttributeError, TypeError):
        return False  # an unreadable file is replaced


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")
_ETAG = re.compile(r'^(?:W/)?"?([^"]+)"?$')


class FhirServerDestination:
    mode: Mode = "fhir"

    def __init__(self, base_url: str, *, token: str | None, client: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._client = client
        self.location = self._base

    async def submit(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission:
        tx = build_transaction_bundle(document)
        headers = {
            "Content-Type": "application/fhir+json",
            "Accept": "application/fhir+json",
            "Prefer": "return=minimal",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = json.dumps(tx, ensure_ascii=False).encode("utf-8")
        # The base URL, not the id: the transaction endpoint of a FHIR server is its root.
        try:
            response = await self._client.post(self._base, content=body, headers=headers)
        except httpx.TransportError as err:
            raise FhirSubmissionError(
                f"FHIR server unreachable ({type(err).__name__}) for encounter {encounter_id} v{note_version}",
                status_code=None,
                retryable=True,
            ) from None
        if response.status_code >= 400:
            codes = _issue_codes(response)
            raise FhirSubmissionError(
                f"FHIR server answered {response.status_code} to the transaction for encounter {encounter_id} "
                f"v{note_version}; issue codes: {', '.join(codes) or 'none'}",
                status_code=response.status_code,
                issue_codes=codes,
                retryable=response.status_code >= 500 or response.status_code in (408, 429),
            )
        refs, created = _parse_transaction_response(response, expected=[e["request"]["url"] for e in tx["entry"]])
        return Submission(
            mode="fhir", destination=self._base, status="created" if created else "unchanged", resources=refs
        )


def _issue_codes(response: httpx.Response) -> tuple[str, ...]:
    """OperationOutcome issue severity:code pairs. ``diagnostics`` and ``details`` are skipped: servers
    echo the offending content there, and that content is the note."""
    try:
        outcome = response.json()
    except ValueError:
        return ()
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ()
    codes = []
    for issue in outcome.get("issue") or []:
        if isinstance(issue, dict):
            code = str(issue.get("code", "unknown"))[:40]
            severity = str(issue.get("severity", "error"))[:20]
            codes.append(f"{severity}:{code}")
    return tuple(codes[:10])


def _bad_response(reason: str, status: int) -> FhirSubmissionError:
    return FhirSubmissionError(f"unexpected transaction-response: {reason}", status_code=status, retryable=False)


def _parse_transaction_response(response: httpx.Response, *, expected: list[str]) -> tuple[list[ResourceRef], bool]:
    """Resource ids and versions from a transaction-response, and whether anything was created
    (``201``; a conditional create that matched answers ``200``)."""
    try:
        bundle = response.json()
    except ValueError:
        raise _bad_response("body is not JSON", response.status_code) from None
    if not isinstance(bundle, dict) or bundle.get("type") != "transaction-response":
        raise _bad_response("not a transaction-response Bundle", response.status_code)
    entries = bundle.get("entry") or []
    if len(entries) != len(expected):
        raise _bad_response(f"{len(entries)} entries for {len(expected)} requests", response.status_code)
    refs, created = [], False
    for n, (entry, resource_type) in enumerate(zip(entries, expected, strict=True)):
        answer = (entry or {}).get("response") or {}
        status = str(answer.get("status", ""))
        if not status[:3].isdigit() or int(status[:3]) >= 400:
            raise _bad_response(f"entry {n} status {status[:3] or 'missing'}", response.status_code)
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
