"""Metrics (prometheus-client) and tracing (OpenTelemetry) shared by every service.

Metric labels are service/stage/topic/outcome/backend names (and Kafka partition numbers) only, never ids
or text. Trace context rides in Kafka headers (FastStream's Kafka telemetry middleware injects/extracts
it), so one encounter is one trace across the four services; the embedded run uses the same propagation
through ``inject``/``extract``.

End-to-end time: the time an encounter closed (the Kafka timestamp of its ``AudioEnded`` record, i.e.
when the producer published it) travels forward in the ``x-closed-at`` header of every event derived
from it, so each service can observe "seconds since close" when it publishes; the sink's observation on
``ehr.submitted`` is the end-to-end figure. The stamp is the producer's clock: keep hosts NTP-synced.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from prometheus_client import Counter, Gauge, Histogram

from shared.contracts import H_SCHEMA, AudioChunkReceived, AudioEnded, Event

PROCESSED = Counter(
    "scribestream_messages_total", "Input messages handled, by outcome", ["service", "outcome"]
)
DEAD_LETTERED = Counter("scribestream_dlq_total", "Messages sent to a dead-letter topic", ["service", "reason"])
EMITTED = Counter("scribestream_events_emitted_total", "Output events published", ["service"])
STAGE_SECONDS = Histogram(
    "scribestream_stage_seconds",
    "Time the stage took per input message",
    ["service"],
    buckets=(0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CONSUMER_LAG = Gauge(
    "scribestream_consumer_lag_records",
    "Records on the partition not yet taken by this consumer (high watermark - position)",
    ["service", "topic", "partition"],
)
SINCE_CLOSE = Histogram(
    "scribestream_close_to_publish_seconds",
    "Seconds from the encounter's close (AudioEnded published) to this service publishing a derived event; "
    "topic=ehr.submitted is the end-to-end time",
    ["service", "topic"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60, 120, 300),
)
AUDIO_SECONDS = Counter(
    "scribestream_audio_seconds_total",
    "Seconds of audio handled (per channel-interleaved chunk duration); ASR real-time factor = "
    "rate(scribestream_stage_seconds_sum) / rate(scribestream_audio_seconds_total)",
    ["service"],
)
H_CLOSED_AT = "x-closed-at"  # epoch seconds (decimal string) the encounter's audio ended; ids/times only


def closed_at(headers: Mapping[str, Any], *, record_timestamp_ms: int | None) -> float | None:
    """When the encounter of this input closed: the forwarded header, or, for the ``AudioEnded`` record
    itself, its Kafka timestamp. None for inputs that precede the close (audio chunks, turns)."""
    def text(value: Any) -> str:
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value)

    if (stamp := headers.get(H_CLOSED_AT)) is not None:
        try:
            return float(text(stamp))
        except ValueError:
            return None
    if record_timestamp_ms is not None and text(headers.get(H_SCHEMA, "")) == AudioEnded.name():
        return record_timestamp_ms / 1000
    return None


def observe_publish(*, service: str, topic: str, closed: float | None, now: float | None = None) -> None:
    if closed is not None and not topic.endswith(".dlq"):
        SINCE_CLOSE.labels(service, topic).observe(max(0.0, (now or time.time()) - closed))


def observe_handled(*, service: str, event: Event, outputs: Iterable[Event]) -> None:
    """Content-free facts about one successfully handled input (the runtime's default observer).
    Note-writer latency and tokens are exported by notegen itself (services/notegen/metrics.py), per
    model call, so they are not derived again here from ``NoteDrafted.generator``."""
    if isinstance(event, AudioChunkReceived):
        AUDIO_SECONDS.labels(service).inc(event.seconds)


class LagTracker:
    """Exports consumer lag per assigned partition, and removes the series of partitions this replica
    no longer owns after a rebalance (a stale gauge would make an autoscaler see phantom lag)."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._series: set[tuple[str, str]] = set()

    def update(self, lags: Mapping[tuple[str, int], int]) -> None:
        current = {(topic, str(partition)) for topic, partition in lags}
        for topic, partition in self._series - current:
            CONSUMER_LAG.remove(self._service, topic, partition)
        for (topic, partition), lag in lags.items():
            CONSUMER_LAG.labels(self._service, topic, str(partition)).set(max(0, lag))
        self._series = current

    def clear(self) -> None:
        self.update({})


def make_tracer_provider(service: str, *, exporter: str = "none", endpoint: str | None = None,
                         span_exporter: SpanExporter | None = None) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"scribestream-{service}"}))
    chosen: SpanExporter | None = span_exporter
    if chosen is None and exporter == "console":
        chosen = ConsoleSpanExporter()
    elif chosen is None and exporter == "otlp":  # pragma: no cover - needs a collector
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        chosen = OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
    if chosen is not None:
        provider.add_span_processor(BatchSpanProcessor(chosen))
    return provider


def tracer(provider: TracerProvider | None, name: str) -> trace.Tracer:
    return (provider or trace.get_tracer_provider()).get_tracer(f"scribestream.{name}")
