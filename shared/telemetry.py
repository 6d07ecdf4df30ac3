"""Metrics (prometheus-client) and tracing (OpenTelemetry) shared by every service.

Metric labels are service/stage/outcome names only, never ids or text. Trace context rides in Kafka
headers (FastStream's Kafka telemetry middleware injects/extracts it), so one encounter is one trace
across the four services; the embedded run uses the same propagation through ``inject``/``extract``.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from prometheus_client import Counter, Histogram

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


def make_tracer_provider(service: str, *, exporter: str = "none", endpoint: str | None = None,
                         span_exporter: SpanExporter | None = None) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": f"scribestream-{service}"}))
    chosen: SpanExporter | None = span_exporter
    if chosen is None and exporter == "console":
        chosen = ConsoleSpanExporter()
    elif chosen is None and exporter == "otlp":  # pragma: no cover - needs a collector
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        chosen = OTLPSpanExporter(endpoint=endpoint) if endpoint else OTLPSpanExporter()
    if chosen is not None:
        provider.add_span_processor(BatchSpanProcessor(chosen))
    return provider


def tracer(provider: TracerProvider | None, name: str) -> trace.Tracer:
    return (provider or trace.get_tracer_provider()).get_tracer(f"scribestream.{name}")
