"""Live drafts on ``transcript.partials`` and the decode scheduler, with fake recognizers."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from services.asr.domain import Segment, SegmenterConfig
from services.asr.scheduler import DecodeGate
from services.asr.stage import AsrStage
from shared.contracts import (
    SAMPLE_RATE,
    Event,
    PartialTranscribed,
    Role,
    Topic,
    TurnTranscribed,
    topic_of,
)
from shared.state import MemoryStateStore
from tests.unit.test_asr_domain import (
    FakeTranscriber,
    chunks,
    ended,
    new_encounter,
    pcm_of,
    run,
    silence,
    tone,
    turns_of,
)

pytestmark = pytest.mark.unit


def heard_so_far(samples: np.ndarray, n: int) -> list[Segment]:
    seconds = len(samples) / SAMPLE_RATE
    return [Segment(f"draft of {seconds:.1f} s", 0.0, seconds, -0.3, 0.01, 1.2)]


def partials_of(events: list[Event]) -> list[PartialTranscribed]:
    return [e for e in events if isinstance(e, PartialTranscribed)]


def stage_with(drafter: FakeTranscriber | None, *, store: MemoryStateStore | None = None,
               interval: float = 1.0) -> AsrStage:
    """Speculative decodes off: one holds the decoder while a closing pause is confirmed, so the draft due in
    that pause would be skipped (the turn follows within the pause; tests/unit/test_asr_speculation.py)."""
    return AsrStage(state=store or MemoryStateStore(), transcriber=FakeTranscriber(), model_name="fake",
                    config=SegmenterConfig(partial_interval_s=interval, early_pause_s=0), drafter=drafter)


async def test_a_long_utterance_gets_growing_drafts_before_its_turn():
    drafter = FakeTranscriber(heard_so_far)
    audio = np.concatenate([silence(0.4), tone(3.5), silence(1.0)])
    events = await run(stage_with(drafter), new_encounter(), *pcm_of(audio, audio * 0), roles={0: Role.PATIENT})
    drafts = partials_of(events)
    # One draft per second of new audio while speech goes on (the last one holds the final 0.5 s of speech).
    assert [d.end for d in drafts] == pytest.approx([1.4, 2.4, 3.4, 4.4], abs=0.03)
    assert [d.revision for d in drafts] == [1, 2, 3, 4]
    assert all(d.speaker is Role.PATIENT and d.channel == 0 for d in drafts)
    assert [d.start for d in drafts] == pytest.approx([0.4] * 4, abs=0.03)
    assert all(topic_of(d) is Topic.TRANSCRIPT_PARTIALS for d in drafts)
    # The turn comes after the drafts; no draft of that utterance follows it.
    kinds = [type(e).__name__ for e in events if isinstance(e, PartialTranscribed | TurnTranscribed)]
    assert kinds == ["PartialTranscribed"] * 4 + ["TurnTranscribed"]
    assert len({e.event_id for e in events}) == len(events)


async def test_drafts_are_rate_limited_by_audio_time():
    drafter = FakeTranscriber(heard_so_far)
    audio = np.concatenate([tone(6.1), silence(1.0)])
    await run(stage_with(drafter, interval=2.0), new_encounter(), *pcm_of(audio))
    assert len(drafter.calls) == 3  # at 2, 4 and 6 s of the utterance, not every 200 ms chunk


async def test_silence_and_rejected_noise_give_no_partials():
    drafter = FakeTranscriber(heard_so_far)
    events = await run(stage_with(drafter), new_encounter(), *pcm_of(silence(5.0)))
    assert partials_of(events) == [] and drafter.calls == []  # silence is never even decoded

    rejecting = FakeTranscriber(lambda samples, n: [])  # what the engine's VAD returns for noise
    noise = np.random.default_rng(0).normal(0, 0.2, 4 * SAMPLE_RATE)
    events = await run(stage_with(rejecting), new_encounter(), *pcm_of(noise))
    assert partials_of(events) == [] and rejecting.calls


async def test_hallucinated_and_looping_drafts_are_not_published():
    tags = FakeTranscriber(lambda samples, n: [Segment("[Music]", 0.0, 1.0, -0.2, 0.01, 1.0)])
    loop = FakeTranscriber(lambda samples, n: [Segment("thank you thank you thank you thank you", 0, 1, -0.2, 0.01, 1.0)])
    for drafter in (tags, loop):
        events = await run(stage_with(drafter), new_encounter(), *pcm_of(np.concatenate([tone(3.0), silence(1.0)])))
        assert partials_of(events) == [] and drafter.calls


async def test_no_drafter_no_partials():
    events = await run(stage_with(None), new_encounter(), *pcm_of(np.concatenate([tone(3.0), silence(1.0)])))
    assert partials_of(events) == [] and len(turns_of(events)) == 1


async def test_a_replacement_worker_continues_the_revisions_and_replays_the_same_draft():
    store = MemoryStateStore()
    enc = new_encounter()
    items = chunks(enc, pcm_of(np.concatenate([tone(4.0), silence(1.0)]))[0], 1)
    first = stage_with(FakeTranscriber(heard_so_far), store=store)
    out: list[Event] = []
    for c in items[:12]:  # 2.4 s in: two drafts published, then the worker dies
        out += await first.handle(c)
    last = await first.handle(items[12])
    second = stage_with(FakeTranscriber(heard_so_far), store=store)
    assert [e.event_id for e in await second.handle(items[12])] == [e.event_id for e in last]  # redelivery
    out += last
    for c in items[13:]:
        out += await second.handle(c)
    out += await second.handle(ended(enc, len(items)))
    assert [d.revision for d in partials_of(out)] == [1, 2, 3, 4]  # one per second of the 4 s
    assert len(turns_of(out)) == 1


# ---------------------------------------------------------------- scheduler
async def test_gate_serves_the_oldest_waiting_decode_first_and_skips_drafts_while_busy():
    gate = DecodeGate()
    order: list[str] = []
    release = asyncio.Event()

    async def final(name: str, since: float) -> None:
        async with gate.final(since=since):
            order.append(name)
            if name == "holder":
                await release.wait()

    holder = asyncio.create_task(final("holder", 0.0))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(final(name, since)) for name, since in (("young", 9.0), ("old", 1.0), ("mid", 5.0))]
    await asyncio.sleep(0)
    async with gate.draft() as idle:
        assert idle is False  # finals are waiting
    release.set()
    await asyncio.gather(holder, *waiters)
    assert order == ["holder", "old", "mid", "young"]
    async with gate.draft() as idle:
        assert idle is True
    assert gate.drafts_skipped == 1 and not gate.busy


async def test_a_cancelled_waiter_does_not_block_the_gate():
    gate = DecodeGate()
    async with gate.final(since=0.0):
        waiter = asyncio.create_task(gate.final(since=1.0).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.sleep(0)
    async with gate.final(since=2.0):
        assert gate.busy
    assert not gate.busy


async def test_a_gate_with_two_slots_runs_two_decodes_at_once_and_queues_the_third_by_age():
    gate = DecodeGate(slots=2)
    running: list[str] = []
    peak = 0
    release = asyncio.Event()

    async def final(name: str, since: float) -> None:
        nonlocal peak
        async with gate.final(since=since):
            running.append(name)
            peak = max(peak, sum(1 for _ in running) - len(done))
            await release.wait()
            done.append(name)

    done: list[str] = []
    first = [asyncio.create_task(final(n, s)) for n, s in (("a", 0.0), ("b", 0.5))]
    await asyncio.sleep(0)
    assert running == ["a", "b"] and gate.busy  # both slots taken at once
    later = [asyncio.create_task(final(n, s)) for n, s in (("young", 9.0), ("old", 1.0))]
    await asyncio.sleep(0)
    assert running == ["a", "b"]  # the third waits for a slot
    release.set()
    await asyncio.gather(*first, *later)
    assert running == ["a", "b", "old", "young"] and peak == 2 and not gate.busy


class Rendezvous(FakeTranscriber):
    """Decodes only once ``parties`` decodes are running at the same time (a barrier): proves they overlap."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=5.0)

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        self.barrier.wait()  # raises BrokenBarrierError if the other lane's decode never starts
        return super().transcribe(samples, prompt=prompt)


async def test_at_the_close_both_speakers_last_words_are_decoded_side_by_side_and_committed_in_channel_order():
    fake = Rendezvous(parties=2)
    stage = AsrStage(state=MemoryStateStore(), transcriber=fake, model_name="fake", gate=DecodeGate(slots=2))
    enc = new_encounter()
    # Both channels are mid-utterance when the audio ends (a visit cut off at the hour).
    pcm, channels = pcm_of(np.concatenate([silence(0.4), tone(1.0)]), np.concatenate([silence(0.6), tone(0.8)]))
    events = await run(stage, enc, pcm, channels, roles={0: Role.CLINICIAN, 1: Role.PATIENT})
    turns = [e.turn for e in events if isinstance(e, TurnTranscribed)]
    assert [(t.channel, t.seq) for t in turns] == [(0, 0), (1, 1)]
    assert len(fake.calls) == 2 and stage.gate.served == 2


async def test_with_one_slot_the_lanes_take_turns():
    fake = FakeTranscriber()
    stage = AsrStage(state=MemoryStateStore(), transcriber=fake, model_name="fake", gate=DecodeGate(slots=1))
    pcm, channels = pcm_of(np.concatenate([silence(0.4), tone(1.0)]), np.concatenate([silence(0.6), tone(0.8)]))
    turns = turns_of(await run(stage, new_encounter(), pcm, channels))
    assert [t.channel for t in turns] == [0, 1] and len(fake.calls) == 2
