"""NotegenStage with the in-memory state store."""

from __future__ import annotations

import uuid

import pytest

from services.notegen.stage import IncompleteTranscript, NotegenStage
from shared.contracts import (
    EncounterContext,
    NoteDrafted,
    Topic,
    TranscriptClosed,
    TurnTranscribed,
    derive_id,
)
from shared.state import MemoryStateStore
from tests.helpers.notegen import turn_events

pytestmark = pytest.mark.unit


def events(encounter_id: str) -> tuple[list[TurnTranscribed], TranscriptClosed]:
    turns = turn_events(encounter_id)
    closed = TranscriptClosed(
        event_id=derive_id(encounter_id, "closed"), encounter_id=encounter_id, turn_count=len(turns),
        audio_seconds=24.0, context=EncounterContext(specialty="primary_care", patient_ref="Patient/1"),
        asr_model="tiny.en",
    )
    return turns, closed


def test_stage_identity():
    stage = NotegenStage(state=MemoryStateStore())
    assert (stage.name, stage.consumes, stage.produces) == ("notegen", Topic.TRANSCRIPT_TURNS, Topic.SOAP_DRAFT)


async def test_turns_then_close_give_one_draft():
    enc = f"enc-{uuid.uuid4().hex[:8]}"
    stage = NotegenStage(state=MemoryStateStore(), version="9.9.9")
    turns, closed = events(enc)
    for ev in reversed(turns):  # arrival order does not matter; start/seq does
        assert await stage.handle(ev) == []
    [out] = await stage.handle(closed)
    assert isinstance(out, NoteDrafted)
    assert out.event_id == derive_id(enc, "NoteDrafted", 1) and out.note_version == 1
    assert out.status == "drafted"
    assert out.generator.backend == "grounded" and out.generator.version == "9.9.9"
    assert [t.turn_id for t in out.turns] == [ev.turn.turn_id for ev in turns]
    assert out.context == closed.context and out.asr_model == "tiny.en"
    cited = {i for st in out.note.statements() for i in st.evidence_turn_ids}
    assert cited <= {t.turn_id for t in out.turns}
    assert "Denies fever." in [s.text for s in out.note.subjective]
    assert out.note.assessment and out.note.plan


async def test_redelivery_is_idempotent():
    enc = f"enc-{uuid.uuid4().hex[:8]}"
    stage = NotegenStage(state=MemoryStateStore())
    turns, closed = events(enc)
    for ev in turns + turns:
        await stage.handle(ev)
    first = await stage.handle(closed)
    second = await stage.handle(closed)
    assert first == second
    assert len(first[0].turns) == len(turns)


async def test_close_before_all_turns_raises_with_counts_only():
    enc = f"enc-{uuid.uuid4().hex[:8]}"
    stage = NotegenStage(state=MemoryStateStore())
    turns, closed = events(enc)
    for ev in turns[:2]:
        await stage.handle(ev)
    with pytest.raises(IncompleteTranscript) as err:
        await stage.handle(closed)
    message = str(err.value)
    assert "2 of 6" in message and enc in message
    assert "throat" not in message


async def test_empty_transcript_gives_no_note_event():
    enc = f"enc-{uuid.uuid4().hex[:8]}"
    stage = NotegenStage(state=MemoryStateStore())
    closed = TranscriptClosed(event_id=derive_id(enc, "closed"), encounter_id=enc, turn_count=0, audio_seconds=3.0)
    [out] = await stage.handle(closed)
    assert out.status == "no_note" and out.note.statements() == [] and out.turns == []


async def test_encounters_do_not_mix():
    store = MemoryStateStore()
    stage = NotegenStage(state=store)
    a_turns, a_closed = events("enc-a")
    b_turns, _ = events("enc-b")
    for ev in a_turns + b_turns[:1]:
        await stage.handle(ev)
    [out] = await stage.handle(a_closed)
    assert all(t.turn_id.startswith("enc-a-") for t in out.turns)
