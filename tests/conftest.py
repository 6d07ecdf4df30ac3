"""Shared fixtures. The real stack (Kafka + Redis) starts only when a test asks for ``stack`` (or a fixture
built on it), once per session; unit tests never start it.

To reuse a stack you already run (``make up``), export ``SCRIBESTREAM_TEST_KAFKA_BOOTSTRAP`` and
``SCRIBESTREAM_TEST_REDIS_URL``; topics are then created if missing, and nothing is stopped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from scribestream.devstack import StackInfo, ensure_topics, run_blocking, start_stack, stop_stack

TEST_PARTITIONS = 6


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    bootstrap = os.environ.get("SCRIBESTREAM_TEST_KAFKA_BOOTSTRAP")
    redis_url = os.environ.get("SCRIBESTREAM_TEST_REDIS_URL")
    if bootstrap and redis_url:
        run_blocking(lambda: ensure_topics(bootstrap=bootstrap, partitions=TEST_PARTITIONS))
        yield StackInfo(bootstrap=bootstrap, redis_url=redis_url)
        return
    run_dir = tmp_path_factory.mktemp("stack")
    info = start_stack(run_dir=run_dir, partitions=TEST_PARTITIONS)
    try:
        yield info
    finally:
        stop_stack(run_dir)


@pytest.fixture
def encounter_id() -> str:
    """A fresh id per test, so tests sharing the stack never see each other's events or state."""
    return f"enc-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_client(stack: StackInfo) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real HAPI FHIR R4 JPA server (in-memory H2) on a free loopback port, built by infra/install.sh;
    yields its base URL. ``SCRIBESTREAM_TEST_FHIR_BASE`` points the tests at a server you already run."""
    from services.ehr_sink.fhir_test_server import running_fhir_server

    external = os.environ.get("SCRIBESTREAM_TEST_FHIR_BASE")
    if external:
        yield external.rstrip("/")
        return
    with running_fhir_server(log_dir=tmp_path_factory.mktemp("fhir")) as base:
        yield base
