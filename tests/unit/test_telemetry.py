"""Observability wiring that needs no broker: the close stamp, lag series hygiene, and the Grafana
dashboard's queries naming only metrics the code exports (and the compose file mounting it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from shared.contracts import H_SCHEMA, AudioEnded
from shared.telemetry import (
    CONSUMER_LAG,
    H_CLOSED_AT,
    SINCE_CLOSE,
    LagTracker,
    closed_at,
    observe_publish,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
OBS = REPO / "deploy" / "docker" / "observability"
DASHBOARD = OBS / "grafana" / "scribestream-dashboard.json"


def test_close_stamp_comes_from_the_audio_ended_record_then_travels_in_a_header():
    assert closed_at({H_SCHEMA: AudioEnded.name()}, record_timestamp_ms=1_700_000_000_500) == 1_700_000_000.5
    assert closed_at({H_SCHEMA: "AudioChunkReceived"}, record_timestamp_ms=1_700_000_000_500) is None
    assert closed_at({H_SCHEMA: b"NoteDrafted", H_CLOSED_AT: b"1700000000.250"}, record_timestamp_ms=9) == 1_700_000_000.25
    assert closed_at({H_CLOSED_AT: "not-a-time"}, record_timestamp_ms=None) is None


def _value(name: str, labels: dict[str, str]) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_close_to_publish_is_observed_for_outputs_not_dead_letters():
    labels = {"service": "unit-svc", "topic": "ehr.submitted"}
    before = _value("scribestream_close_to_publish_seconds_count", labels) or 0
    observe_publish(service="unit-svc", topic="ehr.submitted", closed=100.0, now=103.5)
    observe_publish(service="unit-svc", topic="soap.coded.dlq", closed=100.0, now=103.5)
    observe_publish(service="unit-svc", topic="ehr.submitted", closed=None)
    assert _value("scribestream_close_to_publish_seconds_count", labels) == before + 1
    assert _value("scribestream_close_to_publish_seconds_count", {"service": "unit-svc", "topic": "soap.coded.dlq"}) is None
    assert SINCE_CLOSE  # registered under its documented name


def test_lag_series_of_partitions_lost_in_a_rebalance_are_removed():
    tracker = LagTracker("unit-lag")
    tracker.update({("audio.chunks", 0): 5, ("audio.chunks", 1): -2})
    assert _value("scribestream_consumer_lag_records", {"service": "unit-lag", "topic": "audio.chunks", "partition": "0"}) == 5
    assert _value("scribestream_consumer_lag_records", {"service": "unit-lag", "topic": "audio.chunks", "partition": "1"}) == 0
    tracker.update({("audio.chunks", 1): 3})
    assert _value("scribestream_consumer_lag_records", {"service": "unit-lag", "topic": "audio.chunks", "partition": "0"}) is None
    tracker.clear()
    assert _value("scribestream_consumer_lag_records", {"service": "unit-lag", "topic": "audio.chunks", "partition": "1"}) is None
    assert CONSUMER_LAG


def _exported_metric_names() -> set[str]:
    """Every series name the registry can expose, including families with no child yet."""
    import importlib

    import shared.telemetry  # noqa: F401

    try:  # notegen registers its own note-writer metrics on import
        importlib.import_module("services.notegen.metrics")
    except ModuleNotFoundError:
        pass
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    return {family.name + suffix for family in REGISTRY.collect() for suffix in suffixes.get(family.type, ("",))}


def test_dashboard_queries_name_only_exported_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    used = {m for e in exprs for m in re.findall(r"\b(scribestream_[a-z0-9_]+)", e)}
    missing = used - _exported_metric_names()
    assert not missing, f"dashboard queries metrics nobody exports: {sorted(missing)}"
    for needed in ("scribestream_consumer_lag_records", "scribestream_close_to_publish_seconds_bucket",
                   "scribestream_audio_seconds_total", "scribestream_dlq_total", "scribestream_stage_seconds_bucket"):
        assert needed in used
    assert not any("encounter" in label for e in exprs for label in re.findall(r"by \(([^)]*)\)", e))


def test_compose_observability_profile_provisions_the_dashboard():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert "observability" in grafana["profiles"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in grafana["volumes"]}
    for source in mounts:
        assert (REPO / source).exists(), source
    provider = yaml.safe_load((OBS / "grafana" / "dashboards.yaml").read_text())["providers"][0]
    dashboard_target = mounts["./deploy/docker/observability/grafana/scribestream-dashboard.json"]
    assert dashboard_target.startswith(provider["options"]["path"] + "/")
    datasources = yaml.safe_load((OBS / "grafana-datasources.yaml").read_text())["datasources"]
    uids = {d.get("uid") for d in datasources}
    dashboard = json.loads(DASHBOARD.read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p} <= uids
