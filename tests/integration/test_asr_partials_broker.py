"""``transcript.partials`` over the REAL broker: the ASR service (FastStream app, real tiny.en, Redis state)
takes a stereo visit's chunks from ``audio.chunks`` and publishes live drafts of the open utterances to
``transcript.partials`` before their final turns reach ``transcript.turns``; silence gets no draft."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from faststream import TestApp

from services.asr.app import SPEC as ASR
from services.asr.config import AsrSettings
from shared.audio import Audio, chunk_pcm, load_audio
from shared.contracts import (
    SAMPLE_RATE,
    AudioChunkReceived,
    AudioEnded,
    PartialTranscribed,
    Role,
    Topic,
    TranscriptClosed,
    TurnTranscribed,
    decode,
    encode,
)
from shared.runtime import build_app
from tests.helpers.topics import keyed, read_until, send_records

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "encounter.wav"
SECONDS = 14  # the first exchanges of the sample visit
SILENCE_S = 3.0


async def _records(bootstrap: str, encounter_id: str, *, timeout_s: float) -> list:
    """The encounter's turns and drafts, decoded, until its transcript closed (or the timeout)."""
    topics = [Topic.TRANSCRIPT_TURNS.value, Topic.TRANSCRIPT_PARTIALS.value]

    def events(kept: list) -> list:
        return [decode(Topic(r.topic), r.value, dict(r.headers)) for r in kept]

    found = await read_until(bootstrap, topics, keep=keyed(encounter_id), timeout_s=timeout_s,
                             done=lambda kept: any(isinstance(e, TranscriptClosed) for e in events(kept)))
    return events(found)


async def test_live_drafts_reach_transcript_partials_before_the_turns(stack, encounter_id):
    sample = load_audio(SAMPLE)
    frames = SECONDS * SAMPLE_RATE * sample.frame_bytes
    quiet = np.zeros(int(SILENCE_S * SAMPLE_RATE) * sample.channels, dtype="<i2").tobytes()
    audio = Audio(pcm=sample.pcm[:frames] + quiet, channels=sample.channels)
    roles = {0: Role.CLINICIAN, 1: Role.PATIENT}
    records = []
    count = 0
    for seq, pcm in enumerate(chunk_pcm(audio, ms=200)):
        chunk = AudioChunkReceived(event_id=f"{encounter_id}-{seq}", encounter_id=encounter_id, seq=seq,
                                   channels=audio.channels, channel_roles=roles if seq == 0 else None, pcm=pcm)
        records.append((Topic.AUDIO_CHUNKS.value, *encode(chunk), encounter_id))
        count += 1
    records.append((Topic.AUDIO_CHUNKS.value,
                    *encode(AudioEnded(event_id=f"{encounter_id}-end", encounter_id=encounter_id, chunk_count=count)),
                    encounter_id))
    settings = AsrSettings(kafka_bootstrap=stack.bootstrap, redis_url=stack.redis_url, encryption=False,
                           cpu_threads=2, partials=True)
    async with TestApp(build_app(ASR, settings)):
        await send_records(stack.bootstrap, records)
        events = await _records(stack.bootstrap, encounter_id, timeout_s=180)

    drafts = [e for e in events if isinstance(e, PartialTranscribed)]
    turns = [e.turn for e in events if isinstance(e, TurnTranscribed)]
    assert turns and drafts, "both the final turns and live drafts were published"
    assert all(d.text.strip() for d in drafts)
    assert {d.speaker for d in drafts} <= {Role.CLINICIAN, Role.PATIENT}
    # A draft covers an open utterance that its final turn later covers; none lies in the trailing silence.
    assert all(any(t.channel == d.channel and t.start <= d.start + 0.05 and d.start < t.end for t in turns)
               for d in drafts)
    assert all(d.start < SECONDS for d in drafts)
    # Revisions only grow per channel, so a display keeps the newest.
    for channel in {d.channel for d in drafts}:
        revisions = [d.revision for d in drafts if d.channel == channel]
        assert revisions == sorted(set(revisions))
