"""Streaming transcription logic: when to run the recognizer, and what of its output becomes a turn.

Pure: no model, broker, store or settings imports. The recognizer is reached through the ``Transcriber``
port; the audio buffers are handed in and out as bytes by the caller (``stage.py``), which keeps them in
the state store, so this module can be tested with a fake recognizer and plain byte strings.

How it works, per channel (one channel = one speaker when the producer declares a channel map):
  * Every 20 ms frame of new audio is classified voiced/unvoiced by its energy. Only the counters
    (speech onset, end of the last voiced frame, a fallback split point) live in ``LaneState``; the
    audio itself stays in the caller's buffer, so nothing is re-analysed.
  * When a pause of ``min_pause_s`` follows speech, or the buffer grows past ``max_buffer_s``, the speech
    region is cut out, transcribed once and committed as a turn. A committed turn is never retracted.
  * ``final=True`` (the audio ended) commits whatever speech remains.
  * Live drafts (optional): while an utterance is open, every ``partial_interval_s`` of new speech the
    caller may ``draft`` it with a cheap decoder; drafts are displayed, never committed or reused.
Energy alone cannot tell speech from noise or music; that is the recognizer's job (faster-whisper runs
its Silero VAD first) plus the hallucination filter below, which drops output that is very likely
invented on non-speech. Silence, noise and tones must yield no turn.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import (
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    AudioChunkReceived,
    EncounterContext,
    QualityFlag,
    Role,
    Turn,
    derive_id,
)


# ---------------------------------------------------------------- port
@dataclass(frozen=True)
class Word:
    """One decoded word with the decoder's probability for it (when the engine computes word timings)."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    """One decoded stretch of speech; times in seconds relative to the samples passed in."""

    text: str
    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    words: tuple[Word, ...] = ()  # empty unless the engine was asked for word-level output


class Transcriber(Protocol):
    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        """``samples``: float32 mono at 16 kHz in [-1, 1]."""
        ...


# ---------------------------------------------------------------- tuning
@dataclass(frozen=True)
class SegmenterConfig:
    frame_ms: int = 20
    speech_dbfs: float = -45.0  # frame RMS above this is voiced; speech sits around -30..-10 dBFS
    # A pause this long after speech closes the utterance. Longer pauses make fewer, longer utterances: more
    # context and fewer encoder passes, but a later turn. 0.9 s keeps OSCE WER within 7 % of offline (8.34 vs
    # 7.82 %; 0.8 s: 8.81 %) and real-time latency under 1.5 s with no speculative decode (1.0 s: 1.56 s);
    # docs/benchmarks/asr.md, "Session 4".
    min_pause_s: float = 0.9
    # A pause this long starts a speculative decode of the utterance as it would be cut if the pause lasts
    # (``early_cut``), so the turn is ready soon after ``min_pause_s``; 0 = off. At least ``pad_s``, so the
    # speculative cut is the very cut ``next_cut`` makes later. Used only while a decoder is idle. Off by
    # default: with real-time pacing speech resumed after most such pauses (OSCE: 45 started, 29 wasted for
    # 22 turns), which doubled the CPU per audio second; worth it only where idle CPU is free.
    early_pause_s: float = 0.0
    max_buffer_s: float = 25.0  # Whisper decodes 30 s windows; cut before that
    split_pause_s: float = 0.25  # shorter pauses, used as the cut point when the buffer is full
    min_speech_s: float = 0.2  # less voiced audio than this is a click, not worth a decode
    pad_s: float = 0.2  # audio kept either side of the voiced region (soft onsets and endings)
    idle_keep_s: float = 0.5  # silence kept as pre-roll while nobody speaks
    idle_trim_s: float = 3.0  # ...once that much silence has piled up
    low_confidence: float = 0.5
    context_chars: int = 200  # transcript tail passed as decoder context; 0 = decode each utterance alone
    # Live hypotheses (``transcript.partials``): at most one draft decode of the open utterance per lane per
    # this much new audio (audio time, not wall time, so a replay drafts at the same points), and only once
    # the utterance holds this much voiced audio.
    partial_interval_s: float = 1.0
    partial_min_speech_s: float = 0.5
    # Hallucination rules, after Whisper's own thresholds.
    max_compression_ratio: float = 2.4
    drop_no_speech_prob: float = 0.6
    drop_logprob: float = -1.0
    suspect_no_speech_prob: float = 0.5
    suspect_logprob: float = -0.8

    @property
    def frame(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000

    def overridden(self, **values: float | None) -> SegmenterConfig:
        """A copy with the given fields replaced, skipping those left None (options a caller did not set)."""
        return replace(self, **{name: value for name, value in values.items() if value is not None})

    def samples(self, seconds: float) -> int:
        return int(round(seconds * SAMPLE_RATE))


# ---------------------------------------------------------------- state
class LaneState(BaseModel):
    """One channel. Sample indices are relative to the start of the buffered audio."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    origin: int = 0  # absolute sample index of buffer[0]
    buffered: int = 0  # samples in the buffer
    generation: int = 0  # bumped whenever the buffer is rewritten (lets the store write a new key)
    pending: bytes = b""  # tail shorter than one VAD frame, analysed with the next chunk
    speech_start: int | None = None  # first voiced frame not yet committed
    voiced_until: int = 0  # end of the last voiced frame
    voiced: int = 0  # voiced samples since speech_start
    split_at: int | None = None  # middle of the latest short pause inside the speech
    turns: int = 0
    received: int = 0  # samples received in total
    drafted_until: int | None = None  # end of the audio the last draft of the open utterance covered
    draft_revision: int = 0  # drafts published on this lane (only grows: a display keeps the newest)

    @property
    def analysed(self) -> int:
        return self.buffered - len(self.pending) // SAMPLE_WIDTH


class StreamState(BaseModel):
    """Everything the ASR stage remembers about one encounter between chunks (audio lives beside it)."""

    encounter_id: str
    channels: int = Field(ge=1)
    channel_roles: dict[int, Role] = Field(default_factory=dict)
    context: EncounterContext | None = None
    next_seq: int = 0
    turn_count: int = 0
    ended: bool = False
    lanes: list[LaneState]
    # The end of the transcript so far, given to the decoder as context for the next utterance (Whisper
    # decodes a short utterance better when it knows what was just said). Lives in the state store with
    # the buffered audio, so a replacement worker decodes exactly as this one would have.
    recent_text: str = ""

    @classmethod
    def open(cls, first: AudioChunkReceived) -> StreamState:
        return cls(
            encounter_id=first.encounter_id,
            channels=first.channels,
            channel_roles=dict(first.channel_roles or {}),
            context=first.context,
            lanes=[LaneState() for _ in range(first.channels)],
        )

    @property
    def audio_seconds(self) -> float:
        return self.lanes[0].received / SAMPLE_RATE if self.lanes else 0.0

    def role_of(self, channel: int) -> Role:
        # TODO(diarization): mono or unmapped audio gets OTHER; speaker diarization is a later issue.
        return self.channel_roles.get(channel, Role.OTHER)


@dataclass(frozen=True)
class Cut:
    """Drop ``buffer[:cut]``; transcribe ``buffer[speech_from:cut]`` when ``speech_from`` is set."""

    cut: int
    speech_from: int | None


# ---------------------------------------------------------------- audio helpers
def split_channels(pcm: bytes, *, channels: int) -> list[bytes]:
    """Interleaved s16le -> one mono s16le byte string per channel."""
    if channels == 1:
        return [pcm]
    frames = np.frombuffer(pcm, dtype="<i2").reshape(-1, channels)
    return [np.ascontiguousarray(frames[:, c]).tobytes() for c in range(channels)]


def to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _frame_dbfs(samples: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(np.square(samples, dtype=np.float64), axis=1))
    return 20.0 * np.log10(rms + 1e-10)


# ---------------------------------------------------------------- segmentation
def feed(lane: LaneState, pcm: bytes, *, cfg: SegmenterConfig) -> None:
    """Account for ``pcm`` (mono s16le, already appended to the lane's buffer) and run VAD on it."""
    data = lane.pending + pcm
    frame_bytes = cfg.frame * SAMPLE_WIDTH
    whole = len(data) // frame_bytes
    base = lane.analysed
    if whole:
        voiced = _frame_dbfs(to_float(data[: whole * frame_bytes]).reshape(whole, cfg.frame)) > cfg.speech_dbfs
        split_gap = cfg.samples(cfg.split_pause_s)
        for index in np.flatnonzero(voiced):
            start = base + int(index) * cfg.frame
            if lane.speech_start is None:
                lane.speech_start = start
            elif start - lane.voiced_until >= split_gap:
                lane.split_at = (lane.voiced_until + start) // 2
            lane.voiced_until = start + cfg.frame
            lane.voiced += cfg.frame
    lane.pending = data[whole * frame_bytes :]
    n = len(pcm) // SAMPLE_WIDTH
    lane.buffered += n
    lane.received += n


def next_cut(lane: LaneState, *, cfg: SegmenterConfig, final: bool = False) -> Cut | None:
    """Decide whether the buffer should be cut now, and what part of it is speech to transcribe."""
    pad = cfg.samples(cfg.pad_s)
    if lane.speech_start is None:
        if final and lane.buffered:
            return Cut(cut=lane.buffered, speech_from=None)
        if lane.buffered > cfg.samples(cfg.idle_trim_s):
            return Cut(cut=lane.buffered - cfg.samples(cfg.idle_keep_s), speech_from=None)
        return None
    speech_from = max(0, lane.speech_start - pad)
    if final:
        # The audio ended. If the speech had already ended, decode it as its closing pause would have (what
        # follows the pad is silence; the same cut as ``early_cut``, so a speculative decode serves it).
        if lane.analysed >= lane.voiced_until + pad:
            return _closing_cut(lane, cfg=cfg)
        return Cut(cut=lane.buffered, speech_from=speech_from)
    if lane.analysed - lane.voiced_until >= cfg.samples(cfg.min_pause_s):
        return _closing_cut(lane, cfg=cfg)
    if lane.buffered >= cfg.samples(cfg.max_buffer_s):
        # Cut in the latest short pause if there is one, so no word is split; else cut at the end.
        if lane.split_at is not None and lane.split_at > lane.speech_start:
            return Cut(cut=lane.split_at, speech_from=speech_from)
        return Cut(cut=lane.analysed, speech_from=speech_from)
    return None


def early_cut(lane: LaneState, *, cfg: SegmenterConfig) -> Cut | None:
    """The cut ``next_cut`` will make if the pause that has begun lasts ``min_pause_s``: worth decoding
    speculatively once the pause reaches ``early_pause_s``. None while speech goes on, before that pause,
    or once the real cut is due."""
    if not cfg.early_pause_s or lane.speech_start is None or lane.voiced < cfg.samples(cfg.min_speech_s):
        return None
    gap = lane.analysed - lane.voiced_until
    if not cfg.samples(max(cfg.early_pause_s, cfg.pad_s)) <= gap < cfg.samples(cfg.min_pause_s):
        return None
    return _closing_cut(lane, cfg=cfg)


def _closing_cut(lane: LaneState, *, cfg: SegmenterConfig) -> Cut:
    """The open utterance up to its last voiced frame, padded either side: the cut a closing pause makes."""
    pad = cfg.samples(cfg.pad_s)
    assert lane.speech_start is not None
    return Cut(cut=min(lane.buffered, lane.voiced_until + pad), speech_from=max(0, lane.speech_start - pad))


@dataclass(frozen=True)
class DecodeRequest:
    """Exactly what the recognizer is given for one cut; two equal requests decode to the same segments."""

    span: tuple[int, int]  # absolute samples of the region
    region: bytes = field(repr=False)
    prompt: str | None

    @property
    def key(self) -> tuple[tuple[int, int], str | None]:
        return self.span, self.prompt

    def run(self, transcriber: Transcriber) -> list[Segment]:
        return transcriber.transcribe(to_float(self.region), prompt=self.prompt)


def cut_span(lane: LaneState, cut: Cut) -> tuple[int, int]:
    """Absolute samples of the speech ``cut`` decodes."""
    return lane.origin + (cut.speech_from or 0), lane.origin + cut.cut


def decode_request(
    state: StreamState, *, channel: int, buffer: bytes, cut: Cut, cfg: SegmenterConfig
) -> DecodeRequest | None:
    """What to decode for ``cut`` (None when it holds no speech worth a decode). Reads ``state`` only, so the
    lanes of one encounter can be decoded side by side."""
    lane = state.lanes[channel]
    if not wants_decode(lane, cut, cfg=cfg):
        return None
    assert cut.speech_from is not None
    context = state.recent_text if cfg.context_chars else ""
    return DecodeRequest(
        span=cut_span(lane, cut),
        region=buffer[cut.speech_from * SAMPLE_WIDTH : cut.cut * SAMPLE_WIDTH],
        prompt=context or None,
    )


def wants_decode(lane: LaneState, cut: Cut, *, cfg: SegmenterConfig) -> bool:
    """The cut holds enough voiced audio to be worth a decode (less is a click)."""
    return cut.speech_from is not None and lane.voiced >= cfg.samples(cfg.min_speech_s)


def apply_cut(
    state: StreamState, *, channel: int, buffer: bytes, cut: Cut, segments: list[Segment], cfg: SegmenterConfig
) -> tuple[list[Turn], bytes]:
    """Apply ``cut`` to the channel's buffer with what was decoded in it (at most one turn): returns the
    turns plus the audio that stays buffered. Mutates ``state``."""
    lane = state.lanes[channel]
    turns: list[Turn] = []
    if cut.speech_from is not None and segments:
        # The turn ends where the voiced audio ends (or at a forced cut inside speech), not after the pad
        # of silence decoded with it: a decoder that gives no timestamps then still gets an honest end.
        speech_end = min(cut.cut, lane.voiced_until) if lane.voiced_until > cut.speech_from else cut.cut
        turn = build_turn(
            state,
            channel=channel,
            onset=lane.origin + (lane.speech_start or 0),
            region=(lane.origin + cut.speech_from, lane.origin + speech_end),
            segments=segments,
            cfg=cfg,
        )
        if turn is not None:
            turns.append(turn)
            lane.turns += 1
            state.turn_count += 1
            if cfg.context_chars:
                full = f"{state.recent_text} {turn.text.strip()}".strip()
                tail = full[-cfg.context_chars :]
                # Cut at a word boundary: a half word in the prompt invites the decoder to complete it.
                state.recent_text = tail.split(" ", 1)[-1] if len(full) > cfg.context_chars else tail
    _advance(lane, cut.cut)
    return turns, buffer[cut.cut * SAMPLE_WIDTH :]


def _advance(lane: LaneState, cut: int) -> None:
    lane.drafted_until = None
    lane.origin += cut
    lane.buffered -= cut
    lane.generation += 1
    if lane.speech_start is not None and lane.voiced_until > cut:
        # A forced split: the speech goes on past the cut and stays open.
        lane.voiced_until -= cut
        lane.speech_start = 0
        lane.voiced = lane.voiced_until
    else:
        lane.speech_start = None
        lane.voiced_until = 0
        lane.voiced = 0
    lane.split_at = None


# ---------------------------------------------------------------- live drafts
@dataclass(frozen=True)
class Draft:
    """The current hypothesis of a lane's open utterance: unstable, for live display only."""

    channel: int
    onset: int  # absolute sample of the utterance's first voiced frame (identifies the utterance)
    revision: int
    start: float
    end: float
    text: str


def wants_draft(lane: LaneState, *, cfg: SegmenterConfig) -> bool:
    """An utterance is open, holds enough voiced audio, and enough new audio came since the last draft."""
    if lane.speech_start is None or lane.voiced < cfg.samples(cfg.partial_min_speech_s):
        return False
    since = lane.drafted_until if lane.drafted_until is not None else lane.speech_start
    # New speech since the last draft: a pause that is about to close the utterance adds nothing to show.
    return lane.voiced_until > since and lane.analysed - since >= cfg.samples(cfg.partial_interval_s)


def draft(
    state: StreamState, *, channel: int, buffer: bytes, transcriber: Transcriber, cfg: SegmenterConfig
) -> Draft | None:
    """Decode the open utterance so far. Mutates the lane's draft counters; ``None`` when the decoder heard
    no speech (silence, noise: never displayed) or looped."""
    lane = state.lanes[channel]
    if lane.speech_start is None:
        return None
    speech_from = max(0, lane.speech_start - cfg.samples(cfg.pad_s))
    until = lane.analysed
    lane.drafted_until = until
    context = state.recent_text if cfg.context_chars else ""
    segments = transcriber.transcribe(
        to_float(buffer[speech_from * SAMPLE_WIDTH : until * SAMPLE_WIDTH]), prompt=context or None
    )
    kept = [s for s in segments if not is_hallucinated(s, cfg=cfg)]
    text = " ".join(s.text.strip() for s in kept).strip()
    if not text or has_repetition_loop(text):
        return None
    lane.draft_revision += 1
    onset = lane.origin + lane.speech_start
    return Draft(
        channel=channel,
        onset=onset,
        revision=lane.draft_revision,
        start=round(onset / SAMPLE_RATE, 3),
        end=round((lane.origin + until) / SAMPLE_RATE, 3),
        text=text,
    )


# ---------------------------------------------------------------- turn quality
_TAG = re.compile(r"\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫♬]")  # "[Music]", "(silence)", "*cough*", "♪"
_ALNUM = re.compile(r"[A-Za-z0-9]")
_WORD = re.compile(r"[a-z0-9']+")


def is_hallucinated(segment: Segment, *, cfg: SegmenterConfig) -> bool:
    """Output that must never become a turn: empty, only a non-speech tag ("[Music]", "(silence)",
    "♪"), or decoded while the model judged the audio to be no speech and the words are unsure or a loop."""
    text = segment.text.strip()
    if not _ALNUM.search(_TAG.sub("", text)):
        return True
    if segment.no_speech_prob <= cfg.drop_no_speech_prob:
        return False
    # The model doubts there was speech, and the words are either unsure or a decoder loop.
    return (
        segment.avg_logprob < cfg.drop_logprob
        or segment.compression_ratio > cfg.max_compression_ratio
        or has_repetition_loop(text)
    )


def has_repetition_loop(text: str) -> bool:
    """The decoder stuck in a loop: one word 4+ times, or a 2-4 word phrase 3+ times, back to back."""
    words = _WORD.findall(text.lower())
    for n in range(1, 5):
        needed = 4 if n == 1 else 3
        for i in range(len(words) - n * needed + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, needed)):
                return True
    return False


def build_turn(
    state: StreamState,
    *,
    channel: int,
    onset: int,
    region: tuple[int, int],
    segments: list[Segment],
    cfg: SegmenterConfig,
) -> Turn | None:
    kept = [s for s in segments if not is_hallucinated(s, cfg=cfg)]
    if not kept:
        return None
    text = " ".join(s.text.strip() for s in kept)
    weights = [max(s.end - s.start, 0.01) for s in kept]
    confidence = sum(w * math.exp(min(s.avg_logprob, 0.0)) for w, s in zip(weights, kept)) / sum(weights)
    flags: list[QualityFlag] = []
    if confidence < cfg.low_confidence:
        flags.append(QualityFlag.LOW_CONFIDENCE)
    suspicious = any(
        s.compression_ratio > cfg.max_compression_ratio
        or (s.no_speech_prob > cfg.suspect_no_speech_prob and s.avg_logprob < cfg.suspect_logprob)
        for s in kept
    )
    if suspicious or has_repetition_loop(text):
        flags.append(QualityFlag.POSSIBLE_HALLUCINATION)
    # Start and id come from the VAD onset (absolute samples), not from the decoder's timestamps, so a
    # re-run gives the same id. ``region`` is what was decoded (onset minus padding .. cut).
    start_ms = onset * 1000 // SAMPLE_RATE
    start = onset / SAMPLE_RATE
    end = min(region[1], region[0] + int(max(s.end for s in kept) * SAMPLE_RATE)) / SAMPLE_RATE
    return Turn(
        turn_id=derive_id(state.encounter_id, "turn", channel, start_ms),
        seq=state.turn_count,
        speaker=state.role_of(channel),
        channel=channel,
        start=round(start, 3),
        end=round(max(end, start), 3),
        text=text,
        confidence=round(min(max(confidence, 0.0), 1.0), 4),
        flags=flags,
    )
