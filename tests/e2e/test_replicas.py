"""Scale-out on one machine: two replicas of every service in the same consumer groups, and one ASR replica
SIGKILLed mid-encounter. Its partitions move to the surviving replica, which resumes from the last committed
offset with the encounter's state from Redis, so exactly one note is filed and it carries what was said."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from scribestream.cli import _publish
from scribestream.devstack import (
    read_state,
    running_processes,
    start_services,
    stop_services,
)
from shared.audio import load_audio
from shared.contracts import EncounterContext, NoteSubmitted, Topic, decode
from shared.crypto import KeyRing
from tests.helpers.topics import records_for

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "encounter.wav"


def _replica_holding(run_dir: Path, encounter_id: str, names: list[str]) -> str | None:
    """The replica whose log shows it processed this encounter (logs carry ids, never content)."""
    for name in names:
        if encounter_id in (run_dir / f"{name}.log").read_text(errors="replace"):
            return name
    return None


async def test_killing_one_asr_replica_mid_encounter_loses_nothing(stack, tmp_path, encounter_id):
    run_dir = tmp_path / "replicas"
    outbox = run_dir / "outbox"
    pids = start_services(run_dir=run_dir, stack=stack, extra_env={"SCRIBESTREAM_OUTBOX_DIR": str(outbox)},
                          ready_timeout_s=240, replicas=2)
    try:
        assert set(pids) == {"asr", "asr-2", "notegen", "notegen-2", "coding", "coding-2", "ehr_sink", "ehr_sink-2"}
        assert {rec["service"] for rec in read_state(run_dir)["processes"].values() if "service" in rec} == {
            "asr", "notegen", "coding", "ehr_sink"}
        keyring = KeyRing.from_json((run_dir / "keyring.json").read_text())

        publisher = asyncio.create_task(_publish(load_audio(SAMPLE), bootstrap=stack.bootstrap,
                                                 encounter_id=encounter_id, realtime=False,
                                                 context=EncounterContext(), roles=None, keyring=keyring))
        # Turns are flowing: one ASR replica owns the encounter's partition. Kill that one, hard.
        turns = await records_for(stack.bootstrap, Topic.TRANSCRIPT_TURNS, encounter_id=encounter_id, want=1,
                                  timeout_s=240)
        assert turns, "no transcript turn before the kill"
        # The replica logs "processed" just after publishing the turn: poll briefly for that line.
        owner, deadline = None, time.monotonic() + 15
        while owner is None and time.monotonic() < deadline:
            owner = _replica_holding(run_dir, encounter_id, ["asr", "asr-2"])
            await asyncio.sleep(0.05)
        assert owner is not None, "neither ASR replica logged the encounter"
        survivor = "asr-2" if owner == "asr" else "asr"
        os.kill(running_processes(run_dir)[owner], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while owner in running_processes(run_dir) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert owner not in running_processes(run_dir)
        await publisher

        records = await records_for(stack.bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=1,
                                    timeout_s=300)
        assert len(records) == 1, "no note filed after the ASR replica was killed"
        # Give a duplicate time to surface, then count again: exactly one note reached the sink.
        await asyncio.sleep(5)
        records = await records_for(stack.bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=2,
                                    timeout_s=5)
        assert len(records) == 1
        event = decode(Topic.EHR_SUBMITTED, records[0].value, dict(records[0].headers))
        assert isinstance(event, NoteSubmitted) and event.status == "created"
        # The end of the visit was transcribed by the survivor, after the partition moved to it.
        assert encounter_id in (run_dir / f"{survivor}.log").read_text(errors="replace")
        assert "headache" in Path(event.destination).read_text().lower()
    finally:
        stop_services(run_dir, timeout_s=20)
    assert not running_processes(run_dir)
