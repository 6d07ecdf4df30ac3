"""Payload encryption: the sealed wire codec, key rotation, the encrypting state store, key ring loading."""

from __future__ import annotations

import base64
import json
import logging
import os

import pytest

from shared.contracts import (
    H_AUDIO_META,
    H_DLQ_REASON,
    H_ENCOUNTER,
    H_EVENT_ID,
    H_KEY_ID,
    AudioChunkReceived,
    ContractViolation,
    EncounterContext,
    NoteSubmitted,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    decode,
    derive_id,
    encode,
)
from shared.crypto import DecryptError, KeyRing, KeyRingError, bus_aad
from shared.delivery import Delivery, Outcome
from shared.security import (
    ReloadingKeyRing,
    kafka_client_kwargs,
    load_keyring,
    redis_kwargs,
)
from shared.settings import SecuritySettings
from shared.state import EncryptingStateStore, MemoryStateStore

pytestmark = pytest.mark.unit

NAME, MRN, DRUG = "Jane Roe", "MRN-4471902", "lisinopril"
CONTEXT = EncounterContext(patient_ref=f"Patient/{MRN}", encounter_ref="Encounter/e-1")


def key_text() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def turn(encounter_id: str = "enc-1", text: str = f"{NAME} takes {DRUG}") -> TurnTranscribed:
    return TurnTranscribed(event_id=derive_id(encounter_id, "t1"), encounter_id=encounter_id,
                           turn=Turn(turn_id="t1", seq=0, speaker="patient", start=0, end=1, text=text, confidence=0.9))


def chunk(encounter_id: str = "enc-1") -> AudioChunkReceived:
    return AudioChunkReceived(event_id=derive_id(encounter_id, 0), encounter_id=encounter_id, seq=0,
                              context=CONTEXT, pcm=b"\x01\x00" * 3200)


# ------------------------------------------------------------------ wire codec
def test_sealed_events_round_trip_and_carry_no_phi_in_value_or_headers():
    ring = KeyRing.generate("k1")
    for event, topic in ((turn(), Topic.TRANSCRIPT_TURNS), (chunk(), Topic.AUDIO_CHUNKS)):
        value, headers = encode(event, keyring=ring)
        assert headers[H_KEY_ID] == "k1" and H_AUDIO_META not in headers
        wire = value + json.dumps(headers).encode()
        for phi in (NAME, MRN, DRUG):
            assert phi.encode() not in wire
        assert decode(topic, value, headers, keyring=ring) == event


def test_without_a_key_ring_the_old_wire_format_still_works():
    value, headers = encode(chunk())
    assert H_KEY_ID not in headers and value == chunk().pcm
    assert decode(Topic.AUDIO_CHUNKS, value, headers) == chunk()


def test_ehr_submitted_stays_readable_without_the_key():
    event = NoteSubmitted(event_id="s1", encounter_id="enc-1", note_version=1, mode="outbox", destination="/x",
                          status="created", bundle_id="b1", resources=[])
    value, headers = encode(event, keyring=KeyRing.generate())
    assert H_KEY_ID not in headers and decode(Topic.EHR_SUBMITTED, value, headers) == event


@pytest.mark.parametrize("tamper", [
    lambda v, h: (v, {**h, H_ENCOUNTER: "enc-other"}),  # replayed into another encounter
    lambda v, h: (v, {**h, H_EVENT_ID: "another-event"}),  # replayed as another event
    lambda v, h: (v[:-1] + bytes([v[-1] ^ 1]), h),  # flipped bit
    lambda v, h: (v, {**h, H_KEY_ID: "k-retired"}),  # key not in the ring
    lambda v, h: (v, {k: x for k, x in h.items() if k != H_KEY_ID}),  # stripped: downgrade to plaintext
])
def test_tampered_or_replayed_payloads_are_contract_violations(tamper):
    ring = KeyRing.generate("k1")
    value, headers = tamper(*encode(turn(), keyring=ring))
    with pytest.raises(ContractViolation) as err:
        decode(Topic.TRANSCRIPT_TURNS, value, headers, keyring=ring)
    assert NAME not in str(err.value)


def test_a_ciphertext_is_bound_to_its_topic():
    ring = KeyRing.generate("k1")
    kid, blob = ring.seal(b"x", aad=bus_aad(topic="transcript.turns", encounter_id="e", event_id="1", schema="S"))
    with pytest.raises(DecryptError):
        ring.open(blob, key_id=kid, aad=bus_aad(topic="transcript.turns.dlq", encounter_id="e", event_id="1",
                                                schema="S"))


def test_sealed_payload_without_a_key_ring_is_refused():
    value, headers = encode(turn(), keyring=KeyRing.generate())
    with pytest.raises(ContractViolation, match="no key ring"):
        decode(Topic.TRANSCRIPT_TURNS, value, headers)


def test_rotation_old_events_readable_until_the_key_is_retired():
    k1, k2 = key_text(), key_text()
    before = KeyRing.from_texts({"k1": k1}, active_id=None)
    during = KeyRing.from_texts({"k1": k1, "k2": k2}, active_id="k2")
    after = KeyRing.from_texts({"k2": k2}, active_id="k2")
    old = encode(turn(), keyring=before)
    new = encode(turn(), keyring=during)
    assert new[1][H_KEY_ID] == "k2"
    assert decode(Topic.TRANSCRIPT_TURNS, *old, keyring=during) == turn()
    assert decode(Topic.TRANSCRIPT_TURNS, *new, keyring=after) == turn()
    with pytest.raises(ContractViolation, match="unknown or retired"):
        decode(Topic.TRANSCRIPT_TURNS, *old, keyring=after)


# ------------------------------------------------------------------ delivery
class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def __call__(self, topic, value, *, key, headers):
        self.sent.append((topic, value, headers))


class Echo:
    name, consumes, produces = "echo", Topic.TRANSCRIPT_TURNS, Topic.TRANSCRIPT_TURNS

    async def handle(self, event):
        return [TranscriptClosed(event_id=derive_id(event.event_id, "c"), encounter_id=event.encounter_id,
                                 turn_count=1, audio_seconds=1, context=CONTEXT)]


async def test_delivery_seals_outputs_and_dead_letters_a_replay_with_a_phi_free_reason():
    ring, rec = KeyRing.generate("k1"), Recorder()
    delivery = Delivery(stage=Echo(), dedupe=MemoryStateStore(), publish=rec, keyring=ring, retry_wait_s=0)
    value, headers = encode(turn(), keyring=ring)
    assert await delivery.deliver(value=value, headers=headers) is Outcome.PROCESSED
    topic, out, out_headers = rec.sent[0]
    assert out_headers[H_KEY_ID] == "k1" and MRN.encode() not in out
    # The same sealed payload replayed under another encounter's headers:
    replay = {**headers, H_ENCOUNTER: "enc-victim"}
    assert await delivery.deliver(value=value, headers=replay) is Outcome.DEAD_LETTERED
    topic, dead, dead_headers = rec.sent[-1]
    assert topic == "transcript.turns.dlq" and dead == value  # still sealed in the DLQ
    assert "cannot decrypt" in dead_headers[H_DLQ_REASON]
    assert not any(NAME in v or MRN in v for v in dead_headers.values())


async def test_tombstones_are_skipped():
    delivery = Delivery(stage=Echo(), dedupe=MemoryStateStore(), publish=Recorder(), keyring=KeyRing.generate())
    assert await delivery.deliver(value=None, headers={}) is Outcome.TOMBSTONE


# ------------------------------------------------------------------ state store
async def test_encrypting_store_behaves_like_the_plain_store_and_hides_values():
    inner = MemoryStateStore()
    store = EncryptingStateStore(inner, keyring=KeyRing.generate("k1"))
    secret = f"{NAME} {MRN}".encode()
    await store.set("a", secret)
    assert await store.get("a") == secret and secret not in (await inner.get("a") or b"")
    assert await store.get("missing") is None
    assert await store.set_if_absent("a", b"x") is False and await store.set_if_absent("b", b"y") is True
    await store.hset("h", "f1", secret)
    await store.hset("h", "f2", b"two")
    assert await store.hgetall("h") == {"f1": secret, "f2": b"two"}
    assert all(secret not in v for v in (await inner.hgetall("h")).values())
    await store.delete("a", "b")
    assert await store.get("a") is None and await store.get("b") is None


async def test_append_returns_plaintext_lengths_across_set_and_missing_tally():
    inner = MemoryStateStore()
    store = EncryptingStateStore(inner, keyring=KeyRing.generate("k1"))
    assert await store.append("buf", b"abc") == 3
    assert await store.append("buf", b"defg") == 7
    assert await store.get("buf") == b"abcdefg"
    await store.set("buf", b"xy")  # the ASR rewrites a buffer, then keeps appending
    assert await store.append("buf", b"z") == 3
    await inner.delete("buf#o")  # tally lost (expired, crash): measured again from the frames
    assert await store.append("buf", b"12") == 5
    assert await store.get("buf") == b"xyz12"
    await store.delete("buf")
    assert await store.append("buf", b"new") == 3  # a stale tally from the old value is not counted


async def test_a_state_value_copied_to_another_key_does_not_open():
    inner = MemoryStateStore()
    store = EncryptingStateStore(inner, keyring=KeyRing.generate("k1"))
    await store.set("asr:enc-1:state", b"{}")
    await inner.set("asr:enc-2:state", await inner.get("asr:enc-1:state") or b"")
    with pytest.raises(DecryptError):
        await store.get("asr:enc-2:state")


# ------------------------------------------------------------------ key ring sources
def settings(**values) -> SecuritySettings:
    return SecuritySettings.model_validate(values)


def test_key_ring_from_env_string_file_and_mounted_secret(tmp_path):
    k1, k2 = key_text(), key_text()
    ring = load_keyring(settings(keys=f"k1={k1},k2={k2}", active_key_id="k2"), component="t")
    assert ring is not None and ring.active_id == "k2"

    path = tmp_path / "ring.json"
    path.write_text(json.dumps({"active": "k1", "keys": {"k1": k1}}))
    assert load_keyring(settings(keyring_file=str(path)), component="t").active_id == "k1"

    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "k1").write_text(k1)
    (secret / "k2").write_text(k2 + "\n")
    (secret / "active").write_text("k2\n")
    (secret / "..data").mkdir()  # Kubernetes' own bookkeeping in a mounted Secret
    assert load_keyring(settings(keyring_dir=str(secret)), component="t").active_id == "k2"


@pytest.mark.parametrize("values, message", [
    ({}, "no key ring is configured"),
    ({"keys": "k1=not-base64!"}, "not base64"),
    ({"keys": "k1=" + base64.b64encode(b"short").decode()}, "AES-256 needs 32"),
    ({"keys": f"k1={base64.b64encode(b'a' * 32).decode()},k2={base64.b64encode(b'b' * 32).decode()}"},
     "no active key"),
    ({"keys": f"k1={base64.b64encode(b'a' * 32).decode()}", "active_key_id": "k9"}, "not in the ring"),
])
def test_misconfigured_key_rings_refuse_to_start_without_echoing_key_material(values, message):
    with pytest.raises(KeyRingError, match=message) as err:
        load_keyring(settings(**values), component="t")
    assert base64.b64encode(b"a" * 32).decode() not in str(err.value)


def test_encryption_off_only_explicitly_and_loudly(caplog):
    with caplog.at_level(logging.WARNING):
        assert load_keyring(settings(encryption=False), component="asr") is None
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "ENCRYPTION IS OFF" in record.getMessage()


def test_a_rotated_secret_folder_is_picked_up_without_restart(tmp_path):
    k1, k2 = key_text(), key_text()
    (tmp_path / "k1").write_text(k1)
    ring = ReloadingKeyRing(settings(keyring_dir=str(tmp_path), keyring_reload_s=0.0001))
    old = ring.seal(b"x", aad=b"a")
    (tmp_path / "k2").write_text(k2)
    (tmp_path / "active").write_text("k2")
    import time

    time.sleep(0.01)
    assert ring.seal(b"y", aad=b"a")[0] == "k2"
    assert ring.open(old[1], key_id="k1", aad=b"a") == b"x"


# ------------------------------------------------------------------ connection security
def test_kafka_sasl_ssl_scram_and_redis_auth_from_settings(tmp_path):
    kwargs = kafka_client_kwargs(settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
                                          kafka_sasl_username="svc", kafka_sasl_password="pw"))
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "svc" and kwargs["ssl_context"] is not None
    assert kafka_client_kwargs(settings()) == {}  # PLAINTEXT: aiokafka defaults
    with pytest.raises(ValueError, match="SASL_USERNAME"):
        kafka_client_kwargs(settings(kafka_security_protocol="SASL_SSL"))
    assert redis_kwargs(settings(redis_password="pw", redis_ssl_cafile="/ca.pem")) == {
        "password": "pw", "ssl_ca_certs": "/ca.pem", "ssl_certfile": None, "ssl_keyfile": None,
        "ssl_cert_reqs": "required", "ssl_check_hostname": True}
