"""The EHR sink stage: NoteCoded in, one NoteSubmitted out. Kafka-free; the delivery adapter and the
in-process bus both drive it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from services.ehr_sink.destinations import FhirDestination
from services.ehr_sink.domain import has_document
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import Event, NoteCoded, NoteSubmitted, Topic, derive_id

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

    async def handle(self, event: Event) -> Sequence[Event]:
        if not isinstance(event, NoteCoded):
            raise TypeError(f"{self.name} cannot handle {type(event).__name__}")
        coded = event
        version = coded.draft.note_version
        common = {
            "event_id": derive_id(coded.event_id, "NoteSubmitted"),
            "encounter_id": coded.encounter_id,
            "note_version": version,
        }
        if not has_document(coded):
            log.info("no note to submit", extra={"encounter_id": coded.encounter_id, "note_version": version})
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
            encounter_id=coded.encounter_id, note_version=version, document=document
        )
        log.info(
            "note submitted",
            extra={
                "encounter_id": coded.encounter_id,
                "note_version": version,
                "mode": submission.mode,
                "status": submission.status,
                "resources": len(submission.resources),
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
