"""The EHR sink stage: NoteCoded in, one NoteSubmitted out. Kafka-free; the delivery adapter and the
in-process bus both drive it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
import httpx

from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.destinations import FhirDestination, FhirServerDestination, OutboxDestination
from services.ehr_sink.domain import has_document
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import Event, NoteCoded, NoteSubmitted, Topic, derive_id
from shared.state import StateStore

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
    ) -> None:
        self._destination = destination
        self._software_version = software_version
        self._clock = clock

    @property
    def destination(self) -> FhirDestination:
        return self._destination

    async def handle(self, event: Event) -> Sequence[Event]:
        if not isinstance(event, NoteCoded):
            raise TypeError(f"{self.name} cannot handle {type(event).__name__}")
        coded = event
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
        document = build_document_bundle(coded, software_version=self._software_version, now=self._clock())
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


def _software_version() -> str:
    try:
        return metadata.version("scribestream")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


def build_ehr_sink_stage(
    *,
    outbox_dir: str | Path,
    fhir_base_url: str | None = None,
    fhir_token: str | None = None,
    client: httpx.AsyncClient | None = None,
    software_version: str | None = None,
) -> EhrSinkStage:
    """The stage with a FHIR server destination when ``fhir_base_url`` is given, else the outbox.
    A FHIR destination needs an httpx client; one is made here when none is passed, and it lives as
    long as the process (it holds a connection pool, not per-request state)."""
    destination: FhirDestination
    if fhir_base_url:
        destination = FhirServerDestination(
            fhir_base_url, token=fhir_token, client=client or httpx.AsyncClient(timeout=15.0)
        )
    else:
        destination = OutboxDestination(outbox_dir)
    return EhrSinkStage(destination=destination, software_version=software_version or _software_version())


async def make_stage(settings: EhrSinkSettings, store: StateStore) -> EhrSinkStage:
    """Stage factory for ``shared.runtime`` (called in on_startup). The sink keeps no per-encounter state:
    idempotency comes from deterministic ids and conditional creates, so the state store is unused."""
    token = settings.fhir_token.get_secret_value() if settings.fhir_token else None
    client = httpx.AsyncClient(timeout=settings.fhir_timeout_s) if settings.fhir_base_url else None
    return build_ehr_sink_stage(
        outbox_dir=settings.outbox_dir, fhir_base_url=settings.fhir_base_url, fhir_token=token, client=client
    )
