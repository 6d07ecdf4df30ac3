"""Streaming segmentation, turn quality and the ASR stage, with a fake recognizer."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np
import pytest

from services.asr.domain import (
    LaneState,
    Segment,
    SegmenterConfig,
    StreamState,
    has_repetition_loop,
    is_hallucinated,
)
from services.asr.stage import AsrStage, ChunkOrderError
from shared.contracts import (
    SAMPLE_RATE,
    AudioChunkReceived,
    AudioEnded,
    Event,
    QualityFlag,
    Role,
    TranscriptClosed,
    TurnTranscribed,
    derive_id,
)
from shared.state import MemoryStateStore

pytestmark = pytest.mark.unit

Reply = Callable[[np.ndarray, int], list[Segment]]


def speech_like(samples: np.ndarray, n: int) -> list[Segment]:
    seconds = len(samples) / SAMPLE_RATE
    return [Segment(f"utterance {n}", 0.1, max(seconds - 0.1, 0.2), -0.2, 0.01, 1.2)]


class FakeTranscriber:
    """Implements the Transcriber port; records what it was asked to decode."""

    def __init__(self, reply: Reply = speech_like) -> None:
        self.reply = reply
        self.calls: list[float] = []  # seconds of audio per call

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        assert samples.dtype == np.float32 and samples.ndim == 1
        self.calls.append(len(samples) / SAMPLE_RATE)
        return self.reply(samples, len(self.calls))


class FailingOnce(FakeTranscriber):
    failed = False

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        if not self.failed:
            self.failed = True
            raise RuntimeError("decoder crashed")
        return super().transcribe(samples, prompt=prompt)


# ---------------------------------------------------------------- audio builders
def tone(seconds: float, *, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return amp * np.sin(2 * np.pi * 220 * t)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE))


def pcm_of(*channels: np.ndarray) -> tuple[bytes, int]:
    frames = np.stack(channels, axis=1) if len(channels) > 1 else channels[0][:, None]
    return (np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes(), len(channels)


def new_encounter() -> str:
    return f"enc-{uuid.uuid4().hex[:10]}"


def chunks(enc: str, pcm: bytes, channels: int, *, roles=None, ms: int = 200) -> list[AudioChunkReceived]:
    step = SAMPLE_RATE * ms // 1000 * 2 * channels
    return [
        AudioChunkReceived(
            event_id=f"{enc}-{i}",
            encounter_id=enc,
            seq=i,
            channels=channels,
            channel_roles=roles if i == 0 else None,
            pcm=pcm[off : off + step],
        )
        for i, off in enumerate(range(0, len(pcm), step))
    ]


def ended(enc: str, count: int) -> AudioEnded:
    return AudioEnded(event_id=f"{enc}-end", encounter_id=enc, chunk_count=count)


async def run(stage: AsrStage, enc: str, pcm: bytes, channels: int, *, roles=None, ms: int = 200) -> list[Event]:
    items = chunks(enc, pcm, channels, roles=roles, ms=ms)
    out: list[Event] = []
    for chunk in items:
        out += await stage.handle(chunk)
    out += await stage.handle(ended(enc, len(items)))
    return out


def turns_of(events: list[Event]):
    return [e.turn for e in events if isinstance(e, TurnTranscribed)]


def make_stage(fake: FakeTranscriber | None = None, store: MemoryStateStore | None = None) -> AsrStage:
    return AsrStage(state=store or MemoryStateStore(), transcriber=fake or FakeTranscriber(), model_name="fake")


# ---------------------------------------------------------------- segmentation
CLOSING = SegmenterConfig.min_pause_s + 0.3  # a pause that surely closes an utterance at the default setting


async def test_each_utterance_is_decoded_once_when_its_pause_closes_it():
    fake = FakeTranscriber()
    audio = np.concatenate([silence(0.5), tone(1.0), silence(CLOSING), tone(1.5), silence(CLOSING), tone(0.8),
                            silence(0.3)])
    events = await run(make_stage(fake), new_encounter(), *pcm_of(audio))
    turns = turns_of(events)
    assert [t.text for t in turns] == ["utterance 1", "utterance 2", "utterance 3"]
    assert len(fake.calls) == 3  # not once per 200 ms chunk
    second = 0.5 + 1.0 + CLOSING
    assert [t.start for t in turns] == pytest.approx([0.5, second, second + 1.5 + CLOSING], abs=0.05)
    assert [t.seq for t in turns] == [0, 1, 2]
    assert all(t.start < t.end for t in turns)


async def test_turns_are_emitted_while_streaming_not_only_at_the_end():
    fake = FakeTranscriber()
    stage = make_stage(fake)
    enc = new_encounter()
    items = chunks(enc, pcm_of(np.concatenate([tone(1.0), silence(1.2)]))[0], 1)
    streamed = [e for c in items for e in await stage.handle(c)]
    assert len(turns_of(streamed)) == 1


async def test_short_pause_does_not_split_an_utterance():
    fake = FakeTranscriber()
    audio = np.concatenate([tone(1.0), silence(0.3), tone(1.0), silence(1.0)])
    turns = turns_of(await run(make_stage(fake), new_encounter(), *pcm_of(audio)))
    assert len(turns) == 1 and len(fake.calls) == 1


async def test_long_speech_is_cut_before_whisper_window_and_nothing_is_lost():
    fake = FakeTranscriber()
    # 40 s of speech with short (0.3 s) breaths every 4 s and no real pause.
    pieces = []
    for _ in range(10):
        pieces += [tone(3.7), silence(0.3)]
    audio = np.concatenate(pieces)
    # Speculative decodes off: each breath would start one (dropped when speech resumes).
    asr = AsrStage(state=MemoryStateStore(), transcriber=fake, model_name="fake",
                   config=SegmenterConfig(early_pause_s=0))
    turns = turns_of(await run(asr, new_encounter(), *pcm_of(audio)))
    assert len(turns) == 2
    assert max(fake.calls) <= 25.0
    assert sum(fake.calls) == pytest.approx(40.0, abs=0.5)
    assert turns[1].start >= turns[0].end - 0.3


async def test_chunk_size_does_not_change_the_turns():
    audio = np.concatenate([silence(0.33), tone(1.1), silence(0.9), tone(0.7), silence(0.1)])
    pcm, ch = pcm_of(audio, silence(len(audio) / SAMPLE_RATE))
    roles = {0: Role.CLINICIAN, 1: Role.PATIENT}
    a = turns_of(await run(make_stage(), "enc-a", pcm, ch, roles=roles, ms=200))
    b = turns_of(await run(make_stage(), "enc-a", pcm, ch, roles=roles, ms=130))
    assert [(t.turn_id, t.start, t.end) for t in a] == [(t.turn_id, t.start, t.end) for t in b]


async def test_silence_gives_no_turns_and_no_decoding():
    fake = FakeTranscriber()
    events = await run(make_stage(fake), new_encounter(), *pcm_of(silence(12.0), silence(12.0)))
    assert turns_of(events) == [] and fake.calls == []
    closed = events[-1]
    assert isinstance(closed, TranscriptClosed) and closed.turn_count == 0
    assert closed.audio_seconds == pytest.approx(12.0)


async def test_noise_the_recognizer_rejects_gives_no_turns():
    fake = FakeTranscriber(reply=lambda samples, n: [])  # what Silero VAD + Whisper return on noise
    noise = np.random.default_rng(1).normal(0, 0.1, 5 * SAMPLE_RATE)
    events = await run(make_stage(fake), new_encounter(), *pcm_of(noise))
    assert turns_of(events) == [] and events[-1].turn_count == 0


# ---------------------------------------------------------------- roles and ids
async def test_channel_map_sets_speaker_roles():
    left = np.concatenate([tone(1.0), silence(2.5)])
    right = np.concatenate([silence(1.5), tone(1.0), silence(1.0)])
    enc = new_encounter()
    turns = turns_of(await run(make_stage(), enc, *pcm_of(left, right), roles={0: Role.CLINICIAN, 1: Role.PATIENT}))
    assert [(t.speaker, t.channel) for t in turns] == [(Role.CLINICIAN, 0), (Role.PATIENT, 1)]
    assert turns[1].turn_id == derive_id(enc, "turn", 1, 1500)  # the voice onset, in ms


async def test_mono_without_map_is_other():
    turns = turns_of(await run(make_stage(), new_encounter(), *pcm_of(np.concatenate([tone(1.0), silence(1.0)]))))
    assert [t.speaker for t in turns] == [Role.OTHER]


async def test_same_audio_gives_same_ids():
    pcm, ch = pcm_of(np.concatenate([tone(1.0), silence(1.0), tone(1.0)]))
    first = await run(make_stage(), "enc-same", pcm, ch)
    second = await run(make_stage(), "enc-same", pcm, ch)
    assert [e.event_id for e in first] == [e.event_id for e in second]
    assert len({e.event_id for e in first}) == len(first)


# ---------------------------------------------------------------- redelivery and ordering
async def test_redelivered_older_chunk_is_ignored():
    fake = FakeTranscriber()
    stage = make_stage(fake)
    enc = new_encounter()
    items = chunks(enc, pcm_of(np.concatenate([tone(1.0), silence(1.6)]))[0], 1)
    results = [await stage.handle(c) for c in items]
    emitting = next(i for i, r in enumerate(results) if r)
    assert emitting < len(items) - 1
    # Later chunks were handled after it, so its events were published: nothing again, no decoding.
    assert await stage.handle(items[emitting]) == []
    assert await stage.handle(items[0]) == []
    assert len(fake.calls) == 1


async def test_redelivered_last_chunk_replays_its_turn():
    fake = FakeTranscriber()
    stage = make_stage(fake)
    enc = new_encounter()
    items = chunks(enc, pcm_of(np.concatenate([tone(1.0), silence(CLOSING)]))[0], 1)
    for last in items:  # stream until the pause closes the utterance: that chunk is the last one received
        closed = await stage.handle(last)
        if closed:
            break
    assert closed, "the pause closes the utterance"
    again = await stage.handle(last)
    assert [e.event_id for e in again] == [e.event_id for e in closed] and len(fake.calls) == 1


async def test_redelivered_audio_ended_returns_the_same_close_event():
    fake = FakeTranscriber()
    stage = make_stage(fake)
    enc = new_encounter()
    items = chunks(enc, pcm_of(np.concatenate([tone(1.0), silence(1.0), tone(0.6)]))[0], 1)
    for c in items:
        await stage.handle(c)
    first = await stage.handle(ended(enc, len(items)))
    second = await stage.handle(ended(enc, len(items)))
    assert [e.event_id for e in first] == [e.event_id for e in second]
    closed = first[-1]
    assert isinstance(closed, TranscriptClosed)
    assert closed.turn_count == 2 and closed.asr_model == "fake"
    assert len(fake.calls) == 2


async def test_a_failed_decode_can_be_retried_with_the_same_outcome():
    pcm, ch = pcm_of(np.concatenate([tone(1.0), silence(1.0), tone(1.0), silence(1.0)]))
    expected = await run(make_stage(), "enc-retry", pcm, ch)

    stage = make_stage(FailingOnce())
    items = chunks("enc-retry", pcm, ch)
    got: list[Event] = []
    for c in items:
        try:
            got += await stage.handle(c)
        except RuntimeError:
            got += await stage.handle(c)  # redelivery after the failure
    got += await stage.handle(ended("enc-retry", len(items)))
    assert [e.event_id for e in got] == [e.event_id for e in expected]
    assert turns_of(got) == turns_of(expected)


async def test_gap_in_chunk_seq_is_an_error_naming_ids_only():
    stage = make_stage()
    enc = new_encounter()
    items = chunks(enc, pcm_of(tone(1.0))[0], 1)
    await stage.handle(items[0])
    with pytest.raises(ChunkOrderError, match=rf"{enc}: expected chunk seq 1, got 2"):
        await stage.handle(items[2])


async def test_first_chunk_must_be_seq_zero():
    items = chunks("enc-late", pcm_of(tone(1.0))[0], 1)
    with pytest.raises(ChunkOrderError):
        await make_stage().handle(items[1])


async def test_audio_ended_before_all_chunks_is_an_error():
    stage = make_stage()
    enc = new_encounter()
    items = chunks(enc, pcm_of(tone(1.0))[0], 1)
    await stage.handle(items[0])
    with pytest.raises(ChunkOrderError):
        await stage.handle(ended(enc, len(items)))


async def test_audio_ended_without_audio_closes_an_empty_transcript():
    events = await make_stage().handle(ended("enc-empty", 0))
    assert len(events) == 1 and events[0].turn_count == 0 and events[0].audio_seconds == 0


async def test_state_is_small_json_and_audio_is_stored_as_bytes():
    store = MemoryStateStore()
    stage = make_stage(store=store)
    enc = new_encounter()
    for c in chunks(enc, pcm_of(np.concatenate([tone(20.0)]), silence(20.0))[0], 2):
        await stage.handle(c)
    state_json = await store.get(f"asr:{enc}:state")
    assert state_json is not None and len(state_json) < 2000
    state = StreamState.model_validate_json(state_json)
    buffer = await store.get(f"asr:{enc}:buf:0:{state.lanes[0].generation}")
    assert buffer is not None and len(buffer) == state.lanes[0].buffered * 2 == 20 * SAMPLE_RATE * 2


def test_lane_state_round_trips_pending_bytes():
    lane = LaneState(pending=b"\x00\x01\xff\xfe", speech_start=3)
    assert LaneState.model_validate_json(lane.model_dump_json()) == lane


# ---------------------------------------------------------------- quality flags and hallucinations
def one_turn_with(*segments: Segment) -> Reply:
    return lambda samples, n: list(segments)


async def transcribe_one(reply: Reply):
    return turns_of(await run(make_stage(FakeTranscriber(reply)), new_encounter(), *pcm_of(tone(1.0))))


async def test_confident_turn_has_no_flags():
    (turn,) = await transcribe_one(one_turn_with(Segment(" I have a headache.", 0.0, 1.0, -0.1, 0.01, 1.1)))
    assert turn.flags == [] and turn.confidence == pytest.approx(np.exp(-0.1), abs=1e-3)
    assert turn.text == "I have a headache."


async def test_confidence_is_duration_weighted():
    (turn,) = await transcribe_one(
        one_turn_with(Segment("a", 0.0, 3.0, -0.1, 0.0, 1.0), Segment("b", 3.0, 4.0, -2.0, 0.0, 1.0))
    )
    assert turn.confidence == pytest.approx((3 * np.exp(-0.1) + np.exp(-2.0)) / 4, abs=1e-3)


async def test_low_logprob_is_low_confidence():
    (turn,) = await transcribe_one(one_turn_with(Segment("mumbled words", 0.0, 1.0, -0.9, 0.1, 1.2)))
    assert QualityFlag.LOW_CONFIDENCE in turn.flags and turn.confidence < 0.5


@pytest.mark.parametrize(
    "segment",
    [
        Segment("take take the the pill pill pill pill", 0.0, 1.0, -0.3, 0.1, 2.9),  # compression ratio
        Segment("thank you for watching thank you for watching thank you for watching", 0.0, 1.0, -0.3, 0.1, 2.0),
        Segment("so anyway", 0.0, 1.0, -0.9, 0.55, 1.0),  # model thinks it was no speech, and is unsure
    ],
)
async def test_suspicious_output_is_flagged(segment):
    (turn,) = await transcribe_one(one_turn_with(segment))
    assert QualityFlag.POSSIBLE_HALLUCINATION in turn.flags


@pytest.mark.parametrize(
    "segments",
    [
        [Segment(" Thank you.", 0.0, 1.0, -1.3, 0.8, 0.9)],
        [Segment("   ", 0.0, 1.0, -0.2, 0.1, 1.0)],
        [Segment(" [Music]", 0.0, 1.0, -0.4, 0.3, 1.0), Segment("♪ ♪", 1.0, 2.0, -0.4, 0.3, 1.0)],
        [Segment("(silence)", 0.0, 1.0, -0.4, 0.3, 1.0)],
        # What tiny.en produced on hold-music tones: a confident loop the model itself judged non-speech.
        [Segment(" lisinopril, amlodipine, amlodipine, amlodipine, amlodipine", 0.0, 8.0, -0.09, 0.94, 13.2)],
    ],
)
async def test_hallucinated_segments_are_dropped_and_not_counted(segments):
    fake = FakeTranscriber(one_turn_with(*segments))
    events = await run(make_stage(fake), new_encounter(), *pcm_of(tone(1.0)))
    assert turns_of(events) == [] and events[-1].turn_count == 0 and len(fake.calls) == 1


async def test_only_the_hallucinated_part_of_a_turn_is_dropped():
    (turn,) = await transcribe_one(
        one_turn_with(
            Segment(" Any allergies?", 0.0, 1.0, -0.2, 0.05, 1.0), Segment(" [BLANK_AUDIO]", 1.0, 2.0, -0.5, 0.4, 1.0)
        )
    )
    assert turn.text == "Any allergies?"


def test_repetition_loop_detection():
    assert has_repetition_loop("no no no no")
    assert has_repetition_loop("I am fine I am fine I am fine")
    assert not has_repetition_loop("no, no, no, it does not hurt")
    assert not has_repetition_loop("Your blood pressure today is one hundred sixty two over ninety eight.")


def test_silence_hallucination_rule_needs_both_signals():
    cfg = SegmenterConfig()
    assert is_hallucinated(Segment("Thanks.", 0, 1, -1.2, 0.7, 1.0), cfg=cfg)
    assert not is_hallucinated(Segment("Thanks.", 0, 1, -0.3, 0.7, 1.0), cfg=cfg)
    assert not is_hallucinated(Segment("Thanks.", 0, 1, -1.2, 0.3, 1.0), cfg=cfg)


# ---------------------------------------------------------------- decoder context
class PromptRecorder(FakeTranscriber):
    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str | None] = []

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        self.prompts.append(prompt)
        return super().transcribe(samples, prompt=prompt)


async def test_the_transcript_so_far_is_the_next_utterances_context():
    fake = PromptRecorder()
    audio = np.concatenate([tone(1.0), silence(1.0), tone(1.0), silence(1.0), tone(1.0), silence(1.0)])
    await run(make_stage(fake), new_encounter(), *pcm_of(audio))
    assert fake.prompts == [None, "utterance 1", "utterance 1 utterance 2"]


async def test_context_is_bounded_and_can_be_switched_off():
    from services.asr.domain import SegmenterConfig as Cfg

    fake = PromptRecorder()
    audio = np.concatenate([tone(1.0), silence(1.0)] * 4)
    stage = AsrStage(state=MemoryStateStore(), transcriber=fake, model_name="fake", config=Cfg(context_chars=15))
    await run(stage, new_encounter(), *pcm_of(audio))
    assert all(p is None or len(p) <= 15 for p in fake.prompts)
    assert fake.prompts[-1] == "2 utterance 3"  # cut at a word boundary ("...ce 2 utterance 3")

    off = PromptRecorder()
    stage = AsrStage(state=MemoryStateStore(), transcriber=off, model_name="fake", config=Cfg(context_chars=0))
    await run(stage, new_encounter(), *pcm_of(audio))
    assert off.prompts == [None] * 4
