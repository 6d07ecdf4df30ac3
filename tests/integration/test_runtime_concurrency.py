"""With ``consumers > 1`` a service runs several consumers of its group, each owning its own partitions:
an encounter whose processing waits (a slow EHR call) does not hold encounters on other partitions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream import TestApp

from shared.contracts import EncounterContext, Topic, TranscriptClosed, derive_id, encode
from shared.runtime import ServiceSpec, build_app
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

PARTITIONS = 6


def encounter_on(partition: int) -> str:
    """An encounter id whose key lands on ``partition`` (Kafka's default murmur2 partitioner)."""
    partitioner = DefaultPartitioner()
    while True:
        candidate = f"enc-{uuid.uuid4().hex[:12]}"
        if partitioner(candidate.encode(), list(range(PARTITIONS)), list(range(PARTITIONS))) == partition:
            return candidate


class GateStage:
    """Echoes transcript-closed events; the 'slow' encounter waits until the test opens the gate."""

    name = f"gate-{uuid.uuid4().hex[:6]}"
    consumes = Topic.TRANSCRIPT_TURNS
    produces = Topic.TRANSCRIPT_TURNS

    def __init__(self, *, slow: str) -> None:
        self.slow, self.gate = slow, asyncio.Event()

    async def handle(self, event):
        if event.encounter_id == self.slow:
            await self.gate.wait()
        if isinstance(event, TranscriptClosed) and event.asr_model == "input":
            return [TranscriptClosed(event_id=derive_id(event.event_id, "echo"), encounter_id=event.encounter_id,
                                     turn_count=0, audio_seconds=0, context=EncounterContext(), asr_model="echo")]
        return []


def closed(encounter_id: str) -> TranscriptClosed:
    return TranscriptClosed(event_id=uuid.uuid4().hex, encounter_id=encounter_id, turn_count=0, audio_seconds=0,
                            context=EncounterContext(), asr_model="input")


async def test_a_waiting_encounter_does_not_block_other_partitions(stack, monkeypatch):
    monkeypatch.setenv("SCRIBESTREAM_ENCRYPTION", "false")  # not what this test is about
    slow, fast = encounter_on(0), encounter_on(PARTITIONS - 1)  # range assignor: different consumers
    stage = GateStage(slow=slow)

    async def make_stage(settings, store):
        return stage

    spec = ServiceSpec(name=stage.name, consumes=Topic.TRANSCRIPT_TURNS, produces=Topic.TRANSCRIPT_TURNS,
                       description="test", make_stage=make_stage)
    settings = ServiceSettings(kafka_bootstrap=stack.bootstrap, redis_url=stack.redis_url, consumers=2)
    watcher = AIOKafkaConsumer(Topic.TRANSCRIPT_TURNS.value, bootstrap_servers=stack.bootstrap, group_id=None,
                               auto_offset_reset="latest")
    await watcher.start()
    try:
        async with TestApp(build_app(spec, settings)):
            await asyncio.sleep(3)  # both consumers joined the group and own their partitions
            producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all")
            await producer.start()
            try:
                for encounter_id in (slow, fast):
                    value, headers = encode(closed(encounter_id))
                    await producer.send_and_wait(Topic.TRANSCRIPT_TURNS.value, value, key=encounter_id.encode(),
                                                 headers=[(k, v.encode()) for k, v in headers.items()])
            finally:
                await producer.stop()

            async def echo_for(encounter_id: str) -> None:
                while True:
                    batch = await watcher.getmany(timeout_ms=500)
                    for records in batch.values():
                        for r in records:
                            if r.key == encounter_id.encode() and b'"asr_model":"echo"' in r.value:
                                return

            # The fast encounter is echoed while the slow one is still waiting at the gate.
            await asyncio.wait_for(echo_for(fast), timeout=60)
            assert not stage.gate.is_set()
            stage.gate.set()
            await asyncio.wait_for(echo_for(slow), timeout=60)
    finally:
        await watcher.stop()
