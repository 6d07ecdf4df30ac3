"""``scribestream forget`` against the real Kafka broker and Redis: the encounter's state is gone from every
service's keys (and only its own), and every topic and DLQ got a tombstone for it."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from scribestream.cli import app
from scribestream.forget import tombstoned_topics
from shared.contracts import Topic
from shared.crypto import KeyRing
from shared.state import EncryptingStateStore, RedisStateStore
from tests.helpers.topics import read_until

pytestmark = pytest.mark.integration


async def _tombstones(bootstrap: str, topics: list[str], key: str, timeout_s: float = 20) -> set[str]:
    def tombstone(r) -> bool:
        return r.key == key.encode() and r.value is None and not r.headers

    found = await read_until(bootstrap, topics, keep=tombstone, done=lambda f: {r.topic for r in f} == set(topics),
                             timeout_s=timeout_s)
    return {r.topic for r in found}


async def test_forget_removes_the_encounters_state_and_writes_tombstones(stack, redis_client, encounter_id,
                                                                         monkeypatch):
    ring = KeyRing.generate()
    asr = EncryptingStateStore(RedisStateStore(redis_client, prefix="ss:asr:"), keyring=ring)
    notegen = EncryptingStateStore(RedisStateStore(redis_client, prefix="ss:notegen:"), keyring=ring)
    neighbour = f"{encounter_id}2"  # shares a prefix: must survive
    for enc in (encounter_id, neighbour):
        await asr.set(f"asr:{enc}:state", b"{}")
        await asr.append(f"asr:{enc}:buf:0:0", b"\x01\x00" * 100)
        await notegen.hset(f"notegen:turns:{enc}", "t1", b"turn")
    await asr.set("done:asr:event-1", b"1")

    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", stack.bootstrap)
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", stack.redis_url)
    result = await asyncio.to_thread(CliRunner().invoke, app, ["forget", encounter_id])
    assert result.exit_code == 0, result.output
    topics = tombstoned_topics()
    assert Topic.AUDIT_EVENTS.value not in topics and Topic.TRANSCRIPT_PARTIALS.value in topics
    assert f"deleted 4 Redis keys, wrote {len(topics)} tombstones" in result.output  # state, buffer+tally, turns

    left = {k.decode() async for k in redis_client.scan_iter(match=f"ss:*{encounter_id}*")}
    assert left == {f"ss:asr:asr:{neighbour}:state", f"ss:asr:asr:{neighbour}:buf:0:0",
                    f"ss:asr:asr:{neighbour}:buf:0:0#o", f"ss:notegen:notegen:turns:{neighbour}"}
    assert await asr.get("done:asr:event-1") == b"1"
    assert await _tombstones(stack.bootstrap, topics, encounter_id) == set(topics)
