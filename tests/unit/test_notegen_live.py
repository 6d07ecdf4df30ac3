"""Live drafts: the debounce/version rules, and the stage publishing non-final versions over the state store."""

from __future__ import annotations

import uuid

import pytest

from services.notegen.live import (
    LivePolicy,
    LiveState,
    after_draft,
    draft_due,
    final_version,
    fingerprint,
)
from services.notegen.stage import NotegenStage
from shared.contracts import (
    EncounterContext,
    NoteDrafted,
    Role,
    SoapNote,
    Statement,
    TranscriptClosed,
    TurnTranscribed,
    derive_id,
)
from shared.crypto import KeyRing
from shared.state import EncryptingStateStore, MemoryStateStore
from tests.helpers.notegen import turn_events

pytestmark = pytest.mark.unit

VISIT = [
    (Role.CLINICIAN, "What brings you in today?"),
    (Role.PATIENT, "I have had a sore throat for three days."),
    (Role.CLINICIAN, "Any fever?"),
    (Role.PATIENT, "No."),
    (Role.PATIENT, "I take ibuprofen 400 milligrams twice a day."),
    (Role.CLINICIAN, "Any allergies to medicines?"),
    (Role.PATIENT, "I am allergic to penicillin."),
    (Role.CLINICIAN, "Your temperature is ninety eight point six. Your throat is red but your lungs are clear."),
    (Role.CLINICIAN, "I think this is a viral sore throat."),
    (Role.CLINICIAN, "Come back in one week if it is not better."),
]
SMALL_TALK = [
    (Role.CLINICIAN, "Hello there."),
    (Role.PATIENT, "Hi, nice weather today."),
    (Role.CLINICIAN, "Yes it is lovely."),
    (Role.PATIENT, "Traffic was fine."),
    (Role.CLINICIAN, "Good to hear."),
    (Role.PATIENT, "Okay."),
]


def stream(encounter_id: str, lines=VISIT) -> tuple[list[TurnTranscribed], TranscriptClosed]:
    turns = turn_events(encounter_id, lines, spacing_s=6.0, length_s=5.0)
    closed = TranscriptClosed(event_id=derive_id(encounter_id, "closed"), encounter_id=encounter_id,
                              turn_count=len(turns), audio_seconds=len(turns) * 6.0,
                              context=EncounterContext(specialty="cardiology"))
    return turns, closed


def enc() -> str:
    return f"enc-{uuid.uuid4().hex[:8]}"


async def run(stage: NotegenStage, events) -> list[NoteDrafted]:
    out: list[NoteDrafted] = []
    for event in events:
        out += await stage.handle(event)
    return out


# ------------------------------------------------------------------ the pure rules
def test_due_needs_both_enough_turns_and_enough_transcript_time():
    policy = LivePolicy(min_new_turns=3, min_new_seconds=10)
    state = LiveState(turns=2, seconds=5.0)
    assert not draft_due(policy, state, turns=4, seconds=30)  # 2 new turns
    assert not draft_due(policy, state, turns=5, seconds=14)  # 9 s of new transcript
    assert draft_due(policy, state, turns=5, seconds=15)
    assert not draft_due(LivePolicy(enabled=False), state, turns=50, seconds=500)
    assert not draft_due(policy, state.model_copy(update={"final_version": 3}), turns=50, seconds=500)


def test_policy_rejects_nonsense_limits():
    with pytest.raises(ValueError):
        LivePolicy(min_new_turns=0)
    with pytest.raises(ValueError):
        LivePolicy(min_new_seconds=-1)


def note(*texts: str) -> SoapNote:
    return SoapNote(subjective=[Statement(statement_id=f"s{i}", text=t, evidence_turn_ids=["t"]) for i, t in
                                enumerate(texts)])


def test_new_content_is_a_new_version_and_unchanged_content_only_moves_the_baseline():
    s1 = after_draft(LiveState(), turns=4, seconds=20, event_id="e4", note=note("Reports sore throat."))
    assert (s1.version, s1.turns, s1.trigger_event_id) == (1, 4, "e4")
    same = after_draft(s1, turns=8, seconds=40, event_id="e8", note=note("Reports sore throat."))
    assert (same.version, same.turns, same.seconds, same.trigger_event_id) == (1, 8, 40, "e4")
    nothing = after_draft(s1, turns=12, seconds=60, event_id="e12", note=None)
    assert (nothing.version, nothing.turns) == (1, 12)
    s2 = after_draft(same, turns=12, seconds=60, event_id="e12", note=note("Reports sore throat.", "Denies fever."))
    assert s2.version == 2 and s2.fingerprint != s1.fingerprint


def test_final_version_follows_the_drafts_and_stays_fixed_once_taken():
    assert final_version(LiveState()) == 1
    assert final_version(LiveState(version=4)) == 5
    assert final_version(LiveState(version=4, final_version=5)) == 5


def test_fingerprint_ignores_ids_but_not_support():
    a = note("Reports sore throat.")
    b = SoapNote(subjective=[a.subjective[0].model_copy(update={"statement_id": "other"})])
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(SoapNote(subjective=[a.subjective[0].model_copy(update={"supported": False})]))


# ------------------------------------------------------------------ the stage
LIVE = LivePolicy(min_new_turns=3, min_new_seconds=10)


async def test_streaming_visit_publishes_increasing_non_final_drafts_then_one_final():
    e = enc()
    stage = NotegenStage(state=MemoryStateStore(), live=LIVE)
    turns, closed = stream(e)
    drafts = await run(stage, turns)
    assert drafts, "no live draft while the visit streamed"
    assert all(not d.final and d.status == "drafted" for d in drafts)
    versions = [d.note_version for d in drafts]
    assert versions == list(range(1, len(drafts) + 1))
    assert all(d.event_id == derive_id(e, "NoteDrafted", d.note_version) for d in drafts)
    assert all(not d.after_visit_summary for d in drafts)  # the patient summary is written for the final note only
    # Later drafts know more of the visit.
    assert len(drafts[-1].note.statements()) >= len(drafts[0].note.statements())

    [final] = await stage.handle(closed)
    assert final.final and final.note_version == versions[-1] + 1
    assert final.event_id == derive_id(e, "NoteDrafted", final.note_version)
    assert final.template_id == "cardiology" and final.loinc_code == "34124-8"
    # Redelivered close: the same final version, nothing new.
    [again] = await stage.handle(closed)
    assert again == final
    # A straggling turn after the close publishes no draft over the final note.
    late = turns[0].model_copy(update={"event_id": derive_id(e, "late")})
    assert await stage.handle(late) == []


async def test_redelivered_turn_republishes_the_same_version():
    e = enc()
    stage = NotegenStage(state=MemoryStateStore(), live=LIVE)
    turns, _ = stream(e)
    for i, event in enumerate(turns):
        out = await stage.handle(event)
        if out:
            break
    [first] = out
    [again] = await stage.handle(turns[i])
    assert again.event_id == first.event_id and again.note_version == first.note_version
    assert again.note == first.note


async def test_a_replacement_worker_continues_the_sequence_from_the_shared_store():
    e = enc()
    store = EncryptingStateStore(MemoryStateStore(), keyring=KeyRing.generate("k1"))
    turns, closed = stream(e)
    half = len(turns) // 2 + 1
    before = await run(NotegenStage(state=store, live=LIVE), turns[:half])
    replacement = NotegenStage(state=store, live=LIVE)  # the first worker died; its state lives on in the store
    after = await run(replacement, turns[half:])
    [final] = await replacement.handle(closed)
    versions = [d.note_version for d in before + after] + [final.note_version]
    assert before and versions == sorted(set(versions)), versions  # strictly increasing across the hand-over


async def test_small_talk_publishes_no_live_draft_and_closes_as_no_note():
    e = enc()
    stage = NotegenStage(state=MemoryStateStore(), live=LivePolicy(min_new_turns=1, min_new_seconds=0))
    turns, closed = stream(e, SMALL_TALK)
    assert await run(stage, turns) == []
    [final] = await stage.handle(closed)
    assert final.final and final.status == "no_note" and final.note_version == 1
    assert final.after_visit_summary == []


async def test_live_drafts_off_publish_nothing_until_the_close():
    e = enc()
    stage = NotegenStage(state=MemoryStateStore())  # the embedded run's default
    turns, closed = stream(e)
    assert await run(stage, turns) == []
    [final] = await stage.handle(closed)
    assert final.final and final.note_version == 1


def test_settings_turn_live_drafts_on_by_default(monkeypatch):
    from services.notegen.config import NotegenSettings

    monkeypatch.setenv("SCRIBESTREAM_ENCRYPTION", "false")
    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:9")
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", "redis://127.0.0.1:9")
    policy = NotegenSettings().live_policy()
    assert policy.enabled and policy.min_new_turns >= 1
    monkeypatch.setenv("SCRIBESTREAM_LIVE_DRAFTS", "false")
    monkeypatch.setenv("SCRIBESTREAM_LIVE_DRAFT_MIN_TURNS", "7")
    policy = NotegenSettings().live_policy()
    assert not policy.enabled and policy.min_new_turns == 7
