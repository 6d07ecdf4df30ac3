"""``scribestream forget ENCOUNTER_ID``: erase an encounter from the pipeline's working stores.

1. Redis: every service's state for the encounter (``ss:<service>:...`` keys that name the encounter as a
   whole ``:``-separated segment: ASR stream state, outputs, audio buffers and speaker state, notegen's
   collected turns and live-draft state), found by the key layouts the stages export.
   Dedupe markers (``done:<stage>:<event id>``) hold no content and expire on their own.
2. Kafka: a tombstone (key = encounter id, null value, no headers) on every topic and DLQ, so compacted
   downstream stores and mirrors drop the encounter. Kafka itself removes the records of a delete-policy
   topic only when they age out (retention.ms, see docs/security.md); until then they are sealed with
   AES-256-GCM and unreadable without the key ring. The services skip tombstones.
3. The audit trail: an ``encounter.forgotten`` record on ``audit.events`` (who, when, how many keys), written
   after the tombstones so a compacted copy of the trail keeps it as the encounter's last word.
"""

from __future__ import annotations

import getpass
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

import typer

from services.asr.keys import state_keys_pattern as asr_state_keys
from services.notegen.keys import state_keys_pattern as notegen_state_keys
from shared.audit import Clock, forgotten_record, utc_now
from shared.contracts import ALL_TOPICS, Topic, encode

STATE_PREFIX = "ss:"


@dataclass(frozen=True)
class ForgetReport:
    redis_keys_deleted: int
    tombstones_written: int
    audit_event_id: str = ""


# Each stage that keeps per-encounter state exports the regex of its key layout, built from the same names as
# its keys; forget composes them. A stage with no per-encounter state (coding, ehr_sink) has nothing here.
STATE_KEY_PATTERNS: tuple[Callable[[str], str], ...] = (asr_state_keys, notegen_state_keys)


def _names_encounter(key: str, encounter_id: str) -> bool:
    """Whether a Redis key is one of the encounter's state keys. Each stage's layout is anchored whole behind
    the runtime's ``ss:<service>:`` prefix (``#o`` is the encrypting store's companion key), so forgetting
    "enc-1" leaves "enc-12" and "enc-1:x" alone, and an id that happens to equal a service name matches
    nothing else."""
    layouts = "|".join(pattern(encounter_id) for pattern in STATE_KEY_PATTERNS)
    return re.fullmatch(rf"{STATE_PREFIX}[a-z_]+:(?:{layouts})(?:#o)?", key) is not None


async def forget_redis(client: Any, encounter_id: str) -> int:
    """Delete the encounter's state keys of every service; returns how many were deleted."""
    doomed: list[bytes] = []
    # Encounter ids cannot hold glob characters (contracts.EncounterId), so the pattern is literal.
    async for raw in client.scan_iter(match=f"{STATE_PREFIX}*{encounter_id}*", count=1000):
        key = raw.decode() if isinstance(raw, bytes) else raw
        if _names_encounter(key, encounter_id):
            doomed.append(raw)
    if doomed:
        await client.delete(*doomed)
    return len(doomed)


def tombstoned_topics() -> list[str]:
    """Every topic that can hold the encounter's PHI. audit.events is left alone: it holds ids and outcomes
    only, and the record of who handled (and who forgot) an encounter must outlive the encounter."""
    return [name for topic in ALL_TOPICS if topic is not Topic.AUDIT_EVENTS for name in (topic.value, topic.dlq)]


async def write_tombstones(producer: Any, encounter_id: str) -> int:
    topics = tombstoned_topics()
    for topic in topics:
        await producer.send_and_wait(topic, None, key=encounter_id.encode())
    return len(topics)


def cli_actor() -> str:
    """Who ran the command: the OS account (an operator id, not a patient's), for the audit record."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers running as an arbitrary uid)
        user = "unknown"
    return f"cli:{user}"[:128]


async def write_audit(producer: Any, *, encounter_id: str, redis_keys_deleted: int, actor: str,
                      clock: Clock = utc_now) -> str:
    """One ``encounter.forgotten`` record on audit.events (ids and counts only, so never sealed)."""
    record = forgotten_record(encounter_id=encounter_id, actor=actor, occurred_at=clock(),
                              request_id=uuid.uuid4().hex, redis_keys_deleted=redis_keys_deleted)
    value, headers = encode(record)
    await producer.send_and_wait(Topic.AUDIT_EVENTS.value, value, key=encounter_id.encode(),
                                 headers=[(k, v.encode()) for k, v in headers.items()])
    return record.event_id


async def forget(*, encounter_id: str, bootstrap: str, redis_url: str, settings: Any) -> ForgetReport:
    """The three steps with the connection security of ``settings`` (shared.settings.SecuritySettings)."""
    from aiokafka import AIOKafkaProducer

    from shared.security import kafka_client_kwargs, open_redis

    client = open_redis(redis_url, settings)
    try:
        deleted = await forget_redis(client, encounter_id)
    finally:
        await client.aclose()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", enable_idempotence=True,
                                client_id="scribestream-forget", **kafka_client_kwargs(settings))
    await producer.start()
    try:
        written = await write_tombstones(producer, encounter_id)
        audit_event_id = await write_audit(producer, encounter_id=encounter_id, redis_keys_deleted=deleted,
                                           actor=cli_actor())
    finally:
        await producer.stop()
    return ForgetReport(redis_keys_deleted=deleted, tombstones_written=written, audit_event_id=audit_event_id)


def command(
    encounter_id: str = typer.Argument(..., help="the encounter to erase"),
    bootstrap: Optional[str] = typer.Option(None, help="Kafka bootstrap servers"),
    redis_url: Optional[str] = typer.Option(None, "--redis-url", help="Redis URL (default: SCRIBESTREAM_REDIS_URL)"),
) -> None:
    """Delete an encounter's Redis state in every service and write a tombstone to every topic."""
    import asyncio
    import json
    import os

    from pydantic import TypeAdapter, ValidationError

    from scribestream.cli import REPO, _bootstrap, _fail, console
    from shared.contracts import EncounterId
    from shared.settings import SecuritySettings

    try:
        TypeAdapter(EncounterId).validate_python(encounter_id)
    except ValidationError:
        _fail("invalid ENCOUNTER_ID: use 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    url = redis_url or os.environ.get("SCRIBESTREAM_REDIS_URL")
    stack = REPO / ".run" / "stack.json"
    if not url and stack.exists():
        url = json.loads(stack.read_text()).get("redis_url")
    if not url:
        _fail("no Redis URL: pass --redis-url, set SCRIBESTREAM_REDIS_URL, or run `make up`")
    try:
        report = asyncio.run(forget(encounter_id=encounter_id, bootstrap=_bootstrap(bootstrap), redis_url=url,
                                    settings=SecuritySettings()))
    except Exception as err:  # noqa: BLE001 - connection errors: class name only
        _fail(f"forget failed: {type(err).__name__}")
    console.print(f"forgot encounter {encounter_id}: deleted {report.redis_keys_deleted} Redis keys, "
                  f"wrote {report.tombstones_written} tombstones; audit record {report.audit_event_id}", highlight=False)
