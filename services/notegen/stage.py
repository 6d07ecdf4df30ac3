"""The notegen stage: collects an encounter's turns, and drafts the note when the transcript closes.

Turns are kept in a per-encounter hash keyed by turn id, so a redelivered turn overwrites itself and a
redelivered close drafts the same note with the same event id.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notegen.domain import order_turns
from services.notegen.writers import GroundedWriter, NoteWriter
from shared.contracts import (
    Event,
    NoteDrafted,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    derive_id,
)
from shared.state import DEFAULT_TTL_S, StateStore
from shared.version import software_version as package_version


class IncompleteTranscript(RuntimeError):
    """The close event arrived before all its turns were stored. Retrying later usually succeeds."""

    def __init__(self, *, encounter_id: str, stored: int, expected: int) -> None:
        super().__init__(f"encounter {encounter_id}: {stored} of {expected} turns stored")
        self.encounter_id = encounter_id
        self.stored = stored
        self.expected = expected


def turns_key(encounter_id: str) -> str:
    return f"notegen:turns:{encounter_id}"


class NotegenStage:
    name = "notegen"
    consumes = Topic.TRANSCRIPT_TURNS
    produces = Topic.SOAP_DRAFT

    def __init__(
        self, *, state: StateStore, ttl_s: int = DEFAULT_TTL_S, version: str | None = None,
        writer: NoteWriter | None = None,
    ) -> None:
        self._state = state
        self._ttl_s = ttl_s
        self._writer = writer or GroundedWriter(version=version or package_version())

    async def handle(self, event: Event) -> Sequence[Event]:
        if isinstance(event, TurnTranscribed):
            await self._state.hset(
                turns_key(event.encounter_id), event.turn.turn_id, event.turn.model_dump_json().encode(), ttl_s=self._ttl_s
            )
            return []
        if isinstance(event, TranscriptClosed):
            return [await self._draft(event)]
        raise TypeError(f"{self.name} cannot handle {type(event).__name__}")

    async def _draft(self, closed: TranscriptClosed) -> NoteDrafted:
        stored = await self._state.hgetall(turns_key(closed.encounter_id))
        if len(stored) < closed.turn_count:
            raise IncompleteTranscript(encounter_id=closed.encounter_id, stored=len(stored), expected=closed.turn_count)
        turns = order_turns([Turn.model_validate_json(raw) for raw in stored.values()])
        written = await self._writer.write(turns, context=closed.context, encounter_id=closed.encounter_id)
        result = written.result
        return NoteDrafted(
            event_id=derive_id(closed.encounter_id, "NoteDrafted", 1),
            encounter_id=closed.encounter_id,
            note_version=1,
            status=result.status,
            note=result.note,
            needs_review=result.needs_review,
            unsupported_statement_ids=result.unsupported_statement_ids,
            missing_elements=result.missing_elements,
            generator=written.generator,
            context=closed.context,
            turns=turns,
            asr_model=closed.asr_model,
        )


def build_notegen_stage(
    *, state: StateStore, ttl_s: int = DEFAULT_TTL_S, writer: NoteWriter | None = None
) -> NotegenStage:
    return NotegenStage(state=state, ttl_s=ttl_s, writer=writer)


async def make_stage(settings, store: StateStore) -> NotegenStage:  # settings: NotegenSettings
    from services.notegen.backends import build_writer

    writer = build_writer(backend=settings.notegen_backend, settings=settings, version=package_version())
    return build_notegen_stage(state=store, ttl_s=settings.state_ttl_s, writer=writer)
