"""The audit trail: which service produced which note version, coding result or EHR submission, when.

One pure mapping, ``audit_record``, turns an output event into its ``AuditRecorded`` (or None for events
that are not audited: audio, turns, partials). Both drivers of a stage apply it at the point where outputs
leave a stage (``shared.delivery.Delivery`` for the FastStream services, ``scribestream.embedded`` for the
in-process bus) through ``with_audit``, so the trail cannot differ between the two.

Records carry ids, versions, outcomes and counts only: no note text, no codes (a diagnosis code is PHI),
no patient, practitioner or encounter references. Record ids derive from the subject event's id, so a
redelivered input re-emits the same record id and consumers drop the duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from shared.contracts import (
    AuditRecorded,
    Event,
    NoteCoded,
    NoteDrafted,
    NoteSubmitted,
    ResourceRef,
    derive_id,
)

Clock = Callable[[], datetime]

# Resource types whose ids point at a person: never in the trail (the brief: not even patient refs).
_PERSON_TYPES = frozenset({"Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Person"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def audit_id(subject_event_id: str, action: str) -> str:
    return derive_id(subject_event_id, "AuditRecorded", action)


def audit_record(event: Event, *, actor: str, occurred_at: datetime) -> AuditRecorded | None:
    """The audit record of one output event, or None when that kind of event is not audited."""
    common = {"encounter_id": event.encounter_id, "actor": actor[:128], "occurred_at": _timestamp(occurred_at),
              "subject_event_id": event.event_id}
    if isinstance(event, NoteDrafted):
        action, extra = "note.drafted", {"note_version": event.note_version, "outcome": event.status,
                                         "final": event.final, "count": len(event.note.statements())}
    elif isinstance(event, NoteCoded):
        action, extra = "note.coded", {"note_version": event.draft.note_version,
                                       "outcome": "coded" if event.codes else "no_codes", "count": len(event.codes)}
    elif isinstance(event, NoteSubmitted):
        resources = [ResourceRef(resource_type=r.resource_type, id=r.id, version=r.version)
                     for r in event.resources if r.resource_type not in _PERSON_TYPES]
        action, extra = "ehr.submitted", {"note_version": event.note_version, "outcome": event.status,
                                          "resources": resources, "count": len(resources)}
    else:
        return None
    return AuditRecorded(event_id=audit_id(event.event_id, action), action=action, **common, **extra)


def forgotten_record(*, encounter_id: str, actor: str, occurred_at: datetime, request_id: str,
                     redis_keys_deleted: int) -> AuditRecorded:
    """``scribestream forget`` ran: who erased which encounter, when, and how many state keys went."""
    return AuditRecorded(event_id=audit_id(request_id, "encounter.forgotten"), encounter_id=encounter_id,
                         action="encounter.forgotten", actor=actor[:128], occurred_at=_timestamp(occurred_at),
                         subject_event_id=request_id, outcome="forgotten",
                         count=redis_keys_deleted)


def with_audit(outputs: Iterable[Event], *, actor: str, clock: Clock = utc_now) -> list[Event]:
    """The outputs of one handled input, each followed by its audit record (if it has one). The record
    comes after its subject: it is published only once the subject was."""
    result: list[Event] = []
    for event in outputs:
        result.append(event)
        record = audit_record(event, actor=actor, occurred_at=clock())
        if record is not None:
            result.append(record)
    return result
