"""PHI at rest on the bus and in Redis: the four service apps run in this process against the REAL Kafka
broker and Redis with payload encryption on. Planted PHI (name, date of birth, MRN, phone, address, a drug
and a diagnosis) enters through the EncounterContext of an audio visit and through transcript turns published
directly into transcript.turns (TTS audio would be slow); a replayed payload is dead-lettered. Then the RAW
bytes of every record of every topic (DLQs included) and of every Redis key are scanned: none of it is there
in clear. Also: every Redis key has a TTL, and nothing the services logged carries the PHI."""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from faststream import TestApp

from scribestream.cli import _publish
from services.asr.app import SPEC as ASR
from services.asr.config import AsrSettings
from services.coding.app import SPEC as CODING
from services.coding.config import CodingSettings
from services.ehr_sink.app import SPEC as EHR_SINK
from services.ehr_sink.config import EhrSinkSettings
from services.notegen.app import SPEC as NOTEGEN
from services.notegen.config import NotegenSettings
from shared.audio import load_audio
from shared.contracts import (
    H_DLQ_REASON,
    H_ENCOUNTER,
    EncounterContext,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    derive_id,
    encode,
)
from shared.crypto import KeyRing
from shared.runtime import build_app
from tests.helpers.topics import all_records, read_until, send_records

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "encounter.wav"
NAME, DOB, MRN = "Margaret Okonkwo", "03/14/1958", "MRN-4471902"
PHONE, ADDRESS = "(617) 555-0142", "1420 Beacon Street"
DRUG, DIAGNOSIS = "lisinopril", "hypertension"
# What must never appear in clear. The drug and diagnosis are common words other tests send unencrypted, so
# they are looked for only in this test's records and keys (with the PCM).
UNIQUE_PHI = (NAME, "Okonkwo", DOB, MRN, "4471902", PHONE, "555-0142", ADDRESS, "Beacon Street")
COMMON_PHI = (DRUG, DIAGNOSIS, "Lisinopril", "Hypertension")
TURNS = (
    ("clinician", f"Good morning, can you confirm your name and date of birth? Is it {NAME}, born {DOB}?"),
    ("patient", f"Yes, {NAME}, {DOB}. My record number is {MRN}."),
    ("clinician", f"And we can still reach you at {PHONE} and {ADDRESS}?"),
    ("patient", "Yes. I have had a headache every morning for two weeks."),
    ("clinician", f"Your blood pressure is 162 over 98. This is {DIAGNOSIS}. Start {DRUG} 10 mg daily."),
)
CONTEXT = EncounterContext(patient_ref=f"Patient/{MRN}", encounter_ref=f"Encounter/{NAME.replace(' ', '-')}",
                           practitioner_ref=f"Practitioner/{PHONE}")


def _turn_events(encounter_id: str) -> list:
    events: list = []
    for seq, (speaker, text) in enumerate(TURNS):
        turn = Turn(turn_id=derive_id(encounter_id, "turn", seq), seq=seq, speaker=speaker, start=seq * 5.0,
                    end=seq * 5.0 + 4, text=text, confidence=0.95)
        events.append(TurnTranscribed(event_id=derive_id(encounter_id, "TurnTranscribed", seq),
                                      encounter_id=encounter_id, turn=turn))
    events.append(TranscriptClosed(event_id=derive_id(encounter_id, "TranscriptClosed"), encounter_id=encounter_id,
                                   turn_count=len(TURNS), audio_seconds=25.0, context=CONTEXT))
    return events


async def _wait_for(bootstrap: str, topic: str, keys: set[str], timeout_s: float) -> None:
    seen = await read_until(bootstrap, [topic], keep=lambda r: r.key is not None and r.key.decode() in keys,
                            done=lambda found: keys <= {r.key.decode() for r in found}, timeout_s=timeout_s)
    pending = keys - {r.key.decode() for r in seen}
    assert not pending, f"nothing on {topic} for {sorted(pending)} within {timeout_s:.0f}s"


def _speech_windows(pcm: bytes, *, step: int) -> list[bytes]:
    """32-byte slices of the audio that are not near-silence (a run of zeros would match anything)."""
    windows = [pcm[i:i + 32] for i in range(0, len(pcm) - 32, step)]
    return [w for w in windows if len(set(w)) > 12]


def _raw(record) -> bytes:
    return b"\x00".join([record.key or b"", record.value or b"",
                         *(k.encode() + b"=" + v for k, v in (record.headers or []))])


@pytest.fixture(scope="module")
async def sealed_run(stack, tmp_path_factory):
    ring = KeyRing.generate("it-1")
    common = {"kafka_bootstrap": stack.bootstrap, "redis_url": stack.redis_url, "encryption": True,
              "keys": f"it-1={base64.b64encode(ring.keys['it-1']).decode()}"}
    outbox = tmp_path_factory.mktemp("outbox")
    apps = [build_app(ASR, AsrSettings(**common)), build_app(NOTEGEN, NotegenSettings(**common)),
            build_app(CODING, CodingSettings(**common)), build_app(EHR_SINK, EhrSinkSettings(**common, outbox_dir=outbox))]
    tag = uuid.uuid4().hex[:8]
    audio_enc, partial_enc, text_enc = f"enc-phi-a-{tag}", f"enc-phi-p-{tag}", f"enc-phi-t-{tag}"
    audio = load_audio(SAMPLE)
    audio = replace(audio, pcm=audio.pcm[: 6 * 16_000 * audio.frame_bytes])
    partial = replace(audio, pcm=audio.pcm[: 2 * 16_000 * audio.frame_bytes])

    turn_records = [(Topic.TRANSCRIPT_TURNS.value, *encode(e, keyring=ring), text_enc) for e in _turn_events(text_enc)]
    # The first turn's sealed payload replayed under another encounter's headers: dead-lettered.
    _, value, headers, _ = turn_records[0]
    replay = (Topic.TRANSCRIPT_TURNS.value, value, {**headers, H_ENCOUNTER: f"enc-victim-{tag}"}, f"enc-victim-{tag}")

    logs: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logs.append  # type: ignore[method-assign]
    async with AsyncExitStack() as running:
        for app in apps:
            await running.enter_async_context(TestApp(app))
        logging.getLogger().addHandler(handler)  # after start: configure_logging replaces root handlers
        try:
            await send_records(stack.bootstrap, [*turn_records, replay])
            await _publish(audio, bootstrap=stack.bootstrap, encounter_id=audio_enc, realtime=False, context=CONTEXT,
                           roles=None, keyring=ring)
            # A visit still in progress: its audio buffers and ASR state (with the context) stay in Redis.
            from scribestream.encounter import encounter_events

            chunks = [e for e in encounter_events(partial, encounter_id=partial_enc, context=CONTEXT,
                                                  channel_roles=None) if e.name() == "AudioChunkReceived"]
            await send_records(stack.bootstrap, [(Topic.AUDIO_CHUNKS.value, *encode(c, keyring=ring), partial_enc)
                                                 for c in chunks])
            await _wait_for(stack.bootstrap, Topic.EHR_SUBMITTED, {audio_enc, text_enc}, timeout_s=120)
            await _wait_for(stack.bootstrap, Topic.TRANSCRIPT_TURNS.dlq, {f"enc-victim-{tag}"}, timeout_s=30)
            await asyncio.sleep(1.0)  # the partial visit's last chunks reach Redis
        finally:
            logging.getLogger().removeHandler(handler)
    topics = [t.value for t in Topic] + [t.dlq for t in Topic]
    records = await all_records(stack.bootstrap, topics)
    client = aioredis.Redis.from_url(stack.redis_url)
    try:
        keys = [k async for k in client.scan_iter(match="*", count=1000)]
        redis_values: dict[bytes, bytes] = {}
        ttls: dict[bytes, int] = {}
        for key in keys:
            kind = (await client.type(key)).decode()
            if kind == "string":
                redis_values[key] = await client.get(key) or b""
            elif kind == "hash":
                redis_values[key] = b"\x00".join(k + b"=" + v for k, v in (await client.hgetall(key)).items())
            else:
                redis_values[key] = repr(await client.dump(key)).encode()
            ttls[key] = await client.ttl(key)
    finally:
        await client.aclose()
    ours = (audio_enc, partial_enc, text_enc, f"enc-victim-{tag}")
    return dict(records=records, redis=redis_values, ttls=ttls, logs=logs, ours=ours, audio=audio, partial_enc=partial_enc)


def test_no_topic_holds_phi_in_clear(sealed_run):
    records = sealed_run["records"]
    ours = [r for r in records if r.key and r.key.decode() in sealed_run["ours"]]
    topics = {r.topic for r in ours}
    assert {"audio.chunks", "transcript.turns", "soap.draft", "soap.coded", "ehr.submitted",
            "transcript.turns.dlq"} <= topics
    for record in records:
        raw = _raw(record)
        for phi in UNIQUE_PHI:
            assert phi.encode() not in raw, f"{phi!r} in clear on {record.topic}@{record.offset}"
    pcm = sealed_run["audio"].pcm
    windows = _speech_windows(pcm, step=16_000)
    for record in ours:
        raw = _raw(record)
        for phi in COMMON_PHI:
            assert phi.encode() not in raw, f"{phi!r} in clear on {record.topic}@{record.offset}"
        assert windows and not any(w in raw for w in windows), f"audio in clear on {record.topic}@{record.offset}"


def test_the_replayed_payload_was_dead_lettered_still_sealed(sealed_run):
    [dead] = [r for r in sealed_run["records"] if r.topic == "transcript.turns.dlq"
              and r.key and r.key.decode().startswith("enc-victim-") and r.key.decode() in sealed_run["ours"]]
    reason = dict(dead.headers)[H_DLQ_REASON].decode()
    assert "cannot decrypt" in reason and "failed authentication" in reason


def test_no_redis_key_holds_phi_in_clear_and_every_key_expires(sealed_run):
    values = sealed_run["redis"]
    partial = [k for k in values if sealed_run["partial_enc"].encode() in k]
    assert any(b":buf:" in k for k in partial) and any(k.endswith(b":state") for k in partial), \
        "the visit in progress left no audio buffer or state to check"
    pcm = sealed_run["audio"].pcm
    windows = _speech_windows(pcm[: 2 * 32_000], step=4_000)
    for key, value in values.items():
        blob = key + b"\x00" + value
        for phi in UNIQUE_PHI:
            assert phi.encode() not in blob, f"{phi!r} in clear in Redis key {key!r}"
        if any(enc.encode() in key for enc in sealed_run["ours"]):
            for phi in COMMON_PHI:
                assert phi.encode() not in blob, f"{phi!r} in clear in Redis key {key!r}"
            assert not any(w in value for w in windows), f"audio in clear in Redis key {key!r}"
    no_ttl = [k for k, ttl in sealed_run["ttls"].items() if ttl < 0]
    assert not no_ttl, f"Redis keys without a TTL: {no_ttl[:5]}"


def test_nothing_logged_carries_the_phi(sealed_run):
    from shared.logging import JsonFormatter

    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in sealed_run["logs"]]
    assert lines, "the services logged nothing"
    text = "\n".join(lines)
    for phi in (*UNIQUE_PHI, *COMMON_PHI):
        assert phi not in text, f"{phi!r} in the services' logs"
