"""The audit trail (shared.audit): which outputs are recorded, what a record holds (ids, versions, outcome,
actor, UTC time; never PHI), and that the FastStream delivery and the embedded bus emit the same records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scribestream.embedded import InProcessBus
from services.coding.stage import build_coding_stage
from services.ehr_sink.stage import build_ehr_sink_stage
from services.notegen.stage import build_notegen_stage
from shared.audit import audit_record, forgotten_record, with_audit
from shared.contracts import (
    AuditRecorded,
    EncounterContext,
    GeneratorInfo,
    NoteCoded,
    NoteDrafted,
    NoteSubmitted,
    ResourceRef,
    SoapNote,
    Statement,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    decode,
    derive_id,
    encode,
)
from shared.crypto import KeyRing
from shared.delivery import Delivery, Outcome
from shared.state import MemoryStateStore

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
NAME, DOB, MRN = "Margaret Okonkwo", "03/14/1958", "MRN-4471902"
PHONE, ADDRESS = "(617) 555-0142", "1420 Beacon Street"
PHI = (NAME, "Okonkwo", DOB, MRN, "4471902", PHONE, "555-0142", ADDRESS, "Beacon", "lisinopril", "hypertension",
       "Hypertension", "headache")
CONTEXT = EncounterContext(patient_ref=f"Patient/{MRN}", encounter_ref="Encounter/Margaret-Okonkwo",
                           practitioner_ref=f"Practitioner/{PHONE}", patient_age=66, patient_sex="female")
TURNS = (
    ("clinician", f"Good morning. Is it {NAME}, born {DOB}? Your record number is {MRN}."),
    ("patient", f"Yes. You can reach me at {PHONE}, {ADDRESS}."),
    ("patient", "I have had a headache every morning for two weeks."),
    ("clinician", "Your blood pressure is 162 over 98. This is hypertension. Start lisinopril 10 mg daily."),
)


def draft(encounter_id: str = "enc-1", *, version: int = 1, final: bool = True) -> NoteDrafted:
    statement = Statement(statement_id="s1", text=f"{NAME} reports a headache", evidence_turn_ids=["t1"])
    return NoteDrafted(event_id=derive_id(encounter_id, "NoteDrafted", version), encounter_id=encounter_id,
                       note_version=version, status="drafted", note=SoapNote(subjective=[statement]),
                       generator=GeneratorInfo(backend="grounded"), context=CONTEXT, turns=[], final=final)


def submitted(encounter_id: str = "enc-1") -> NoteSubmitted:
    return NoteSubmitted(event_id=derive_id(encounter_id, "NoteSubmitted"), encounter_id=encounter_id, note_version=2,
                         mode="fhir", destination="https://fhir.example.test/r4", status="created", bundle_id="b1",
                         resources=[ResourceRef(resource_type="Composition", id="77", version="1"),
                                    ResourceRef(resource_type="Patient", id=MRN)])


def test_note_versions_final_and_live_are_recorded_with_version_and_outcome():
    live = audit_record(draft(version=1, final=False), actor="notegen", occurred_at=NOW)
    final = audit_record(draft(version=2), actor="notegen", occurred_at=NOW)
    assert isinstance(live, AuditRecorded) and isinstance(final, AuditRecorded)
    assert (live.action, live.note_version, live.final, live.outcome, live.count) == ("note.drafted", 1, False, "drafted", 1)
    assert (final.note_version, final.final) == (2, True)
    assert live.subject_event_id == draft(version=1).event_id and live.encounter_id == "enc-1"
    assert live.actor == "notegen" and live.occurred_at == "2025-03-04T05:06:07.890Z"
    assert live.event_id != final.event_id


def test_coding_and_submission_are_recorded_and_person_refs_are_dropped():
    coded = NoteCoded(event_id="c-1", encounter_id="enc-1", draft=draft(version=3), codes=[])
    record = audit_record(coded, actor="coding", occurred_at=NOW)
    assert record is not None and (record.action, record.note_version, record.outcome) == ("note.coded", 3, "no_codes")
    sub = audit_record(submitted(), actor="ehr_sink", occurred_at=NOW)
    assert sub is not None and (sub.action, sub.note_version, sub.outcome) == ("ehr.submitted", 2, "created")
    assert [(r.resource_type, r.id) for r in sub.resources] == [("Composition", "77")]


def test_other_events_are_not_audited_and_audit_records_are_not_audited_again():
    turn = TurnTranscribed(event_id="t", encounter_id="enc-1",
                           turn=Turn(turn_id="t1", seq=0, speaker="patient", start=0, end=1, text=NAME, confidence=1))
    record = audit_record(draft(), actor="notegen", occurred_at=NOW)
    assert audit_record(turn, actor="asr", occurred_at=NOW) is None
    assert audit_record(record, actor="x", occurred_at=NOW) is None  # type: ignore[arg-type]
    assert with_audit([turn], actor="asr") == [turn]


def test_ids_are_deterministic_and_time_is_utc():
    later = NOW.astimezone(timezone(timedelta(hours=-5))) + timedelta(minutes=1)
    a = audit_record(draft(), actor="notegen", occurred_at=NOW)
    b = audit_record(draft(), actor="notegen", occurred_at=later)
    assert a is not None and b is not None and a.event_id == b.event_id  # redelivery: same record id
    assert b.occurred_at == "2025-03-04T05:07:07.890Z"
    with pytest.raises(ValueError):
        audit_record(draft(), actor="notegen", occurred_at=datetime(2025, 1, 1))  # naive: ambiguous


def test_forgotten_record():
    record = forgotten_record(encounter_id="enc-9", actor="cli:ops", occurred_at=NOW, request_id="r-1",
                              redis_keys_deleted=4)
    assert (record.action, record.outcome, record.count, record.actor) == ("encounter.forgotten", "forgotten", 4, "cli:ops")
    again = decode(Topic.AUDIT_EVENTS, *encode(record))
    assert again == record


class DraftingStage:
    name, consumes, produces = "notegen", Topic.TRANSCRIPT_TURNS, Topic.SOAP_DRAFT

    async def handle(self, event):
        return [draft(event.encounter_id)]


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def __call__(self, topic, value, *, key, headers):
        self.sent.append((topic, value, headers))


async def test_delivery_publishes_the_audit_record_after_its_subject_and_redelivery_repeats_its_id():
    closed = TranscriptClosed(event_id="in-1", encounter_id="enc-1", turn_count=0, audio_seconds=0)
    ids = []
    for _ in range(2):  # a fresh dedupe store: the input is processed again, as after a crash before commit
        rec = Recorder()
        delivery = Delivery(stage=DraftingStage(), dedupe=MemoryStateStore(), publish=rec, clock=lambda: NOW,
                            keyring=KeyRing.generate())
        value, headers = encode(closed, keyring=delivery.keyring)
        assert await delivery.deliver(value=value, headers=headers) is Outcome.PROCESSED
        assert [t for t, *_ in rec.sent] == ["soap.draft", "audit.events"]
        _, audit_value, audit_headers = rec.sent[1]
        record = decode(Topic.AUDIT_EVENTS, audit_value, audit_headers)  # in clear: no key needed
        assert isinstance(record, AuditRecorded) and record.actor == "notegen"
        ids.append(record.event_id)
        for phi in PHI:
            assert phi not in audit_value.decode() and phi not in json.dumps(audit_headers)
    assert ids[0] == ids[1]


async def test_embedded_run_with_planted_phi_audits_every_note_version_and_holds_none_of_it(tmp_path):
    enc = "enc-audit-1"
    events: list = [TurnTranscribed(event_id=derive_id(enc, "turn", n), encounter_id=enc,
                                    turn=Turn(turn_id=f"t{n}", seq=n, speaker=speaker, start=n * 5.0, end=n * 5.0 + 4,
                                              text=text, confidence=0.95))
                    for n, (speaker, text) in enumerate(TURNS)]
    events.append(TranscriptClosed(event_id=derive_id(enc, "closed"), encounter_id=enc, turn_count=len(TURNS),
                                   audio_seconds=20.0, context=CONTEXT))
    stages = [build_notegen_stage(state=MemoryStateStore()), build_coding_stage(),
              build_ehr_sink_stage(outbox_dir=tmp_path)]
    produced = await InProcessBus(stages, keyring=KeyRing.generate(), clock=lambda: NOW).run(events)

    records = produced[Topic.AUDIT_EVENTS]
    assert all(isinstance(r, AuditRecorded) for r in records)
    by_action = {r.action: r for r in records}
    assert set(by_action) == {"note.drafted", "note.coded", "ehr.submitted"} and len(records) == 3
    [note] = produced[Topic.SOAP_DRAFT]
    [coded] = produced[Topic.SOAP_CODED]
    [sub] = produced[Topic.EHR_SUBMITTED]
    assert {r.note_version for r in records} == {note.note_version}
    assert [by_action[a].subject_event_id for a in ("note.drafted", "note.coded", "ehr.submitted")] == \
        [note.event_id, coded.event_id, sub.event_id]
    assert {r.actor for r in records} == {"notegen", "coding", "ehr_sink"}
    assert coded.codes, "the planted visit should be codable, or the test checks nothing about codes"

    wire = "\n".join(encode(r)[0].decode() + json.dumps(encode(r)[1]) for r in records)
    for phi in (*PHI, *(c.code for c in coded.codes), *(c.display for c in coded.codes)):
        assert phi not in wire, f"{phi!r} in the audit trail"
