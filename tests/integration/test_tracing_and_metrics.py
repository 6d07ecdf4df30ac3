"""Observability of the distributed pipeline: the four service apps run in this process (FastStream app
lifecycle) against the REAL Kafka broker and Redis, each with its own tracer provider exporting to one
in-memory exporter. One short encounter goes through; then:

- its spans form one trace that crosses all four services (service.name of each span's resource);
- no span attribute, event or name carries PHI (planted references, words said in the audio);
- each service's /metrics endpoint exposes the operational metrics (lag, close-to-publish time, ASR
  audio seconds, stage time).
"""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from faststream import TestApp
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from scribestream.cli import _publish
from services.asr.app import SPEC as ASR
from services.asr.config import AsrSettings
from services.coding.app import SPEC as CODING
from services.coding.config import CodingSettings
from services.ehr_sink.app import SPEC as EHR_SINK
from services.ehr_sink.config import EhrSinkSettings
from services.notegen.app import SPEC as NOTEGEN
from services.notegen.config import NotegenSettings
from shared.audio import load_audio
from shared.contracts import EncounterContext, Topic
from shared.runtime import build_app
from tests.helpers.topics import records_for

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "encounter.wav"
SECONDS = 15  # "Doctor Patel", the headache: enough for turns and a note, short enough for CI
PHI_CANARIES = ("zz-canary-patient", "zz-canary-practitioner", "Patel", "headache", "morning")
SERVICE_NAMES = {"scribestream-asr", "scribestream-notegen", "scribestream-coding", "scribestream-ehr_sink"}


async def _get(app: Any, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        return await client.get(path)


@pytest.fixture(scope="module")
async def observed_run(stack, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        if not any(os.environ.get(f"SCRIBESTREAM_{k}") for k in ("KEYS", "KEYRING_FILE", "KEYRING_DIR")):
            # Payload encryption is not what this test is about: without a configured key ring, run the
            # services and the publisher unencrypted (both read the same variable).
            env.setenv("SCRIBESTREAM_ENCRYPTION", "false")
        return await _observed_run(stack, tmp_path_factory)


async def _observed_run(stack, tmp_path_factory):
    # One exporter per app: shutting a provider down shuts its exporter, which would drop the spans the
    # other providers still have batched if they shared one.
    exporters = {name: InMemorySpanExporter() for name in ("asr", "notegen", "coding", "ehr_sink")}
    common = {"kafka_bootstrap": stack.bootstrap, "redis_url": stack.redis_url}
    outbox = tmp_path_factory.mktemp("outbox")
    apps = {
        "asr": build_app(ASR, AsrSettings(**common), span_exporter=exporters["asr"]),
        "notegen": build_app(NOTEGEN, NotegenSettings(**common), span_exporter=exporters["notegen"]),
        "coding": build_app(CODING, CodingSettings(**common), span_exporter=exporters["coding"]),
        "ehr_sink": build_app(EHR_SINK, EhrSinkSettings(**common, outbox_dir=outbox), span_exporter=exporters["ehr_sink"]),
    }
    audio = load_audio(SAMPLE)
    audio = replace(audio, pcm=audio.pcm[: SECONDS * 16_000 * audio.frame_bytes])
    encounter_id = f"enc-trace-{time.time_ns() % 10**12}"
    context = EncounterContext(patient_ref="Patient/zz-canary-patient",
                               practitioner_ref="Practitioner/zz-canary-practitioner")
    started = time.monotonic()
    async with AsyncExitStack() as running:
        # Concurrently: the ASR model and the code set load at the same time.
        await asyncio.gather(*(running.enter_async_context(TestApp(app)) for app in apps.values()))
        await _publish(audio, bootstrap=stack.bootstrap, encounter_id=encounter_id, realtime=False,
                       context=context, roles=None)
        found = await records_for(stack.bootstrap, Topic.EHR_SUBMITTED, encounter_id=encounter_id, want=1, timeout_s=90)
        assert found, "nothing on ehr.submitted for the encounter within 90s"
        submitted = found[0]
        await asyncio.sleep(0.5)  # the sink observes its close-to-publish time right after the ack
        metrics = {name: await _get(app, "/metrics") for name, app in apps.items()}
        ready = {name: await _get(app, "/health/ready") for name, app in apps.items()}
    # Leaving the apps shut their tracer providers down, which flushes every batched span.
    spans = [span for exporter in exporters.values() for span in exporter.get_finished_spans()]
    return SimpleNamespace(spans=spans, encounter_id=encounter_id, submitted=submitted,
                           metrics=metrics, ready=ready, seconds=time.monotonic() - started)


def _encounter_spans(run) -> list:
    """Spans whose Kafka message key (the partition key: the encounter id) is this encounter's."""
    def key(span) -> str:
        value = (span.attributes or {}).get("messaging.kafka.message.key", b"")
        return value.decode() if isinstance(value, bytes) else str(value)

    return [s for s in run.spans if key(s) == run.encounter_id]


def test_one_encounter_is_one_trace_across_the_four_services(observed_run):
    spans = _encounter_spans(observed_run)
    assert spans, "no span names the encounter's key"
    trace_ids = {s.context.trace_id for s in spans}
    assert len(trace_ids) == 1, f"{len(trace_ids)} traces for one encounter"
    [trace_id] = trace_ids
    in_trace = [s for s in observed_run.spans if s.context.trace_id == trace_id]
    assert {s.resource.attributes["service.name"] for s in in_trace} == SERVICE_NAMES
    # The chain is causal: the sink's consume span descends from a span of the same trace.
    consumed_by_sink = [s for s in in_trace if s.resource.attributes["service.name"] == "scribestream-ehr_sink"]
    assert consumed_by_sink and all(s.parent is not None for s in consumed_by_sink)


def test_spans_carry_no_phi(observed_run):
    assert observed_run.spans
    for span in observed_run.spans:
        texts = [span.name, *(f"{k}={v}" for k, v in (span.attributes or {}).items())]
        for event in span.events:
            texts += [event.name, *(f"{k}={v}" for k, v in (event.attributes or {}).items())]
        blob = " ".join(texts).lower()
        for canary in PHI_CANARIES:
            assert canary.lower() not in blob, f"{canary!r} in a span of {span.resource.attributes['service.name']}"


def _samples(text: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def test_metrics_endpoints_expose_the_operational_metrics(observed_run):
    assert all(r.status_code == 200 for r in observed_run.ready.values())
    for name, response in observed_run.metrics.items():
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        samples = _samples(response.text)
        lag = [s for s in samples.get("scribestream_consumer_lag_records", []) if s.labels["service"] == name]
        assert lag, f"{name}: no consumer lag series"
        assert all(s.labels["partition"].isdigit() and s.value >= 0 for s in lag)
        assert any(s.labels["service"] == name for s in samples["scribestream_stage_seconds_count"])
    samples = _samples(observed_run.metrics["ehr_sink"].text)
    e2e = [s for s in samples["scribestream_close_to_publish_seconds_count"]
           if s.labels == {"service": "ehr_sink", "topic": Topic.EHR_SUBMITTED.value}]
    assert e2e and e2e[0].value >= 1
    e2e_sum = [s for s in samples["scribestream_close_to_publish_seconds_sum"] if s.labels["service"] == "ehr_sink"]
    assert 0 < e2e_sum[0].value / e2e[0].value < observed_run.seconds
    audio = [s for s in samples["scribestream_audio_seconds_total"] if s.labels["service"] == "asr"]
    assert audio and audio[0].value >= SECONDS - 0.5
    # No label value anywhere is an id: the encounter id never reaches a metric.
    for response in observed_run.metrics.values():
        assert observed_run.encounter_id not in response.text
