"""The local stack against the real broker and redis-server: topics, durable produce/consume, Redis, and
that stopping touches only the processes the stack recorded."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaTimeoutError, UnknownTopicOrPartitionError

from scribestream.devstack import (
    StackInfo,
    _proc_start_time,
    describe_partitions,
    read_state,
    stop_stack,
    topic_names,
)
from shared.contracts import ALL_TOPICS

pytestmark = pytest.mark.integration


def _expected_partitions(stack: StackInfo) -> int | None:
    return read_state(stack.run_dir).get("partitions") if stack.run_dir else None


async def test_every_topic_and_its_dlq_exists_with_the_configured_partitions(stack: StackInfo) -> None:
    partitions = await describe_partitions(bootstrap=stack.bootstrap)
    for topic in ALL_TOPICS:
        assert topic.value in partitions
        assert topic.dlq in partitions
    expected = _expected_partitions(stack)
    if expected is not None:
        assert expected == 6  # the default the fixture asks for
        assert {name: partitions[name] for name in topic_names()} == {name: 6 for name in topic_names()}


async def test_idempotent_acks_all_message_round_trips_on_a_created_topic(
    stack: StackInfo, encounter_id: str
) -> None:
    topic = f"selftest.{encounter_id}"
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name=topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"payload-1", key=encounter_id.encode())
    finally:
        await producer.stop()
    assert sent.offset == 0

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.bootstrap,
        group_id=f"selftest-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert (record.key, record.value, record.partition) == (
        encounter_id.encode(),
        b"payload-1",
        sent.partition,
    )


async def test_producing_to_a_missing_topic_fails_instead_of_creating_it(
    stack: StackInfo, encounter_id: str
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, request_timeout_ms=2000)
    await producer.start()
    try:
        with pytest.raises((UnknownTopicOrPartitionError, KafkaTimeoutError)):
            await producer.send_and_wait(f"no-such-topic.{encounter_id}", b"x")
    finally:
        await producer.stop()
    assert f"no-such-topic.{encounter_id}" not in await describe_partitions(bootstrap=stack.bootstrap)


async def test_redis_set_get(redis_client: aioredis.Redis, encounter_id: str) -> None:
    key = f"selftest:{encounter_id}"
    assert await redis_client.set(key, b"v1", ex=60)
    assert await redis_client.get(key) == b"v1"
    assert 0 < await redis_client.ttl(key) <= 60


def test_stack_started_well_under_a_minute(stack: StackInfo) -> None:
    if stack.run_dir is None:
        pytest.skip("reusing an external stack; its start was not measured here")
    startup_s = read_state(stack.run_dir)["startup_s"]
    print(f"stack start: {startup_s:.2f} s")
    assert startup_s < 60


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"])


def test_stop_signals_only_recorded_processes_that_are_still_the_same(tmp_path: Path) -> None:
    recorded, bystander, reused = _sleeper(), _sleeper(), _sleeper()
    try:
        state = {
            "bootstrap": "127.0.0.1:1",
            "redis_url": "redis://127.0.0.1:2/0",
            "processes": {
                "kafka": {"pid": recorded.pid, "start_time": _proc_start_time(recorded.pid)},
                # Same PID number but a different start time: a reused PID, which must be left alone.
                "redis": {"pid": reused.pid, "start_time": (_proc_start_time(reused.pid) or 0) + 1},
            },
        }
        (tmp_path / "stack.json").write_text(json.dumps(state))
        started = time.monotonic()
        stopped = stop_stack(tmp_path, timeout_s=5)
        assert time.monotonic() - started < 5  # `sleep` dies on SIGTERM; no SIGKILL wait needed
        assert sorted(stopped) == ["kafka", "redis"]
        assert recorded.wait(timeout=5) == -15
        assert bystander.poll() is None
        assert reused.poll() is None
        assert read_state(tmp_path)["processes"] == {}
    finally:
        for proc in (recorded, bystander, reused):
            proc.kill()
            proc.wait()
