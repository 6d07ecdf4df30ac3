"""Reading and writing topics of the REAL broker in tests: every reader starts from the earliest offset with
no consumer group (nothing committed, other tests unaffected) and waits a bounded time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

Predicate = Callable[[ConsumerRecord], bool]


def keyed(encounter_id: str) -> Predicate:
    """Records keyed by the encounter (tombstones included)."""
    key = encounter_id.encode()
    return lambda record: record.key == key


async def read_until(
    bootstrap: str,
    topics: Iterable[str],
    *,
    keep: Predicate,
    done: Callable[[list[ConsumerRecord]], bool],
    timeout_s: float,
    **consumer_options: Any,
) -> list[ConsumerRecord]:
    """Read the topics from the beginning, keeping the records ``keep`` accepts, until ``done(kept)`` or the
    timeout; returns what was kept (possibly not ``done``: the caller asserts)."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False, **consumer_options)
    await consumer.start()
    found: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and not done(found):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [r for r in records if keep(r)]
    finally:
        await consumer.stop()
    return found


async def records_for(bootstrap: str, topic: str, *, encounter_id: str, want: int, timeout_s: float) -> list:
    """Read a topic from the beginning until ``want`` records keyed by the encounter arrived (or timeout)."""
    return await read_until(bootstrap, [topic], keep=keyed(encounter_id), done=lambda found: len(found) >= want,
                            timeout_s=timeout_s)


async def all_records(bootstrap: str, topics: list[str]) -> list[ConsumerRecord]:
    """Every record currently on the topics, read from the beginning up to the end offsets."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + 10
        while len(consumer.assignment()) < len(topics) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        parts = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        found, deadline = [], time.monotonic() + 30

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in parts])

        while time.monotonic() < deadline and await behind():
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += records
        return found
    finally:
        await consumer.stop()


async def send_records(bootstrap: str, records: list[tuple[str, bytes, dict[str, str], str]]) -> None:
    """Produce ``(topic, value, headers, key)`` records as they are (raw bytes: sealed, hostile or plain)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, value, headers, key in records:
            await producer.send_and_wait(topic, value, key=key.encode(),
                                         headers=[(k, v.encode()) for k, v in headers.items()])
    finally:
        await producer.stop()
