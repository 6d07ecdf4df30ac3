"""The ASR stage: ``audio.chunks`` -> ``transcript.turns``.

Per encounter the store holds these keys (ids only, never content in key names; layout in ``keys.py``, with the
speaker state of diarized mono audio, ``asr:{enc}:spk:{ch}:{gen}``, versioned like the buffers):
  ``asr:{enc}:state``           StreamState JSON, written last for every event: the commit point.
  ``asr:{enc}:buf:{ch}:{gen}``  the channel's buffered mono PCM. Chunks are appended (no JSON arrays of
                                floats, no rewrite per chunk); a cut writes the remainder under the next
                                generation, so a crash before the state write leaves the old one intact.
  ``asr:{enc}:out``             the events produced by the last handled input, so a redelivery of that
                                input (crash after the state write, before the publish) re-publishes the
                                very same events instead of losing them.
The recognizer runs in a worker thread so the event loop (broker heartbeats) keeps running; `decoders` decodes at a
time per process, oldest audio first (``scheduler.DecodeGate``). With a drafter, the open utterance's draft is
published on ``transcript.partials`` (``PartialTranscribed``) at most once per ``partial_interval_s`` of new
speech, only when the decoder is idle, and never for silence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from services.asr import keys
from services.asr.diarization import MonoDiarizer, SpeakerState, needs_diarization
from services.asr.domain import (
    Cut,
    DecodeRequest,
    Draft,
    Segment,
    SegmenterConfig,
    StreamState,
    Transcriber,
    apply_cut,
    cut_span,
    decode_request,
    draft,
    early_cut,
    feed,
    next_cut,
    split_channels,
    wants_draft,
)
from services.asr.scheduler import DecodeGate
from shared.contracts import (
    SAMPLE_WIDTH,
    AudioChunkReceived,
    AudioEnded,
    EncounterContext,
    Event,
    PartialTranscribed,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    derive_id,
    load_event,
)
from shared.state import DEFAULT_TTL_S, StateStore

if TYPE_CHECKING:
    from services.asr.config import AsrSettings

log = logging.getLogger(__name__)

MAX_ANCHORS = 4096  # due-time anchors kept for scheduling (one per open encounter)
MAX_SPECULATIONS = 4096  # speculative decodes kept (at most one per lane)


class ChunkOrderError(ValueError):
    """Audio chunks arrived with a gap or after the end. The message names ids and numbers only."""


class BufferLostError(RuntimeError):
    """The buffered audio is shorter than the state says (expired or evicted)."""


class AsrStage:
    name = "asr"
    consumes = Topic.AUDIO_CHUNKS
    produces = Topic.TRANSCRIPT_TURNS

    def __init__(
        self,
        *,
        state: StateStore,
        transcriber: Transcriber,
        model_name: str,
        config: SegmenterConfig | None = None,
        ttl_s: int = DEFAULT_TTL_S,
        diarizer: MonoDiarizer | None = None,
        drafter: Transcriber | None = None,
        gate: DecodeGate | None = None,
    ) -> None:
        """``drafter``: a cheap recognizer for live drafts of the open utterance on ``transcript.partials``
        (None = no partials). ``gate``: who decodes next when several encounters share this process."""
        self._diarizer = diarizer
        self._drafter = drafter
        self.gate = gate or DecodeGate()
        # When each encounter's audio was due, estimated in memory (scheduling only, never state): the
        # earliest (arrival - audio position) seen. A chunk handled late keeps an early due time, so an
        # encounter that fell behind is decoded before fresh ones; an upload running ahead of real time
        # gets due times in the future and yields to live visits.
        self._anchors: OrderedDict[str, float] = OrderedDict()
        # Speculative decodes per (encounter, channel): started when a pause begins, used by the cut that
        # closes the utterance if (and only if) it asks for the very same decode. In memory only: a replacement
        # worker just decodes normally, with the same result.
        self._speculations: OrderedDict[tuple[str, int], tuple[DecodeRequest, asyncio.Task[list[Segment]]]] = (
            OrderedDict()
        )
        self.speculation = {"started": 0, "used": 0, "unused": 0}
        self._store = state
        self._transcriber = transcriber
        self._model_name = model_name
        self._cfg = config or SegmenterConfig()
        self._ttl = ttl_s

    async def handle(self, event: Event) -> Sequence[Event]:
        if isinstance(event, AudioChunkReceived):
            return await self._on_chunk(event)
        if isinstance(event, AudioEnded):
            return await self._on_end(event)
        raise TypeError(f"asr stage cannot handle {type(event).__name__}")

    # ------------------------------------------------------------ handlers
    async def _on_chunk(self, chunk: AudioChunkReceived) -> list[Event]:
        enc = chunk.encounter_id
        state = await self._load(enc)
        if state is None:
            if chunk.seq != 0:
                raise ChunkOrderError(f"encounter {enc}: first chunk seen has seq {chunk.seq}, expected 0")
            state = StreamState.open(chunk)
        if chunk.seq < state.next_seq:
            return await self._replay(enc, f"chunk:{chunk.seq}")
        if state.ended:
            raise ChunkOrderError(f"encounter {enc}: chunk seq {chunk.seq} arrived after the audio ended")
        if chunk.seq > state.next_seq:
            raise ChunkOrderError(f"encounter {enc}: expected chunk seq {state.next_seq}, got {chunk.seq}")
        if chunk.channels != state.channels:
            raise ChunkOrderError(
                f"encounter {enc}: chunk seq {chunk.seq} has {chunk.channels} channels, expected {state.channels}"
            )
        cuts: list[tuple[int, Cut]] = []
        drafts: list[Draft] = []
        stale: list[str] = []
        due = self._due(enc, audio_end=state.audio_seconds + chunk.seconds)
        for channel, pcm in enumerate(split_channels(chunk.pcm, channels=state.channels)):
            await self._append(state, channel=channel, pcm=pcm)
            feed(state.lanes[channel], pcm, cfg=self._cfg)
            cut = next_cut(state.lanes[channel], cfg=self._cfg)
            if cut is not None:
                cuts.append((channel, cut))
                continue
            if self._drafter is not None and wants_draft(state.lanes[channel], cfg=self._cfg):
                drafts += await self._draft(state, channel=channel)
            if (early := early_cut(state.lanes[channel], cfg=self._cfg)) is not None:
                await self._speculate(state, channel=channel, cut=early)
        turns = await self._cut_lanes(state, cuts, stale=stale, due=due)
        state.next_seq += 1
        events: list[Event] = [self._turn_event(enc, turn) for turn in turns]
        events += [self._partial_event(state, d) for d in drafts]
        await self._save(state, key=f"chunk:{chunk.seq}", events=events)
        await self._store.delete(*stale)
        return events

    async def _on_end(self, ended: AudioEnded) -> list[Event]:
        enc = ended.encounter_id
        state = await self._load(enc)
        if state is None:
            if ended.chunk_count:
                raise ChunkOrderError(f"encounter {enc}: audio ended after {ended.chunk_count} chunks, none seen")
            state = StreamState(encounter_id=enc, channels=1, lanes=[])
        if state.ended:
            return await self._replay(enc, "end") or [self._closed_event(state)]
        if ended.chunk_count != state.next_seq:
            raise ChunkOrderError(
                f"encounter {enc}: audio ended after {ended.chunk_count} chunks, {state.next_seq} seen"
            )
        stale: list[str] = []
        due = self._due(enc, audio_end=state.audio_seconds)
        self._anchors.pop(enc, None)
        cuts = [(channel, cut) for channel, lane in enumerate(state.lanes)
                if (cut := next_cut(lane, cfg=self._cfg, final=True)) is not None]
        # Both speakers' last words are decoded side by side: the close is what a clinician waits on.
        turns = await self._cut_lanes(state, cuts, stale=stale, due=due)
        stale += [self._buf_key(enc, channel, lane.generation) for channel, lane in enumerate(state.lanes)]
        for channel in range(len(state.lanes)):
            self._take_speculation(enc, channel=channel, request=None)
        state.ended = True
        events: list[Event] = [self._turn_event(enc, turn) for turn in turns]
        events.append(self._closed_event(state))
        await self._save(state, key="end", events=events)
        await self._store.delete(*stale)
        log.info("transcript closed", extra={"encounter_id": enc, "turn_count": state.turn_count})
        return events

    # ------------------------------------------------------------ audio buffers
    def _buf_key(self, enc: str, channel: int, generation: int) -> str:
        return keys.buf_key(enc, channel=channel, generation=generation)

    async def _append(self, state: StreamState, *, channel: int, pcm: bytes) -> None:
        lane = state.lanes[channel]
        key = self._buf_key(state.encounter_id, channel, lane.generation)
        expected = lane.buffered * SAMPLE_WIDTH
        length = await self._store.append(key, pcm, ttl_s=self._ttl)
        if length != expected + len(pcm):
            # A previous attempt at this chunk appended and then failed before the state write.
            current = await self._store.get(key) or b""
            if len(current) < expected:
                raise BufferLostError(f"encounter {state.encounter_id}: audio buffer of channel {channel} is gone")
            await self._store.set(key, current[:expected] + pcm, ttl_s=self._ttl)

    def _due(self, enc: str, *, audio_end: float) -> float:
        anchor = min(self._anchors.pop(enc, float("inf")), time.monotonic() - audio_end)
        self._anchors[enc] = anchor
        while len(self._anchors) > MAX_ANCHORS:  # encounters that never ended
            self._anchors.popitem(last=False)
        return anchor + audio_end

    async def _buffer(self, state: StreamState, *, channel: int) -> bytes:
        lane = state.lanes[channel]
        key = self._buf_key(state.encounter_id, channel, lane.generation)
        buffer = (await self._store.get(key) or b"")[: lane.buffered * SAMPLE_WIDTH]
        if len(buffer) < lane.buffered * SAMPLE_WIDTH:
            raise BufferLostError(f"encounter {state.encounter_id}: audio buffer of channel {channel} is gone")
        return buffer

    async def _draft(self, state: StreamState, *, channel: int) -> list[Draft]:
        assert self._drafter is not None
        async with self.gate.draft() as idle:
            if not idle:
                return []  # finals are waiting: a live draft is worth less than a turn on time
            buffer = await self._buffer(state, channel=channel)
            found = await asyncio.to_thread(
                draft, state, channel=channel, buffer=buffer, transcriber=self._drafter, cfg=self._cfg
            )
        return [found] if found is not None else []

    async def _cut_lanes(
        self, state: StreamState, cuts: list[tuple[int, Cut]], *, stale: list[str], due: float
    ) -> list[Turn]:
        """Apply the cuts due on the lanes of one encounter in the same input. The lanes' decodes run side by
        side (each holds its own gate slot); the commits follow in channel order, so turn numbers and ids never
        depend on which decode finished first. Every decode of one input sees the transcript context as it
        was before the input."""
        enc = state.encounter_id
        old_keys = {channel: self._buf_key(enc, channel, state.lanes[channel].generation) for channel, _ in cuts}
        buffers = {channel: await self._buffer(state, channel=channel) for channel, _ in cuts}
        results: list[tuple[list[Turn], bytes]] = []
        if self._diarizer is not None and any(needs_diarization(state, channel=channel) for channel, _ in cuts):
            for channel, cut in cuts:  # speaker state is per encounter: one cut after the other
                async with self.gate.final(since=due):
                    results.append(await self._diarized_commit(
                        state, channel=channel, buffer=buffers[channel], cut=cut, stale=stale
                    ))
        else:
            heard = await asyncio.gather(*(
                self._decode(state, channel=channel, cut=cut, buffer=buffers[channel], due=due)
                for channel, cut in cuts
            ))
            results = [
                apply_cut(state, channel=channel, buffer=buffers[channel], cut=cut, segments=segments, cfg=self._cfg)
                for (channel, cut), segments in zip(cuts, heard)
            ]
        turns: list[Turn] = []
        for (channel, _), (found, rest) in zip(cuts, results):
            await self._store.set(self._buf_key(enc, channel, state.lanes[channel].generation), rest, ttl_s=self._ttl)
            stale.append(old_keys[channel])
            turns += found
        return turns

    async def _decode(self, state: StreamState, *, channel: int, cut: Cut, buffer: bytes, due: float) -> list[Segment]:
        request = decode_request(state, channel=channel, buffer=buffer, cut=cut, cfg=self._cfg)
        if request is None:
            return []  # silence or a click: no decoder slot, no thread hop
        speculative = self._take_speculation(state.encounter_id, channel=channel, request=request)
        if speculative is not None:
            try:
                return await asyncio.shield(speculative)
            except Exception:  # noqa: BLE001 - the speculation is only a head start; decode for real below
                log.warning("speculative decode failed", extra={"encounter_id": state.encounter_id})
        async with self.gate.final(since=due):
            return await asyncio.to_thread(request.run, self._transcriber)

    # ------------------------------------------------------------ speculative decodes
    async def _speculate(self, state: StreamState, *, channel: int, cut: Cut) -> None:
        """A pause has begun: decode the utterance as the cut that closes it will ask for, while a decoder is
        idle, so the turn is ready soon after the pause is confirmed. Never changes what is committed."""
        enc = state.encounter_id
        held = self._speculations.get((enc, channel))
        if held is not None and held[0].span == cut_span(state.lanes[channel], cut):
            return  # this pause is already being decoded
        if not self.gate.idle:
            return  # checked again when the slot is taken: the buffer read below may let another decode in
        buffer = await self._buffer(state, channel=channel)
        request = decode_request(state, channel=channel, buffer=buffer, cut=cut, cfg=self._cfg)
        if request is None or not self.gate.hold_if_idle():
            return
        task = asyncio.create_task(self._run_speculation(request))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a failure surfaces where it is used
        self._take_speculation(enc, channel=channel, request=None)
        self._speculations[(enc, channel)] = (request, task)
        self.speculation["started"] += 1
        while len(self._speculations) > MAX_SPECULATIONS:
            self._speculations.popitem(last=False)

    async def _run_speculation(self, request: DecodeRequest) -> list[Segment]:
        try:
            return await asyncio.to_thread(request.run, self._transcriber)
        finally:
            self.gate.release()

    def _take_speculation(
        self, enc: str, *, channel: int, request: DecodeRequest | None
    ) -> asyncio.Task[list[Segment]] | None:
        """Remove the lane's speculation; return its task if it decodes exactly ``request``."""
        held = self._speculations.pop((enc, channel), None)
        if held is None:
            return None
        if request is not None and held[0].key == request.key:
            self.speculation["used"] += 1
            return held[1]
        self.speculation["unused"] += 1
        return None

    # ------------------------------------------------------------ diarization hook (ASR part B)
    # Mono audio without a channel map: ``diarization.MonoDiarizer`` splits each cut by speaker and gives
    # roles. Its speaker state is versioned by the lane's buffer generation exactly like the audio buffer
    # (written under the next generation before the state commit point, old key deleted after), so a crash
    # or a partition move never loses or double-counts a speaker update.
    async def _diarized_commit(
        self, state: StreamState, *, channel: int, buffer: bytes, cut: Cut, stale: list[str]
    ) -> tuple[list[Turn], bytes]:
        assert self._diarizer is not None
        enc, lane = state.encounter_id, state.lanes[channel]
        old_key = keys.speakers_key(enc, channel=channel, generation=lane.generation)
        raw = await self._store.get(old_key)
        speakers = SpeakerState.model_validate_json(raw) if raw else SpeakerState()
        turns, rest = await asyncio.to_thread(
            self._diarizer.commit, state, speakers, channel=channel, buffer=buffer, cut=cut,
            transcriber=self._transcriber, cfg=self._cfg,
        )  # fmt: skip
        await self._store.set(
            keys.speakers_key(enc, channel=channel, generation=lane.generation), speakers.model_dump_json().encode(),
            ttl_s=self._ttl,
        )
        stale.append(old_key)
        return turns, rest

    # ------------------------------------------------------------ state and outputs
    async def _load(self, enc: str) -> StreamState | None:
        raw = await self._store.get(keys.state_key(enc))
        return StreamState.model_validate_json(raw) if raw else None

    async def _save(self, state: StreamState, *, key: str, events: list[Event]) -> None:
        enc = state.encounter_id
        out = {"input": key, "events": [e.model_dump(mode="json") for e in events]}
        await self._store.set(keys.out_key(enc), json.dumps(out).encode(), ttl_s=self._ttl)
        await self._store.set(keys.state_key(enc), state.model_dump_json().encode(), ttl_s=self._ttl)

    async def _replay(self, enc: str, key: str) -> list[Event]:
        """A redelivered input: the same events again if it was the last one handled, else nothing
        (older inputs' events were published before the next input was taken)."""
        raw = await self._store.get(keys.out_key(enc))
        if not raw:
            return []
        out = json.loads(raw)
        if out.get("input") != key:
            return []
        return [load_event(payload) for payload in out["events"]]

    def _turn_event(self, enc: str, turn: Turn) -> TurnTranscribed:
        return TurnTranscribed(event_id=derive_id("TurnTranscribed", turn.turn_id), encounter_id=enc, turn=turn)

    def _partial_event(self, state: StreamState, found: Draft) -> PartialTranscribed:
        return PartialTranscribed(
            event_id=derive_id(state.encounter_id, "partial", found.channel, found.revision),
            encounter_id=state.encounter_id,
            revision=found.revision,
            speaker=state.role_of(found.channel),
            channel=found.channel,
            start=found.start,
            end=found.end,
            text=found.text,
        )

    def _closed_event(self, state: StreamState) -> TranscriptClosed:
        return TranscriptClosed(
            event_id=derive_id(state.encounter_id, "TranscriptClosed"),
            encounter_id=state.encounter_id,
            turn_count=state.turn_count,
            audio_seconds=round(state.audio_seconds, 3),
            context=state.context or EncounterContext(),
            asr_model=self._model_name,
        )


# ---------------------------------------------------------------- factories (wiring only)
def build_asr_stage(
    *,
    state: StateStore,
    model_path: str | None = None,
    vocabulary: Sequence[str] = (),
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 0,
    decoders: int = 1,
    beam_size: int = 5,
    ttl_s: int = DEFAULT_TTL_S,
    diarize: bool = True,
    partials: bool = False,
) -> AsrStage:
    """The stage with the faster-whisper engine, model loaded (blocking: call it off the event loop).
    ``vocabulary`` adds terms to the default drug list used as the decoder prompt. ``diarize``: split mono
    audio without a channel map by speaker and infer clinician/patient roles (bundled d-vector encoder).
    ``partials``: publish live drafts of the open utterance on ``transcript.partials``."""
    from services.asr.config import DEFAULT_VOCABULARY
    from services.asr.engine import FasterWhisperTranscriber

    terms = list(dict.fromkeys([*DEFAULT_VOCABULARY, *vocabulary]))
    engine = FasterWhisperTranscriber(
        model_path=model_path,
        device=device,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        decoders=decoders,
        beam_size=beam_size,
        vocabulary=terms,
    )
    engine.load()
    diarizer = _mono_diarizer() if diarize else None
    return AsrStage(state=state, transcriber=engine, model_name=engine.model_name, ttl_s=ttl_s, diarizer=diarizer,
                    drafter=engine.drafter() if partials else None, gate=DecodeGate(slots=decoders))


def _mono_diarizer() -> MonoDiarizer:
    """The diarizer for mono audio with its speaker encoder loaded (blocking, ~0.3 s)."""
    from services.asr.diarization import DVectorEmbedder

    embedder = DVectorEmbedder()
    embedder.load()
    return MonoDiarizer(embedder=embedder)


async def make_stage(settings: AsrSettings, store: StateStore) -> AsrStage:
    """Stage factory for ``shared.runtime`` (called in on_startup): loads the model in a worker thread,
    so the service reports not-ready until it is loaded. ``settings.vocabulary`` is the full term list."""
    from services.asr.engine import FasterWhisperTranscriber

    engine = FasterWhisperTranscriber.from_settings(settings)
    await asyncio.to_thread(engine.load)
    diarizer = await asyncio.to_thread(_mono_diarizer)
    return AsrStage(
        state=store, transcriber=engine, model_name=engine.model_name, ttl_s=settings.state_ttl_s, diarizer=diarizer,
        config=SegmenterConfig(partial_interval_s=settings.partial_interval_s, min_pause_s=settings.min_pause_s,
                               early_pause_s=settings.early_pause_s),
        drafter=engine.drafter() if settings.partials else None,
        gate=DecodeGate(slots=settings.decoders),
    )
