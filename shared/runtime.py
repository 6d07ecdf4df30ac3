"""FastStream adapter shared by the four services: one broker, one subscriber, one output publisher,
health/metrics endpoints, and the ``Delivery`` mechanism. A service's ``app.py`` only declares its
``ServiceSpec`` and how to build its stage.

Nothing connects or loads a model at import time: ``build_app`` only declares; connections open in
``on_startup`` and close in ``after_shutdown``. SIGTERM (handled by uvicorn/FastStream) stops fetching,
lets the in-flight message finish (offsets are committed per message), and exits.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.middlewares import AckPolicy
from faststream.specification import AsyncAPI
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.contracts import TOPIC_EVENTS, Topic
from shared.delivery import Delivery
from shared.logging import configure_logging, get_logger
from shared.settings import ServiceSettings
from shared.stage import Stage
from shared.state import RedisStateStore, StateStore
from shared.telemetry import make_tracer_provider

StageFactory = Callable[[Any, StateStore], Awaitable[Stage]]  # (settings, state store) -> stage


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    consumes: Topic
    produces: Topic
    description: str
    make_stage: StageFactory = field(repr=False)


def _payload_type(topic: Topic) -> Any:
    """The pydantic type of every event on a topic (documents the payload in the AsyncAPI document)."""
    from typing import Union

    classes = TOPIC_EVENTS[topic]
    return classes[0] if len(classes) == 1 else Union[classes]  # type: ignore[valid-type]


def _json(send_status: int, body: dict[str, Any]) -> tuple[int, bytes, bytes]:
    return send_status, json.dumps(body).encode(), b"application/json"


def build_app(spec: ServiceSpec, settings: ServiceSettings, *, span_exporter: SpanExporter | None = None,
              redis_client: Any = None) -> AsgiFastStream:
    log = get_logger(spec.name)
    tracer_provider = make_tracer_provider(
        spec.name, exporter=settings.otel_exporter, endpoint=settings.otel_endpoint, span_exporter=span_exporter
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap.split(","),
        client_id=f"scribestream-{spec.name}",
        acks="all",
        enable_idempotence=True,
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=None,  # our JSON logger only; FastStream's access log would print message ids and bodies
    )
    out = broker.publisher(spec.produces.value, title=f"{spec.produces.value}:publish",
                           description=f"{spec.name} output", schema=_payload_type(spec.produces))
    dlq = broker.publisher(spec.consumes.dlq, title=f"{spec.consumes.dlq}:publish",
                           description="Messages that failed validation or processing, with x-dlq-* headers")
    publishers = {spec.produces.value: out, spec.consumes.dlq: dlq}
    runtime: dict[str, Any] = {}

    async def publish(topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]) -> None:
        await publishers[topic].publish(value, key=key, headers=headers)  # awaits the acks=all confirmation

    @broker.subscriber(
        spec.consumes.value,
        group_id=spec.name,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_interval_ms=10 * 60 * 1000,
        title=f"{spec.consumes.value}:{spec.name}",
        description=spec.description,
    )
    async def on_message(msg: KafkaMessage) -> None:
        delivery: Delivery = runtime["delivery"]
        record = msg.raw_message
        try:
            await delivery.deliver(value=msg.body, headers=msg.headers,
                                   source=f"{record.topic}:{record.partition}:{record.offset}")
        except BaseException:
            await msg.nack()  # rewind: this record is redelivered, nothing is committed past it
            raise
        await msg.ack()

    async def on_startup() -> None:
        configure_logging(settings.log_level)
        if redis_client is None:
            import redis.asyncio as redis

            runtime["redis"] = redis.from_url(settings.redis_url)
        else:
            runtime["redis"] = redis_client
        store = RedisStateStore(runtime["redis"], prefix=f"ss:{spec.name}:")
        stage = await spec.make_stage(settings, store)
        runtime["delivery"] = Delivery(stage=stage, dedupe=store, publish=publish,
                                       max_attempts=settings.max_attempts, dedupe_ttl_s=settings.dedupe_ttl_s)
        log.info("started", extra={"service": spec.name, "bootstrap": settings.kafka_bootstrap})

    async def after_shutdown() -> None:
        # after_shutdown: the broker has stopped fetching and the in-flight message has finished.
        client = runtime.pop("redis", None)
        if client is not None and redis_client is None:
            await client.aclose()
        tracer_provider.shutdown()
        log.info("stopped", extra={"service": spec.name})

    async def ready() -> tuple[int, dict[str, Any]]:
        checks = {"broker": False, "redis": False, "stage": "delivery" in runtime}
        try:
            checks["broker"] = bool(await broker.ping(timeout=2))
        except Exception:  # noqa: BLE001
            pass
        try:
            checks["redis"] = bool(await runtime["redis"].ping()) if "redis" in runtime else False
        except Exception:  # noqa: BLE001
            pass
        return (200 if all(checks.values()) else 503), checks

    async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path == "/metrics":
            status, body, ctype = 200, generate_latest(), CONTENT_TYPE_LATEST.encode()
        elif path == "/health/live":
            status, body, ctype = _json(200, {"status": "live", "service": spec.name})
        else:
            code, checks = await ready()
            status, body, ctype = _json(code, {"status": "ready" if code == 200 else "not_ready", **checks})
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]})
        await send({"type": "http.response.body", "body": body})

    app = AsgiFastStream(
        broker,
        logger=log,
        asgi_routes=[("/health/live", http), ("/health/ready", http), ("/metrics", http)],
        on_startup=[on_startup],
        after_shutdown=[after_shutdown],
        specification=AsyncAPI(broker, title=f"scribestream-{spec.name}", version=_version(),
                               description=spec.description),
    )
    app.state = runtime  # type: ignore[attr-defined]  # tests peek at the delivery
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scribestream")
    except PackageNotFoundError:  # pragma: no cover
        return "0.0.0"


software_version = _version


def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Run one service: the Kafka consumer plus its HTTP endpoints on ``settings.http_port``."""
    import asyncio

    configure_logging(settings.log_level)
    app = build_app(spec, settings)
    # log_config=None: uvicorn keeps our JSON handler instead of installing its own text format.
    asyncio.run(app.run(run_extra_options={"host": settings.http_host, "port": settings.http_port,
                                           "log_config": None}))
