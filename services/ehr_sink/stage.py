"""The EHR sink stage: NoteCoded in, one NoteSubmitted out. Kafka-free; the delivery adapter and the
in-process bus both drive it."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.ehr_sink.auth import (
    Authenticator,
    NoAuth,
    SmartBackendAuth,
    StaticBearer,
    load_private_key,
)
from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.destinations import (
    FhirDestination,
    FhirServerDestination,
    OutboxDestination,
    RetryPolicy,
)
from services.ehr_sink.domain import NoteLayout, has_document
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import Event, NoteCoded, NoteSubmitted, Topic, derive_id
from shared.state import StateStore
from shared.version import software_version as shared_software_version

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EhrSinkStage:
    name = "ehr_sink"
    consumes = Topic.SOAP_CODED
    produces = Topic.EHR_SUBMITTED

    def __init__(
        self,
        *,
        destination: FhirDestination,
        software_version: str,
        clock: Callable[[], datetime] = _utc_now,
        layout: NoteLayout | None = None,
    ) -> None:
        self._destination = destination
        self._layout = layout or NoteLayout()
        self._software_version = software_version
        self._clock = clock

    @property
    def destination(self) -> FhirDestination:
        return self._destination

    async def handle(self, event: Event) -> Sequence[Event]:
        if not isinstance(event, NoteCoded):
            raise TypeError(f"{self.name} cannot handle {type(event).__name__}")
        coded = event
        if not coded.draft.final:
            return []  # live drafts never reach the record (coding drops them too; this guards a direct producer)
        note_version = coded.draft.note_version
        common = {
            "event_id": derive_id(coded.event_id, "NoteSubmitted"),
            "encounter_id": coded.encounter_id,
            "note_version": note_version,
        }
        if not has_document(coded):
            log.info("no note to submit", extra={"encounter_id": coded.encounter_id, "outcome": "no_note"})
            return [
                NoteSubmitted(
                    **common,
                    mode=self._destination.mode,
                    destination=self._destination.location,
                    status="no_note",
                    bundle_id="",
                    resources=[],
                )
            ]
        document = build_document_bundle(coded, software_version=self._software_version, now=self._clock(),
                                         layout=self._layout)
        submission = await self._destination.submit(
            encounter_id=coded.encounter_id, note_version=note_version, document=document
        )
        log.info(
            "note submitted",
            extra={
                "encounter_id": coded.encounter_id,
                "outcome": f"{submission.mode}:{submission.status}",
                "resource_count": len(submission.resources),
            },
        )
        return [
            NoteSubmitted(
                **common,
                mode=submission.mode,
                destination=submission.destination,
                status=submission.status,
                bundle_id=document["id"],
                resources=submission.resources,
            )
        ]


def build_ehr_sink_stage(
    *,
    outbox_dir: str | Path,
    fhir_base_url: str | None = None,
    fhir_token: str | None = None,
    client: httpx.AsyncClient | None = None,
    auth: Authenticator | None = None,
    retry: RetryPolicy | None = None,
    layout: NoteLayout | None = None,
    software_version: str | None = None,
) -> EhrSinkStage:
    """The stage with a FHIR server destination when ``fhir_base_url`` is given, else the outbox.
    A FHIR destination needs an httpx client; one is made here when none is passed, and it lives as
    long as the process (it holds a connection pool, not per-request state)."""
    destination: FhirDestination
    if fhir_base_url:
        destination = FhirServerDestination(
            fhir_base_url, token=fhir_token, auth=auth, retry=retry,
            client=client or httpx.AsyncClient(timeout=15.0),
        )
    else:
        destination = OutboxDestination(outbox_dir)
    return EhrSinkStage(destination=destination, software_version=software_version or shared_software_version(),
                        layout=layout)


def http_client(settings: EhrSinkSettings) -> httpx.AsyncClient:
    """TLS verification always on: against the configured CA bundle, or the system store. Every call is
    bounded by ``fhir_timeout_s`` (connect, read, write, pool), so a hung server costs a bounded wait."""
    verify: ssl.SSLContext | bool = True
    if settings.fhir_ca_bundle is not None:
        verify = ssl.create_default_context(cafile=str(settings.fhir_ca_bundle))
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.fhir_timeout_s), verify=verify)


def authenticator(settings: EhrSinkSettings) -> Authenticator:
    if settings.smart_token_url:
        pem = settings.private_key_pem()
        assert pem is not None and settings.smart_client_id  # guaranteed by the settings validator
        return SmartBackendAuth(
            token_url=settings.smart_token_url,
            client_id=settings.smart_client_id,
            private_key=load_private_key(pem),
            alg=settings.smart_alg,
            scope=settings.smart_scope,
            kid=settings.smart_key_id,
        )
    if settings.fhir_token:
        return StaticBearer(settings.fhir_token.get_secret_value())
    return NoAuth()


async def make_stage(settings: EhrSinkSettings, store: StateStore) -> EhrSinkStage:
    """Stage factory for ``shared.runtime`` (called in on_startup). The sink keeps no per-encounter state:
    idempotency comes from deterministic ids and conditional creates, so the state store is unused."""
    layout = NoteLayout(type_code=settings.note_type_code, type_display=settings.note_type_display,
                        combined_assessment_plan=settings.combined_assessment_plan)
    if not settings.fhir_base_url:
        return build_ehr_sink_stage(outbox_dir=settings.outbox_dir, layout=layout)
    return build_ehr_sink_stage(
        outbox_dir=settings.outbox_dir,
        fhir_base_url=settings.fhir_base_url,
        client=http_client(settings),
        auth=authenticator(settings),
        retry=RetryPolicy(max_attempts=settings.fhir_max_attempts, deadline_s=settings.fhir_deadline_s),
        layout=layout,
    )
