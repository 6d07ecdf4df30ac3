"""Live drafts over the real broker and Redis: notegen, coding and the sink as processes. An encounter's turns
stream into transcript.turns (ASR is not needed to test what happens after it); soap.draft shows non-final
versions forming before the final one, and exactly one note is coded and filed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from scribestream.devstack import start_services, stop_services
from shared.contracts import (
    EncounterContext,
    NoteDrafted,
    NoteSubmitted,
    Topic,
    TranscriptClosed,
    decode,
    encode,
)
from shared.crypto import KeyRing
from tests.helpers.topics import keyed, read_until, records_for
from tests.unit.test_notegen_live import stream

pytestmark = pytest.mark.e2e


async def drafts_until_final(bootstrap: str, *, encounter_id: str, keyring: KeyRing, timeout_s: float) -> list[NoteDrafted]:
    def draft(record) -> NoteDrafted:
        event = decode(Topic.SOAP_DRAFT, record.value, dict(record.headers), keyring=keyring)
        assert isinstance(event, NoteDrafted)
        return event

    records = await read_until(bootstrap, [Topic.SOAP_DRAFT.value], keep=keyed(encounter_id),
                               done=lambda found: any(draft(r).final for r in found), timeout_s=timeout_s)
    return [draft(r) for r in records]


async def test_streamed_encounter_shows_live_drafts_then_files_one_final_note(stack, tmp_path, encounter_id):
    run_dir = tmp_path / "live"
    outbox = run_dir / "outbox"
    env = {"SCRIBESTREAM_OUTBOX_DIR": str(outbox), "SCRIBESTREAM_LIVE_DRAFTS": "true",
           "SCRIBESTREAM_LIVE_DRAFT_MIN_TURNS": "3", "SCRIBESTREAM_LIVE_DRAFT_MIN_SECONDS": "10"}
    start_services(run_dir=run_dir, stack=stack, names=["notegen", "coding", "ehr_sink"], extra_env=env,
                   ready_timeout_s=180)
    try:
        keyring = KeyRing.from_json((run_dir / "keyring.json").read_text())
        turns, closed = stream(encounter_id)
        closed = TranscriptClosed(**{**closed.model_dump(), "context": EncounterContext(
            specialty="cardiology", patient_ref="Patient/p-1", encounter_ref=f"Encounter/{encounter_id}")})
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for event in [*turns, closed]:
                value, headers = encode(event, keyring=keyring)
                await producer.send_and_wait(Topic.TRANSCRIPT_TURNS.value, value, key=encounter_id.encode(),
                                             headers=[(k, v.encode()) for k, v in headers.items()])
                await asyncio.sleep(0.05)  # a visit streams: turns arrive one by one
        finally:
            await producer.stop()

        drafts = await drafts_until_final(stack.bootstrap, encounter_id=encounter_id, keyring=keyring, timeout_s=120)
        assert drafts and drafts[-1].final, "no final note on soap.draft"
        live = [d for d in drafts if not d.final]
        assert live, "no live draft before the final note"
        versions = [d.note_version for d in drafts]
        assert versions == sorted(set(versions)), versions  # strictly increasing, the final one highest
        final = drafts[-1]
        assert final.loinc_code == "34124-8" and final.after_visit_summary
        assert all(not d.after_visit_summary for d in live)

        [submitted_record] = await records_for(stack.bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id,
                                               want=1, timeout_s=120)
        await asyncio.sleep(3)  # give a stray draft's submission time to surface, then count again
        coded = await records_for(stack.bootstrap, Topic.SOAP_CODED, encounter_id=encounter_id, want=2, timeout_s=5)
        filed = await records_for(stack.bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=2, timeout_s=5)
        assert len(coded) == 1 and len(filed) == 1
        event = decode(Topic.EHR_SUBMITTED, submitted_record.value, dict(submitted_record.headers))
        assert isinstance(event, NoteSubmitted) and event.status == "created"
        assert event.note_version == final.note_version
        document = Path(event.destination).read_text()
        assert '"34124-8"' in document and '"34133-9"' in document  # template note type and the patient summary
        assert [p.name for p in outbox.iterdir()] == [Path(event.destination).name]
    finally:
        stop_services(run_dir, timeout_s=20)
