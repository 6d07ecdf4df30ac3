"""The audit trail over the REAL broker: notegen, coding and the EHR sink run in this process (FastStream apps,
encryption on) against Kafka and Redis; one encounter's turns go in (with planted PHI), and audit.events then
holds note.drafted, note.coded and ehr.submitted records for it with the note version of the filed note, written
by each service, in clear and without any of the PHI. ``scribestream forget`` adds encounter.forgotten."""

from __future__ import annotations

import asyncio
import base64
from contextlib import AsyncExitStack

import pytest
from faststream import TestApp
from typer.testing import CliRunner

from scribestream.cli import app as cli
from services.coding.app import SPEC as CODING
from services.coding.config import CodingSettings
from services.ehr_sink.app import SPEC as EHR_SINK
from services.ehr_sink.config import EhrSinkSettings
from services.notegen.app import SPEC as NOTEGEN
from services.notegen.config import NotegenSettings
from shared.contracts import AuditRecorded, Topic, decode, encode
from shared.crypto import KeyRing
from shared.runtime import build_app
from tests.helpers.topics import read_until, records_for, send_records
from tests.integration.test_phi_at_rest import COMMON_PHI, UNIQUE_PHI, _turn_events

pytestmark = pytest.mark.integration


async def audit_records(bootstrap: str, encounter_id: str, *, want: set[str], timeout_s: float) -> list:
    """Raw audit.events records keyed by the encounter, read until every wanted action arrived."""
    key = encounter_id.encode()

    def actions(found: list) -> set[str]:
        return {decode(Topic.AUDIT_EVENTS, r.value, dict(r.headers)).action for r in found}

    # forget's tombstone (null value, no headers) shares the key: it is no audit record
    return await read_until(bootstrap, [Topic.AUDIT_EVENTS.value], keep=lambda r: r.key == key and r.value is not None,
                            done=lambda found: want <= actions(found), timeout_s=timeout_s)


async def test_one_encounter_leaves_a_phi_free_trail_of_every_note_version_and_submission(
        stack, tmp_path, encounter_id, monkeypatch):
    ring = KeyRing.generate("audit-1")
    common = {"kafka_bootstrap": stack.bootstrap, "redis_url": stack.redis_url, "encryption": True,
              "keys": f"audit-1={base64.b64encode(ring.keys['audit-1']).decode()}"}
    apps = [build_app(NOTEGEN, NotegenSettings(**common)), build_app(CODING, CodingSettings(**common)),
            build_app(EHR_SINK, EhrSinkSettings(**common, outbox_dir=tmp_path))]
    async with AsyncExitStack() as running:
        for app in apps:
            await running.enter_async_context(TestApp(app))
        await send_records(stack.bootstrap, [(Topic.TRANSCRIPT_TURNS.value, *encode(e, keyring=ring), encounter_id)
                                             for e in _turn_events(encounter_id)])
        records = await audit_records(stack.bootstrap, encounter_id,
                                      want={"note.drafted", "note.coded", "ehr.submitted"}, timeout_s=120)

    events = [decode(Topic.AUDIT_EVENTS, r.value, dict(r.headers)) for r in records]  # no key ring: in clear
    assert all(isinstance(e, AuditRecorded) for e in events)
    by_action = {e.action: e for e in events}
    assert {"note.drafted", "note.coded", "ehr.submitted"} <= set(by_action)
    assert {by_action[a].actor for a in ("note.drafted", "note.coded", "ehr.submitted")} == \
        {"notegen", "coding", "ehr_sink"}
    final = [e for e in events if e.action == "note.drafted" and e.final]
    assert final and by_action["ehr.submitted"].note_version == by_action["note.coded"].note_version \
        == max(e.note_version or 0 for e in final)
    assert by_action["ehr.submitted"].outcome == "created"
    for record in records:
        raw = record.value + b"".join(k.encode() + v for k, v in record.headers)
        for phi in (*UNIQUE_PHI, *COMMON_PHI, "Patient/"):
            assert phi.encode() not in raw, f"{phi!r} in the audit trail"

    # The submission the record names is the one on ehr.submitted (same event id).
    submitted = [decode(Topic.EHR_SUBMITTED, r.value, dict(r.headers))
                 for r in await records_for(stack.bootstrap, Topic.EHR_SUBMITTED.value, encounter_id=encounter_id,
                                            want=1, timeout_s=20)]
    assert [s.event_id for s in submitted] == [by_action["ehr.submitted"].subject_event_id]

    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", stack.bootstrap)
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", stack.redis_url)
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["forget", encounter_id])
    assert result.exit_code == 0, result.output
    [forgotten] = [decode(Topic.AUDIT_EVENTS, r.value, dict(r.headers))
                   for r in await audit_records(stack.bootstrap, encounter_id, want={"encounter.forgotten"},
                                                timeout_s=30)
                   if b"encounter.forgotten" in r.value]
    assert forgotten.actor.startswith("cli:") and forgotten.outcome == "forgotten" and forgotten.count is not None
