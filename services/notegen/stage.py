"""The notegen stage: collects an encounter's turns, publishes debounced live drafts while the visit streams,
and drafts the final note when the transcript closes.

Turns are kept in a per-encounter hash keyed by turn id, so a redelivered turn overwrites itself. The live
draft state (``services.notegen.live``) sits beside it in the same store, so versions continue on whichever
replica owns the partition, and a redelivered input re-publishes the same version with the same event id.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.notegen.domain import order_turns
from services.notegen.keys import live_key, turns_key
from services.notegen.live import (
    LivePolicy,
    LiveState,
    after_draft,
    draft_due,
    final_version,
)
from services.notegen.summary import after_visit_summary
from services.notegen.templates import template_for
from services.notegen.writers import GroundedWriter, NoteWriter, WrittenNote
from shared.contracts import (
    EncounterContext,
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


class NotegenStage:
    name = "notegen"
    consumes = Topic.TRANSCRIPT_TURNS
    produces = Topic.SOAP_DRAFT

    def __init__(
        self, *, state: StateStore, ttl_s: int = DEFAULT_TTL_S, version: str | None = None,
        writer: NoteWriter | None = None, live: LivePolicy | None = None, live_writer: NoteWriter | None = None,
    ) -> None:
        self._state = state
        self._ttl_s = ttl_s
        self._writer = writer or GroundedWriter(version=version or package_version())
        self._live = live or LivePolicy(enabled=False)
        # Live drafts are rewritten every few turns: the offline writer by default, so they cost no LLM calls.
        self._live_writer = live_writer or GroundedWriter(version=version or package_version())

    async def handle(self, event: Event) -> Sequence[Event]:
        if isinstance(event, TurnTranscribed):
            await self._state.hset(
                turns_key(event.encounter_id), event.turn.turn_id, event.turn.model_dump_json().encode(), ttl_s=self._ttl_s
            )
            return await self._live_draft(event) if self._live.enabled else []
        if isinstance(event, TranscriptClosed):
            return [await self._draft(event)]
        raise TypeError(f"{self.name} cannot handle {type(event).__name__}")

    async def _load_live(self, encounter_id: str) -> LiveState:
        raw = await self._state.get(live_key(encounter_id))
        return LiveState() if raw is None else LiveState.model_validate_json(raw)

    async def _save_live(self, encounter_id: str, state: LiveState) -> None:
        await self._state.set(live_key(encounter_id), state.model_dump_json().encode(), ttl_s=self._ttl_s)

    async def _turns(self, encounter_id: str) -> list[Turn]:
        stored = await self._state.hgetall(turns_key(encounter_id))
        return order_turns([Turn.model_validate_json(raw) for raw in stored.values()])

    async def _live_draft(self, event: TurnTranscribed) -> list[NoteDrafted]:
        enc = event.encounter_id
        state = await self._load_live(enc)
        if state.closed:
            return []
        if state.version and state.trigger_event_id == event.event_id:
            # Redelivered after it published (or crashed publishing) this version: the same version again.
            turns = await self._turns(enc)
            written = await self._live_writer.write(turns, context=EncounterContext(), encounter_id=enc)
            return [self._drafted(enc, version=state.version, written=written, turns=turns, final=False)]
        stored = await self._state.hgetall(turns_key(enc))
        count, seconds = len(stored), max(event.turn.end, state.seconds)
        if not draft_due(self._live, state, turns=count, seconds=seconds):
            return []
        turns = order_turns([Turn.model_validate_json(raw) for raw in stored.values()])
        # The producer's context arrives with the close; live drafts use the default template until then.
        written = await self._live_writer.write(turns, context=EncounterContext(), encounter_id=enc)
        clinical = written.result.status == "drafted"  # small talk so far: nothing to show, never a made-up visit
        new = after_draft(state, turns=count, seconds=seconds, event_id=event.event_id,
                          note=written.result.note if clinical else None)
        await self._save_live(enc, new)
        if new.version == state.version:
            return []
        return [self._drafted(enc, version=new.version, written=written, turns=turns, final=False)]

    async def _draft(self, closed: TranscriptClosed) -> NoteDrafted:
        enc = closed.encounter_id
        turns = await self._turns(enc)
        if len(turns) < closed.turn_count:
            raise IncompleteTranscript(encounter_id=enc, stored=len(turns), expected=closed.turn_count)
        written = await self._writer.write(turns, context=closed.context, encounter_id=enc)
        state = await self._load_live(enc)
        version = final_version(state)
        if not state.closed:
            await self._save_live(enc, state.model_copy(update={"final_version": version}))
        return self._drafted(enc, version=version, written=written, turns=turns, final=True, context=closed.context,
                             asr_model=closed.asr_model)

    def _drafted(self, encounter_id: str, *, version: int, written: WrittenNote, turns: list[Turn], final: bool,
                 context: EncounterContext | None = None, asr_model: str = "") -> NoteDrafted:
        result = written.result
        context = context or EncounterContext()
        template = template_for(context.specialty)
        summary = after_visit_summary(result.note, turns) if final and result.status == "drafted" else []
        return NoteDrafted(
            event_id=derive_id(encounter_id, "NoteDrafted", version),
            encounter_id=encounter_id,
            note_version=version,
            status=result.status,
            note=result.note,
            needs_review=result.needs_review,
            unsupported_statement_ids=result.unsupported_statement_ids,
            missing_elements=result.missing_elements,
            generator=written.generator,
            context=context,
            turns=turns,
            asr_model=asr_model,
            final=final,
            template_id=template.name,
            loinc_code=template.loinc,
            loinc_display=template.type_display,
            after_visit_summary=summary,
        )


def build_notegen_stage(
    *, state: StateStore, ttl_s: int = DEFAULT_TTL_S, writer: NoteWriter | None = None,
    live: LivePolicy | None = None,
) -> NotegenStage:
    """Without ``live`` there are no live drafts (the embedded run writes one note per visit)."""
    return NotegenStage(state=state, ttl_s=ttl_s, writer=writer, live=live)


async def make_stage(settings, store: StateStore) -> NotegenStage:  # settings: NotegenSettings
    from services.notegen.backends import build_writer

    writer = build_writer(backend=settings.notegen_backend, settings=settings, version=package_version())
    return build_notegen_stage(state=store, ttl_s=settings.state_ttl_s, writer=writer, live=settings.live_policy())
