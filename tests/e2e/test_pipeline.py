"""The whole chain over the real Kafka broker and Redis, with the four services as separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import struct
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from fhir.resources.R4B.bundle import Bundle

from scribestream.cli import _publish
from scribestream.devstack import running_processes, start_services, stop_services
from services.ehr_sink.destinations import OutboxDestination
from shared.audio import load_audio
from shared.crypto import KeyRing, bus_aad
from shared.contracts import (
    H_DLQ_REASON,
    H_ENCOUNTER,
    H_EVENT_ID,
    H_KEY_ID,
    H_SCHEMA,
    H_VERSION,
    EncounterContext,
    NoteSubmitted,
    Topic,
    decode,
)
from tests.helpers.topics import records_for, send_records

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "encounter.wav"
SECTION_CODES = {"61150-9", "61149-1", "51848-0", "18776-5"}


@pytest.fixture(scope="module")
def services(stack, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("services")
    outbox = run_dir / "outbox"
    env = {"SCRIBESTREAM_OUTBOX_DIR": str(outbox)}
    start_services(run_dir=run_dir, stack=stack, extra_env=env, ready_timeout_s=180)
    # start_services gave the services a dev key ring (payloads are sealed); the test's clients need it too.
    keyring = KeyRing.from_json((run_dir / "keyring.json").read_text())
    yield SimpleNamespace(run_dir=run_dir, outbox=outbox, stack=stack, env=env, keyring=keyring)
    stop_services(run_dir)


@pytest.fixture(scope="module")
def sample_audio():
    return load_audio(SAMPLE)


def submitted(record) -> NoteSubmitted:
    event = decode(Topic.EHR_SUBMITTED, record.value, dict(record.headers))
    assert isinstance(event, NoteSubmitted)
    return event


async def send_raw(bootstrap: str, topic: str, value: bytes, headers: dict[str, str], key: str) -> None:
    await send_records(bootstrap, [(topic, value, headers, key)])


def seal(ring: KeyRing, topic: str, value: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A poison payload sealed like a real producer would, so it fails on its content, not its encryption."""
    aad = bus_aad(topic=topic, encounter_id=headers[H_ENCOUNTER], event_id=headers[H_EVENT_ID],
                  schema=headers[H_SCHEMA])
    key_id, blob = ring.seal(value, aad=aad)
    return blob, {**headers, H_KEY_ID: key_id}


async def test_poison_messages_are_dead_lettered_and_next_encounter_is_filed(services, sample_audio, encounter_id):
    bootstrap, ring = services.stack.bootstrap, services.keyring
    # A truncated audio chunk (3 bytes is not a whole s16le frame), on the same partition as the good visit.
    meta = json.dumps({"event_id": uuid.uuid4().hex, "encounter_id": encounter_id, "schema_name": "AudioChunkReceived",
                       "schema_version": 1, "seq": 0, "channels": 1}).encode()
    base = {H_EVENT_ID: json.loads(meta)["event_id"], H_ENCOUNTER: encounter_id}
    await send_raw(bootstrap, Topic.AUDIO_CHUNKS, *seal(ring, Topic.AUDIO_CHUNKS, struct.pack(">I", len(meta)) + meta
                                                         + b"\x01\x02\x03", {**base, H_SCHEMA: "AudioChunkReceived",
                                                                               H_VERSION: "1"}), encounter_id)
    await send_raw(bootstrap, Topic.TRANSCRIPT_TURNS, *seal(ring, Topic.TRANSCRIPT_TURNS, b'{"turn": {"text": ',
                                                             {**base, H_SCHEMA: "TurnTranscribed", H_VERSION: "1"}),
                   encounter_id)
    await send_raw(bootstrap, Topic.SOAP_DRAFT, b"{}", {**base, H_SCHEMA: "NoteDrafted", H_VERSION: "7"}, encounter_id)

    await _publish(sample_audio, bootstrap=bootstrap, encounter_id=encounter_id, realtime=False,
                   context=EncounterContext(patient_ref="Patient/p-1", encounter_ref=f"Encounter/{encounter_id}"),
                   roles=None, keyring=ring)

    [record] = await records_for(bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=1, timeout_s=420)
    event = submitted(record)
    assert event.status == "created" and event.mode == "outbox"

    # The bundle is a valid FHIR R4 document with the four SOAP sections, carrying what was said.
    document = json.loads(Path(event.destination).read_text())
    bundle = Bundle.model_validate(document)
    composition = bundle.entry[0].resource
    codes = {s.code.coding[0].code for s in composition.section}
    assert SECTION_CODES <= codes
    text = json.dumps(document).lower()
    for said in ("headache", "lisinopril", "hypertension"):
        assert said in text, said
    conditions = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Condition"]
    assert any(c.code.coding[0].code == "I10" for c in conditions)

    for topic, reason in ((Topic.AUDIO_CHUNKS.dlq, "truncated audio chunk"),
                          (Topic.TRANSCRIPT_TURNS.dlq, "invalid TurnTranscribed"),
                          (Topic.SOAP_DRAFT.dlq, "unsupported schema version")):
        [dead] = await records_for(bootstrap, topic, encounter_id=encounter_id, want=1, timeout_s=30)
        assert reason in dict(dead.headers)[H_DLQ_REASON].decode()


async def test_note_service_killed_mid_encounter_files_exactly_one_note(services, sample_audio, encounter_id):
    bootstrap = services.stack.bootstrap
    publisher = asyncio.create_task(_publish(sample_audio, bootstrap=bootstrap, encounter_id=encounter_id,
                                             realtime=False, context=EncounterContext(), roles=None,
                                             keyring=services.keyring))
    # Wait until the note service has started collecting this encounter's turns, then kill it hard.
    await records_for(bootstrap, Topic.TRANSCRIPT_TURNS, encounter_id=encounter_id, want=2, timeout_s=240)
    pid = running_processes(services.run_dir)["notegen"]
    os.kill(pid, signal.SIGKILL)
    await publisher
    await asyncio.sleep(3)
    start_services(run_dir=services.run_dir, stack=services.stack, names=["notegen"], extra_env=services.env,
                   ready_timeout_s=120)

    records = await records_for(bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=1, timeout_s=420)
    assert len(records) == 1
    # Give any duplicate time to surface, then count again: exactly one note reached the sink.
    await asyncio.sleep(8)
    records = await records_for(bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=2, timeout_s=5)
    assert len(records) == 1
    event = submitted(records[0])
    assert event.status == "created"
    note_file = OutboxDestination(services.outbox).path_for(encounter_id=encounter_id, note_version=event.note_version)
    assert Path(event.destination) == note_file and note_file.exists()
    assert [p for p in services.outbox.iterdir() if p.name.startswith(note_file.name.split("-v")[0])] == [note_file]


def test_service_logs_carry_no_transcript_or_note_text(services):
    """Runs after the visits above: what the four services logged names ids and counts, never content."""
    logs = {p.name: p.read_text() for p in services.run_dir.glob("*.log")}
    assert {"asr.log", "notegen.log", "coding.log", "ehr_sink.log"} <= set(logs)
    for name, text in logs.items():
        assert "processed" in text or name != "asr.log"
        for said in ("headache", "lisinopril", "penicillin", "hypertension", "Hypertension", "I10"):
            assert said not in text, f"{said!r} leaked into {name}"


def test_sigterm_stops_every_service_gracefully(services):
    """SIGTERM: stop fetching, let the in-flight message finish (FastStream graceful timeout), close, exit."""
    stopped = stop_services(services.run_dir, timeout_s=30)
    assert set(stopped) == {"asr", "notegen", "coding", "ehr_sink"}
    for name in stopped:
        log = (services.run_dir / f"{name}.log").read_text()
        assert "shut down gracefully" in log, name
