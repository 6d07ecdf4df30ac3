"""Speculative decodes: an utterance is decoded while its closing pause is still being confirmed, and the cut
that closes it reuses that decode only when it asks for the very same one. Fake recognizers, real stage."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from services.asr.domain import LaneState, Segment, SegmenterConfig, early_cut, next_cut
from services.asr.scheduler import DecodeGate
from services.asr.stage import AsrStage
from shared.contracts import SAMPLE_RATE
from shared.state import MemoryStateStore
from tests.unit.test_asr_domain import FakeTranscriber, chunks, ended, new_encounter, pcm_of, silence, tone, turns_of

pytestmark = pytest.mark.unit


def by_length(samples: np.ndarray, n: int) -> list[Segment]:
    """The text names the audio it was given, so a turn shows exactly which decode it came from."""
    seconds = len(samples) / SAMPLE_RATE
    return [Segment(f"heard {len(samples)} samples", 0.0, seconds, -0.2, 0.01, 1.2)]


async def run(asr: AsrStage, enc: str, pcm: bytes, channels: int) -> list:
    """Chunk after chunk with a pause between them, as a live stream comes (a speculative decode runs in a
    worker thread meanwhile)."""
    items = chunks(enc, pcm, channels)
    out: list = []
    for chunk in items:
        out += await asr.handle(chunk)
        await asyncio.sleep(0.01)
    return out + list(await asr.handle(ended(enc, len(items))))


# The speculation's mechanics do not depend on the closing pause; the audio below is laid out for 0.7 s.
MIN_PAUSE = 0.7


def stage(fake: FakeTranscriber, *, early: float, gate: DecodeGate | None = None) -> AsrStage:
    return AsrStage(state=MemoryStateStore(), transcriber=fake, model_name="fake",
                    config=SegmenterConfig(early_pause_s=early, min_pause_s=MIN_PAUSE), gate=gate)


async def transcribe(audio: np.ndarray, *, early: float) -> tuple[list, FakeTranscriber, AsrStage]:
    fake = FakeTranscriber(by_length)
    asr = stage(fake, early=early)
    turns = turns_of(await run(asr, new_encounter(), *pcm_of(audio)))
    return turns, fake, asr


def strip_ids(turns) -> list[tuple]:
    return [(t.text, t.start, t.end, t.seq, t.confidence) for t in turns]


async def test_closing_pauses_reuse_the_speculative_decode_and_commit_exactly_what_a_plain_decode_would():
    audio = np.concatenate([silence(0.5), tone(1.0), silence(1.0), tone(1.5), silence(1.0), tone(0.8), silence(0.3)])
    plain, plain_fake, _ = await transcribe(audio, early=0)
    early, early_fake, asr = await transcribe(audio, early=0.3)
    assert strip_ids(early) == strip_ids(plain) and len(early) == 3
    # Every utterance was decoded once: the speculative decode became the turn (also the last one, cut at the end).
    assert len(early_fake.calls) == len(plain_fake.calls) == 3
    assert asr.speculation == {"started": 3, "used": 3, "unused": 0}


async def test_speech_that_resumes_after_a_short_pause_wastes_the_speculation_but_not_the_turn():
    # A 0.4 s pause: long enough to start a speculative decode, too short to close the utterance.
    audio = np.concatenate([tone(1.0), silence(0.4), tone(1.0), silence(1.0)])
    plain, _, _ = await transcribe(audio, early=0)
    early, fake, asr = await transcribe(audio, early=0.3)
    assert strip_ids(early) == strip_ids(plain) and len(early) == 1
    # The turn holds both halves (decoded anew), the speculative decode of the first half was dropped.
    assert asr.speculation["unused"] >= 1 and asr.speculation["used"] == 1
    assert fake.calls[0] < 1.5 and max(fake.calls) > 2.0


async def test_no_speculation_while_a_decoder_is_busy():
    gate = DecodeGate(slots=2)
    fake = FakeTranscriber(by_length)
    asr = stage(fake, early=0.3, gate=gate)
    audio = np.concatenate([tone(1.0), silence(1.0)])
    async with gate.final(since=0.0):  # another encounter's final decode holds a slot
        turns = turns_of(await run(asr, new_encounter(), *pcm_of(audio)))
    assert len(turns) == 1 and asr.speculation["started"] == 0 and len(fake.calls) == 1
    assert not gate.busy


async def test_a_changed_decoder_context_discards_the_speculation():
    """Two speakers: the doctor's turn commits while the patient's pause is being confirmed, so the
    patient's utterance must be decoded with the new transcript context, not the speculative one."""
    prompts: list[str | None] = []

    class Recording(FakeTranscriber):
        def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
            prompts.append(prompt)
            return super().transcribe(samples, prompt=prompt)

    doctor = np.concatenate([tone(1.2), silence(1.5)])
    patient = np.concatenate([tone(1.0), silence(1.7)])  # pauses 0.2 s before the doctor's
    fake = Recording(by_length)
    asr = stage(fake, early=0.3)
    turns = turns_of(await run(asr, new_encounter(), *pcm_of(doctor, patient)))
    assert len(turns) == 2
    assert asr.speculation["unused"] >= 1
    # The patient's committed decode saw the doctor's words as context.
    assert prompts[-1] is not None and "heard" in prompts[-1]


@pytest.mark.parametrize("gap", [0.3, 0.5, 0.68])
def test_the_speculative_cut_is_the_cut_the_closing_pause_makes(gap: float):
    cfg = SegmenterConfig(early_pause_s=0.3, min_pause_s=MIN_PAUSE)
    lane = LaneState(speech_start=3200, voiced_until=3200 + 16000, voiced=16000)
    lane.buffered = lane.voiced_until + int(gap * SAMPLE_RATE)
    speculative = early_cut(lane, cfg=cfg)
    assert speculative is not None and next_cut(lane, cfg=cfg) is None
    lane.buffered = lane.voiced_until + int(MIN_PAUSE * SAMPLE_RATE)
    assert next_cut(lane, cfg=cfg) == speculative
    lane.buffered = lane.voiced_until + int(gap * SAMPLE_RATE)  # ...and the cut at the end of the audio
    assert next_cut(lane, cfg=cfg, final=True) == speculative


def test_no_speculation_before_the_pause_or_when_off():
    lane = LaneState(speech_start=0, voiced_until=16000, voiced=16000, buffered=16000 + 3200)
    assert early_cut(lane, cfg=SegmenterConfig(early_pause_s=0.3)) is None  # 0.2 s of pause so far
    lane.buffered = 16000 + 8000
    assert early_cut(lane, cfg=SegmenterConfig(early_pause_s=0)) is None


async def test_a_failed_speculation_falls_back_to_a_plain_decode():
    class FailsFirst(FakeTranscriber):
        def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
            if not self.calls:
                self.calls.append(0.0)
                raise RuntimeError("decoder crashed")
            return super().transcribe(samples, prompt=prompt)

    fake = FailsFirst(by_length)
    asr = stage(fake, early=0.3)
    turns = turns_of(await run(asr, new_encounter(), *pcm_of(np.concatenate([tone(1.0), silence(1.0)]))))
    assert len(turns) == 1 and asr.speculation["used"] == 1
    await asyncio.sleep(0)
