"""FastStream adapter shared by the four services: one broker, one subscriber, one output publisher,
health/metrics endpoints, and the ``Delivery`` mechanism. A service's ``app.py`` only declares its
``ServiceSpec`` and how to build its stage.

Nothing connects or loads a model at import time: ``build_app`` only declares; connections open in
``on_startup`` and close in ``after_shutdown``. SIGTERM (handled by uvicorn/FastStream) stops fetching,
lets the in-flight message finish (offsets are committed per message), and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.middlewares import AckPolicy
from faststream.specification import AsyncAPI
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.contracts import TOPIC_EVENTS, Event, Topic
from shared.delivery import Delivery
from shared.logging import configure_logging, get_logger
from shared.settings import ServiceSettings
from shared.stage import Stage
from shared.security import kafka_security, load_keyring, open_redis
from shared.state import EncryptingStateStore, RedisStateStore, StateStore
from shared.version import software_version
from shared.telemetry import H_CLOSED_AT, LagTracker, closed_at, make_tracer_provider, observe_handled, observe_publish

StageFactory = Callable[[Any, StateStore], Awaitable[Stage]]  # (settings, state store) -> stage
# (service, input event, output events) -> None; called after a successful handle, must not raise
Observer = Callable[..., None]
LAG_INTERVAL_S = 5.0

# When the input being handled closed its encounter (see shared.telemetry); read by the publish path.
_CLOSED_AT: ContextVar[float | None] = ContextVar("scribestream_closed_at", default=None)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    consumes: Topic
    produces: Topic
    description: str
    make_stage: StageFactory = field(repr=False)
    # Side topics the stage may also emit to (live partial hypotheses, the audit trail).
    also_produces: tuple[Topic, ...] = ()
    # Extra metric hooks for a service (the default one, telemetry.observe_handled, always runs).
    observers: tuple[Observer, ...] = field(default=(), repr=False)


class ObservedStage:
    """The service's stage, plus content-free metrics about each handled input and its outputs
    (audio seconds for the ASR real-time factor, note writer latency and tokens)."""

    def __init__(self, inner: Stage, *, observers: Sequence[Observer]) -> None:
        self.inner = inner
        self.name, self.consumes, self.produces = inner.name, inner.consumes, inner.produces
        self._observers = (observe_handled, *observers)

    async def handle(self, event: Event) -> Sequence[Event]:
        outputs = list(await self.inner.handle(event))
        for observe in self._observers:
            try:
                observe(service=self.name, event=event, outputs=outputs)
            except Exception:  # noqa: BLE001 - a metrics hook never fails a message
                get_logger("telemetry").warning("observer failed", extra={"stage": self.name})
        return outputs


async def consumer_lag(consumer: Any) -> dict[tuple[str, int], int]:
    """Per assigned partition: high watermark (from the last fetch) minus the consumer's position."""
    lags: dict[tuple[str, int], int] = {}
    for tp in list(consumer.assignment()):
        high = consumer.highwater(tp)
        if high is None:
            continue  # nothing fetched from this partition yet
        try:
            position = await asyncio.wait_for(consumer.position(tp), timeout=1)
        except Exception:  # noqa: BLE001 - unassigned mid-rebalance or no position yet: skip this round
            continue
        lags[(tp.topic, tp.partition)] = high - position
    return lags


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
        security=kafka_security(settings),  # SSL / mutual TLS / SASL_SSL (SCRAM) from settings
        logger=None,  # our JSON logger only; FastStream's access log would print message ids and bodies
    )
    out = broker.publisher(spec.produces.value, title=f"{spec.produces.value}:publish",
                           description=f"{spec.name} output", schema=_payload_type(spec.produces))
    dlq = broker.publisher(spec.consumes.dlq, title=f"{spec.consumes.dlq}:publish",
                           description="Messages that failed validation or processing, with x-dlq-* headers")
    publishers = {spec.produces.value: out, spec.consumes.dlq: dlq}
    for side in spec.also_produces:
        publishers[side.value] = broker.publisher(side.value, title=f"{side.value}:publish",
                                                  description=f"{spec.name} side output", schema=_payload_type(side))
    runtime: dict[str, Any] = {}

    async def publish(topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]) -> None:
        closed = _CLOSED_AT.get()
        if closed is not None:
            headers = {**headers, H_CLOSED_AT: f"{closed:.3f}"}
        await publishers[topic].publish(value, key=key, headers=headers)  # awaits the acks=all confirmation
        observe_publish(service=spec.name, topic=topic, closed=closed)

    subscriber = broker.subscriber(
        spec.consumes.value,
        group_id=spec.name,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        max_poll_interval_ms=10 * 60 * 1000,
        # > 1: FastStream runs that many consumers of the group, each on its own partitions, in order and
        # with its own manual commits, so one waiting encounter never blocks the others.
        max_workers=settings.consumers,
        title=f"{spec.consumes.value}:{spec.name}",
        description=spec.description,
    )

    @subscriber
    async def on_message(msg: KafkaMessage) -> None:
        delivery: Delivery = runtime["delivery"]
        record = msg.raw_message
        _CLOSED_AT.set(closed_at(msg.headers, record_timestamp_ms=record.timestamp))
        try:
            await delivery.deliver(value=msg.body, headers=msg.headers,
                                   source=f"{record.topic}:{record.partition}:{record.offset}")
        except BaseException:
            await msg.nack()  # rewind: this record is redelivered, nothing is committed past it
            raise
        await msg.ack()

    async def on_startup() -> None:
        configure_logging(settings.log_level)
        keyring = load_keyring(settings, component=spec.name)  # refuses to start without keys unless turned off
        runtime["redis"] = open_redis(settings.redis_url, settings) if redis_client is None else redis_client
        store: StateStore = RedisStateStore(runtime["redis"], prefix=f"ss:{spec.name}:")
        if keyring is not None:
            store = EncryptingStateStore(store, keyring=keyring)
        stage = ObservedStage(await spec.make_stage(settings, store), observers=spec.observers)
        runtime["delivery"] = Delivery(stage=stage, dedupe=store, publish=publish,
                                       max_attempts=settings.max_attempts, dedupe_ttl_s=settings.dedupe_ttl_s,
                                       keyring=keyring)
        log.info("started", extra={"service": spec.name, "bootstrap": settings.kafka_bootstrap})

    lag = LagTracker(spec.name)

    async def update_lag() -> None:
        # One consumer, or with settings.consumers > 1 a subgroup of them, each owning its own partitions.
        consumers = [c for c in getattr(subscriber, "consumer_subgroup", None) or [getattr(subscriber, "consumer", None)]
                     if c is not None]
        if consumers:
            merged: dict[tuple[str, int], int] = {}
            for consumer in consumers:
                merged.update(await consumer_lag(consumer))
            lag.update(merged)

    async def lag_loop() -> None:
        while True:
            with contextlib.suppress(Exception):
                await update_lag()
            await asyncio.sleep(LAG_INTERVAL_S)

    async def after_startup() -> None:
        runtime["lag_task"] = asyncio.create_task(lag_loop())

    async def on_shutdown() -> None:
        task = runtime.pop("lag_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        lag.clear()

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
            with contextlib.suppress(Exception):
                await asyncio.wait_for(update_lag(), timeout=2)  # fresh lag on every scrape
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
        after_startup=[after_startup],
        on_shutdown=[on_shutdown],
        after_shutdown=[after_shutdown],
        specification=AsyncAPI(broker, title=f"scribestream-{spec.name}", version=software_version(),
                               description=spec.description),
    )
    app.state = runtime  # type: ignore[attr-defined]  # tests peek at the delivery
    return app




def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Run one service: the Kafka consumer plus its HTTP endpoints on ``settings.http_port``."""
    import asyncio

    configure_logging(settings.log_level)
    app = build_app(spec, settings)
    # log_config=None: uvicorn keeps our JSON handler instead of installing its own text format.
    asyncio.run(app.run(run_extra_options={"host": settings.http_host, "port": settings.http_port,
                                           "log_config": None}))
