"""Hostile input for the wire decoder (shared.contracts.decode) and the delivery in front of it.

Whatever arrives (random bytes, random headers, a valid schema with garbage fields, 100k-deep JSON, oversized
values, audio metadata claiming absurd lengths or channels, forged key ids and ciphertexts) the outcome is an
Event or a ContractViolation whose reason carries none of the planted PHI; never another exception, never a
hang (pytest-timeout), and bounded memory (tracemalloc peak). Delivery turns each into a DLQ entry with a
reason and keeps going.
"""

from __future__ import annotations

import json
import struct
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts import (
    H_AUDIO_META,
    H_CIPHER,
    H_DLQ_REASON,
    H_ENCOUNTER,
    H_EVENT_ID,
    H_KEY_ID,
    H_SCHEMA,
    H_VERSION,
    MAX_AUDIO_META,
    MAX_VALUE_BYTES,
    TOPIC_EVENTS,
    AudioChunkReceived,
    ContractViolation,
    Event,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    derive_id,
    encode,
)
from shared.contracts import decode as contract_decode
from shared.crypto import KeyRing, bus_aad
from shared.delivery import Delivery, Outcome
from shared.state import MemoryStateStore
from tests.unit.fuzzing import FUZZ

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

PHI = ("Margaret Okonkwo", "MRN-4471902", "(617) 555-0142")
RING = KeyRing.generate("k1")
SCHEMAS = [(topic, cls) for topic, classes in TOPIC_EVENTS.items() for cls in classes]


def decode(topic, value, headers, *, keyring=None) -> Event | None:
    """The property every decode must hold: an Event, or a ContractViolation whose reason holds no PHI."""
    try:
        return contract_decode(topic, value, headers, keyring=keyring)
    except ContractViolation as err:
        reason = str(err)
        assert reason and not any(p in reason for p in PHI), reason
        return None


def turn(encounter_id: str = "enc-1", text: str = PHI[0]) -> TurnTranscribed:
    return TurnTranscribed(event_id=derive_id(encounter_id, "t"), encounter_id=encounter_id,
                           turn=Turn(turn_id="t1", seq=0, speaker="patient", start=0, end=1, text=text, confidence=0.9))


def headers_for(cls: type[Event], **extra: str) -> dict[str, str]:
    return {H_SCHEMA: cls.name(), H_VERSION: "1", H_EVENT_ID: "ev-1", H_ENCOUNTER: "enc-1", **extra}


header_text = st.one_of(st.text(max_size=40), st.binary(max_size=40), st.sampled_from(["1", "0", "A256GCM", "k1"]))
header_names = st.sampled_from([H_SCHEMA, H_VERSION, H_EVENT_ID, H_ENCOUNTER, H_KEY_ID, H_CIPHER, H_AUDIO_META, "x"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=20)
    | st.sampled_from(PHI),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10) | st.sampled_from(PHI), inner,
                                                                max_size=4),
    max_leaves=12,
)


@FUZZ
@given(schema=st.sampled_from(SCHEMAS), value=st.none() | st.binary(max_size=512),
       headers=st.dictionaries(header_names, header_text, max_size=7), sealed=st.booleans())
def test_random_bytes_and_headers(schema, value, headers, sealed):
    topic, cls = schema
    decode(topic, value, {**headers_for(cls), **headers}, keyring=RING if sealed else None)
    decode(topic, value, headers, keyring=RING if sealed else None)


@FUZZ
@given(schema=st.sampled_from(SCHEMAS), field=st.text(max_size=12) | st.sampled_from(PHI), garbage=json_values)
def test_valid_schema_with_garbage_fields(schema, field, garbage):
    topic, cls = schema
    payload = {"schema_name": cls.name(), "schema_version": 1, "event_id": "ev-1", "encounter_id": "enc-1",
               "turn": {"turn_id": "t", "seq": 0, "speaker": "patient", "start": 0, "end": 1, "text": PHI[0],
                        "confidence": 0.5}}
    payload[field] = garbage
    headers = headers_for(cls)
    if cls is AudioChunkReceived:
        decode(topic, b"\x00\x00", {**headers, H_AUDIO_META: json.dumps(payload)})
    else:
        decode(topic, json.dumps(payload).encode(), headers)


@FUZZ
@given(key=st.sampled_from(["turn", "text", "confidence", "seq", "speaker"]), garbage=json_values)
def test_garbage_inside_a_nested_model_names_no_content(key, garbage):
    event = json.loads(encode(turn())[0])
    event["turn"][key] = garbage
    decode(Topic.TRANSCRIPT_TURNS, json.dumps(event).encode(), headers_for(TurnTranscribed))


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


DEEP = [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b"[" * 100_000]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s[1].name())
def test_deeply_nested_json_is_refused_in_bounded_memory(schema):
    topic, cls = schema
    for deep in DEEP:
        for sealed in (False, True):
            if cls is AudioChunkReceived:
                value, headers = b"\x00\x00", headers_for(cls, **{H_AUDIO_META: deep.decode()})
                if sealed:  # the metadata travels inside the ciphertext: u32 length | metadata | PCM
                    inner = deep[: MAX_AUDIO_META - 10]
                    value = struct.pack(">I", len(inner)) + inner + b"\x00\x00"
            else:
                value, headers = deep, headers_for(cls)
            if sealed:
                key_id, value = RING.seal(value, aad=bus_aad(topic=topic.value, encounter_id="enc-1", event_id="ev-1",
                                                             schema=cls.name()))
                headers = {**headers, H_KEY_ID: key_id}
            peak = peak_bytes(lambda: decode(topic, value, headers, keyring=RING if sealed else None))
            assert peak < 8 * 1024 * 1024, f"{peak} bytes to refuse {len(deep)} bytes of nesting"


def test_oversized_value_is_refused_before_parsing():
    huge = b'{"' + b"x" * MAX_VALUE_BYTES + b'": 1}'
    for topic, cls in SCHEMAS:
        with pytest.raises(ContractViolation, match="exceeds"):
            contract_decode(topic, huge, headers_for(cls))
    # Parsing is where memory goes: refusing first keeps the peak far below the value's own size.
    assert peak_bytes(lambda: decode(Topic.SOAP_DRAFT, huge, headers_for(TurnTranscribed))) < 1024 * 1024


def test_a_large_but_legal_value_decodes_in_memory_proportional_to_it():
    value, headers = encode(turn(text="word " * 1_000_000))  # ~5 MB of transcript in one turn
    event = decode(Topic.TRANSCRIPT_TURNS, value, headers)
    assert isinstance(event, TurnTranscribed)
    assert peak_bytes(lambda: decode(Topic.TRANSCRIPT_TURNS, value, headers)) < 4 * len(value)


audio_meta = st.fixed_dictionaries(
    {"event_id": st.just("ev-1"), "encounter_id": st.just("enc-1")},
    optional={"seq": st.integers(min_value=-(2**70), max_value=2**70),
              "channels": st.integers(min_value=-(2**40), max_value=2**40),
              "sample_rate": st.integers(min_value=-1, max_value=2**40),
              "channel_roles": st.dictionaries(st.integers(-5, 2**40).map(str), st.sampled_from(["patient", "x"]),
                                               max_size=3),
              "schema_name": st.just("AudioChunkReceived")},
)


@FUZZ
@given(meta=audio_meta, pcm=st.binary(max_size=64), claimed=st.integers(min_value=0, max_value=2**32 - 1) | st.none())
def test_audio_metadata_claiming_absurd_lengths_and_channels(meta, pcm, claimed):
    raw = json.dumps(meta).encode()
    plain = decode(Topic.AUDIO_CHUNKS, pcm, headers_for(AudioChunkReceived, **{H_AUDIO_META: raw.decode()}))
    if plain is not None:
        assert isinstance(plain, AudioChunkReceived) and 1 <= plain.channels <= 8 and plain.pcm == pcm
    # Sealed: the u32 metadata length prefix may lie (claim 4 GiB, claim more than is there).
    length = len(raw) if claimed is None else claimed
    key_id, blob = RING.seal(struct.pack(">I", length) + raw + pcm,
                             aad=bus_aad(topic="audio.chunks", encounter_id="enc-1", event_id="ev-1",
                                         schema="AudioChunkReceived"))
    sealed = decode(Topic.AUDIO_CHUNKS, blob, headers_for(AudioChunkReceived, **{H_KEY_ID: key_id}), keyring=RING)
    if sealed is not None:
        assert length == len(raw) and sealed.pcm == pcm  # any other claim cuts the metadata JSON short or overruns


@FUZZ
@given(key_id=st.text(max_size=80), blob=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=10_000),
       other_encounter=st.text(min_size=1, max_size=20))
def test_forged_key_ids_and_ciphertexts_are_contract_violations(key_id, blob, flip, other_encounter):
    headers = headers_for(TurnTranscribed)
    assert decode(Topic.TRANSCRIPT_TURNS, blob, {**headers, H_KEY_ID: key_id}, keyring=RING) is None
    value, good = encode(turn(), keyring=RING)
    tampered = bytearray(value)
    tampered[flip % len(value)] ^= 0x01
    assert decode(Topic.TRANSCRIPT_TURNS, bytes(tampered), good, keyring=RING) is None
    assert decode(Topic.TRANSCRIPT_TURNS, value, good, keyring=KeyRing.generate("k1")) is None  # same id, other key
    assert decode(Topic.TRANSCRIPT_TURNS, value, good, keyring=None) is None  # sealed, but no ring here
    if other_encounter != "enc-1":
        assert decode(Topic.TRANSCRIPT_TURNS, value, {**good, H_ENCOUNTER: other_encounter}, keyring=RING) is None
    stripped = {k: v for k, v in good.items() if k != H_KEY_ID}  # downgrade: pretend it is plaintext
    assert decode(Topic.TRANSCRIPT_TURNS, value, stripped, keyring=RING) is None


class EchoStage:
    name, consumes, produces = "echo", Topic.TRANSCRIPT_TURNS, Topic.TRANSCRIPT_TURNS

    async def handle(self, event):
        return [TranscriptClosed(event_id=derive_id(event.event_id, "out"), encounter_id=event.encounter_id,
                                 turn_count=1, audio_seconds=1.0)]


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def __call__(self, topic, value, *, key, headers):
        self.sent.append((topic, value, headers))


HOSTILE = {
    "oversized": lambda: (b"x" * (MAX_VALUE_BYTES + 1), headers_for(TurnTranscribed)),
    "deeply nested": lambda: (b"[" * 100_000 + b"]" * 100_000, headers_for(TurnTranscribed)),
    "wrong schema": lambda: (encode(turn())[0], headers_for(TurnTranscribed, **{H_SCHEMA: "NoteDrafted"})),
    "garbage field": lambda: (json.dumps({**json.loads(encode(turn())[0]), PHI[0]: PHI[1]}).encode(),
                              headers_for(TurnTranscribed)),
    "bad ciphertext": lambda: (b"\x00" * 64, headers_for(TurnTranscribed, **{H_KEY_ID: "k1"})),
    "unknown key": lambda: (encode(turn(), keyring=RING)[0], {**encode(turn(), keyring=RING)[1], H_KEY_ID: "k9"}),
    "random bytes": lambda: (bytes(range(256)) * 4, {H_SCHEMA: "\udcff", H_VERSION: "\x00"}),
}


@pytest.mark.parametrize("kind", HOSTILE)
async def test_delivery_dead_letters_hostile_records_with_a_reason_and_keeps_going(kind):
    rec = Recorder()
    delivery = Delivery(stage=EchoStage(), dedupe=MemoryStateStore(), publish=rec, retry_wait_s=0, keyring=RING)
    value, headers = HOSTILE[kind]()
    assert await delivery.deliver(value=value, headers=headers, source="t:0:1") is Outcome.DEAD_LETTERED
    [(topic, _, dlq_headers)] = rec.sent
    assert topic == "transcript.turns.dlq" and dlq_headers[H_DLQ_REASON]
    assert not any(p in json.dumps(dlq_headers[H_DLQ_REASON]) for p in PHI)
    good_value, good_headers = encode(turn("enc-2"), keyring=RING)
    assert await delivery.deliver(value=good_value, headers=good_headers) is Outcome.PROCESSED
