"""One capacity measurement of the distributed pipeline.

Starts a private local stack (Kafka KRaft + Redis + the four services as processes, ``scribestream.devstack``)
or uses one that is already running (``make up``: ``--stack-dir .run``), publishes N encounters with at
most C in flight (optionally paced at real time: a live visit), and records:

- when each encounter closed (its AudioEnded write acknowledged) and the Kafka timestamps of its
  TranscriptClosed, final ``soap.draft``, ``soap.coded`` and ``ehr.submitted`` records (keys and headers
  only: payloads are never read, so nothing here sees PHI);
- every few seconds, each consumer group's lag (committed offsets from the Kafka admin client against
  the topics' end offsets), the CPU and RSS of every stack process (psutil) and the load average;
- the services' own ``scribestream_stage_seconds`` and ``scribestream_audio_seconds_total`` before and
  after (busy share, ASR real-time factor).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from scribestream.benchmark.encounters import EncounterAudio, Ending
from scribestream.benchmark.report import EncounterTimes, latency_summary, lag_trend, throughput
from scribestream.devstack import (
    REPO_ROOT,
    SERVICE_NAMES,
    StackInfo,
    load_stack,
    read_state,
    start_services,
    start_stack,
    stop_stack,
)
from shared.contracts import H_SCHEMA, EncounterContext, Topic, TranscriptClosed

GROUPS: dict[str, Topic] = {  # consumer group (= service name) -> the topic it consumes
    "asr": Topic.AUDIO_CHUNKS,
    "notegen": Topic.TRANSCRIPT_TURNS,
    "coding": Topic.SOAP_DRAFT,
    "ehr_sink": Topic.SOAP_CODED,
}
MARKS: dict[str, str] = {  # topic -> EncounterTimes field its (last) record of the encounter sets
    Topic.SOAP_DRAFT.value: "drafted",
    Topic.SOAP_CODED.value: "coded",
    Topic.EHR_SUBMITTED.value: "submitted",
}


@dataclass(frozen=True)
class BenchConfig:
    encounters: int = 4
    concurrency: int = 4
    realtime: bool = False
    seconds: float = 600.0
    mono: bool = False
    replicas: int = 1
    asr_replicas: int | None = None  # None: same as replicas
    partitions: int = 6
    stack_dir: Path | None = None  # a running stack (make up) instead of a private one
    drain_timeout_s: float = 900.0  # after the last encounter closed
    sample_every_s: float = 2.0
    label: str = ""
    ending: Ending = "pause"  # how each visit's audio ends (encounters.build_encounter)


@dataclass
class _Recorder:
    wanted: set[str]
    times: dict[str, dict[str, float]] = field(default_factory=dict)
    lag_series: list[dict[str, Any]] = field(default_factory=list)
    resource_series: list[dict[str, Any]] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)

    def mark(self, encounter_id: str, name: str, at: float) -> None:
        marks = self.times.setdefault(encounter_id, {})
        marks[name] = max(at, marks.get(name, at))  # the last record wins (the final draft)

    def submitted(self) -> int:
        return sum("submitted" in self.times.get(e, {}) for e in self.wanted)


# ------------------------------------------------------------------ stack
def _service_env(root: Path) -> dict[str, str]:
    return {"SCRIBESTREAM_OUTBOX_DIR": str(root / "outbox"), "SCRIBESTREAM_LOG_LEVEL": "WARNING"}


def start_private_stack(config: BenchConfig, *, root: Path) -> StackInfo:
    run_dir = root / "stack"
    stack = start_stack(run_dir=run_dir, partitions=config.partitions)
    try:
        others = [n for n in SERVICE_NAMES if n != "asr"]
        start_services(run_dir=run_dir, stack=stack, names=["asr"], replicas=config.asr_replicas or config.replicas,
                       extra_env=_service_env(root), ready_timeout_s=300)
        start_services(run_dir=run_dir, stack=stack, names=others, replicas=config.replicas,
                       extra_env=_service_env(root), ready_timeout_s=300)
    except BaseException:
        stop_stack(run_dir)
        raise
    return load_stack(run_dir)


def stack_processes(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Recorded processes of a stack: name -> {pid, service (kafka/redis/asr/...), http_port}."""
    out = {}
    for name, rec in read_state(run_dir).get("processes", {}).items():
        out[name] = {"pid": rec["pid"], "service": rec.get("service", name), "http_port": rec.get("http_port")}
    return out


def _keyring(run_dir: Path) -> Any:
    from shared.crypto import KeyRing

    path = run_dir / "keyring.json"
    return KeyRing.from_json(path.read_text()) if path.exists() else None


# ------------------------------------------------------------------ /metrics
def _scrape(port: int) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {"scribestream_stage_seconds_sum", "scribestream_stage_seconds_count", "scribestream_audio_seconds_total",
              "scribestream_dlq_total"}
    out: dict[str, float] = {}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return out
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in wanted:
                out[s.name] = out.get(s.name, 0.0) + s.value
    return out


def _stage_metrics(procs: Mapping[str, Mapping[str, Any]], before: Mapping[str, dict[str, float]],
                   after: Mapping[str, dict[str, float]], *, wall: float) -> dict[str, dict[str, Any]]:
    agg: dict[str, dict[str, float]] = {}
    for name, rec in procs.items():
        if rec["service"] not in GROUPS:
            continue
        a = agg.setdefault(rec["service"], {"n": 0, "sum": 0, "count": 0, "audio": 0, "dlq": 0})
        b, f = before.get(name, {}), after.get(name, {})
        a["n"] += 1
        for key, metric in (("sum", "scribestream_stage_seconds_sum"), ("count", "scribestream_stage_seconds_count"),
                            ("audio", "scribestream_audio_seconds_total"), ("dlq", "scribestream_dlq_total")):
            a[key] += f.get(metric, 0) - b.get(metric, 0)
    return {svc: {"inputs": int(a["count"]),
                  "mean_ms_per_input": round(1000 * a["sum"] / a["count"], 2) if a["count"] else None,
                  "busy_share": round(a["sum"] / (wall * a["n"]), 3) if wall > 0 else None,
                  "rtf": round(a["sum"] / a["audio"], 3) if a["audio"] else None,
                  "audio_s": round(a["audio"], 1),
                  "dlq": int(a["dlq"])} for svc, a in agg.items()}


# ------------------------------------------------------------------ samplers
async def _partitions(bootstrap: str, topics: Sequence[str], security: Mapping[str, Any]) -> dict[str, list[int]]:
    """Partition numbers of each topic, from the admin client's topic descriptions."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","), **security)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {d["topic"]: sorted(p["partition"] for p in d["partitions"]) for d in described}


async def _watch(bootstrap: str, rec: _Recorder, security: Mapping[str, Any], *, ready: asyncio.Event,
                 stop: asyncio.Event) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False,
                                **security)
    topics = [Topic.TRANSCRIPT_TURNS.value, *MARKS]
    parts = await _partitions(bootstrap, topics, security)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(t, p) for t in topics for p in parts.get(t, [])])
        # Start at the current end of each partition so a reused stack's history is not read; ours comes
        # later: the first encounter is published only after ``ready`` is set.
        await consumer.seek_to_end()
        for tp in consumer.assignment():
            await consumer.position(tp)
        ready.set()
        while not stop.is_set() and rec.submitted() < len(rec.wanted):
            for records in (await consumer.getmany(timeout_ms=250)).values():
                for r in records:
                    key = (r.key or b"").decode()
                    if key not in rec.wanted:
                        continue
                    at = r.timestamp / 1000  # the producing service's publish time (CreateTime)
                    if r.topic == Topic.TRANSCRIPT_TURNS.value:
                        schema = dict(r.headers or []).get(H_SCHEMA, b"").decode(errors="replace")
                        if schema == TranscriptClosed.name():
                            rec.mark(key, "transcribed", at)
                    else:
                        rec.mark(key, MARKS[r.topic], at)
    finally:
        await consumer.stop()


async def _sample(bootstrap: str, rec: _Recorder, procs: Mapping[str, Mapping[str, Any]], security: Mapping[str, Any],
                  *, t0: float, every: float, stop: asyncio.Event) -> None:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","), **security)
    ends = AIOKafkaConsumer(bootstrap_servers=bootstrap.split(","), group_id=None, enable_auto_commit=False, **security)
    await admin.start()
    await ends.start()
    handles = {}
    for name, p in procs.items():
        try:
            handles[name] = psutil.Process(p["pid"])
            handles[name].cpu_percent(None)  # first call primes the counter
        except psutil.Error:
            continue
    try:
        numbers = await _partitions(bootstrap, [t.value for t in GROUPS.values()], security)
        while not stop.is_set():
            point: dict[str, Any] = {"t": round(time.time() - t0, 2), "lag": {}, "end": {}}
            for group, topic in GROUPS.items():
                parts = [TopicPartition(topic.value, p) for p in numbers.get(topic.value, [])]
                try:
                    committed = await admin.list_consumer_group_offsets(group, partitions=parts)
                    end = await ends.end_offsets(parts)
                except Exception:  # noqa: BLE001 - a missed sample (broker busy) leaves a gap, not an error
                    continue
                point["end"][group] = sum(end.values())
                point["lag"][group] = sum(max(0, end[tp] - (committed.get(tp).offset if committed.get(tp) and
                                                            committed[tp].offset >= 0 else 0)) for tp in parts)
            rec.lag_series.append(point)
            usage: dict[str, Any] = {"t": point["t"], "cpu_cores": {}, "rss_mib": {}}
            for name, proc in handles.items():
                try:
                    with proc.oneshot():
                        cores, rss = proc.cpu_percent(None) / 100, proc.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                service = procs[name]["service"]
                usage["cpu_cores"][service] = round(usage["cpu_cores"].get(service, 0) + cores, 3)
                usage["rss_mib"][service] = round(usage["rss_mib"].get(service, 0) + rss, 1)
            rec.resource_series.append(usage)
            rec.loads.append(os.getloadavg()[0])
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
    finally:
        await ends.stop()
        await admin.close()


def _cpu_seconds(procs: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    out = {}
    for name, p in procs.items():
        try:
            t = psutil.Process(p["pid"]).cpu_times()
            out[name] = t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            continue
    return out


# ------------------------------------------------------------------ one run
async def measure(*, config: BenchConfig, stack: StackInfo, encounters: Sequence[EncounterAudio],
                  on_progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    from scribestream.cli import _client_security, _publish

    assert stack.run_dir is not None
    procs = stack_processes(stack.run_dir)
    _, security = _client_security(resolve_ring=False)
    keyring = _keyring(stack.run_dir)
    run_id = uuid.uuid4().hex[:8]
    ids = [f"bench-{run_id}-{i:03d}" for i in range(len(encounters))]
    audio_s = {e: enc.seconds for e, enc in zip(ids, encounters, strict=True)}
    rec = _Recorder(wanted=set(ids))
    ports = {n: p["http_port"] for n, p in procs.items() if p.get("http_port")}
    before = {n: await asyncio.to_thread(_scrape, port) for n, port in ports.items()}
    cpu_before = _cpu_seconds(procs)
    load_start = os.getloadavg()[0]
    stop = asyncio.Event()
    ready = asyncio.Event()
    watcher = asyncio.create_task(_watch(stack.bootstrap, rec, security, ready=ready, stop=stop))
    ready_wait = asyncio.create_task(ready.wait())
    await asyncio.wait({ready_wait, watcher}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        ready_wait.cancel()
        await watcher  # it failed before it was positioned: raise its error rather than publish blind
    t0 = time.time()
    sampler = asyncio.create_task(_sample(stack.bootstrap, rec, procs, security, t0=t0,
                                          every=config.sample_every_s, stop=stop))
    gate = asyncio.Semaphore(config.concurrency)

    async def one(encounter_id: str, enc: EncounterAudio) -> None:
        async with gate:
            rec.mark(encounter_id, "started", time.time())
            await _publish(enc.audio, bootstrap=stack.bootstrap, encounter_id=encounter_id, realtime=config.realtime,
                           context=EncounterContext(), roles=None, keyring=keyring)
            rec.mark(encounter_id, "closed", time.time())  # the AudioEnded write was acknowledged
            on_progress(f"closed {encounter_id}")

    await asyncio.gather(*(one(e, enc) for e, enc in zip(ids, encounters, strict=True)))
    last_close = time.time()
    on_progress("all encounters closed; waiting for ehr.submitted")
    try:
        await asyncio.wait_for(asyncio.shield(watcher), timeout=config.drain_timeout_s)
    except TimeoutError:
        on_progress(f"drain timeout after {config.drain_timeout_s:g} s")
    stop.set()
    await asyncio.gather(watcher, sampler, return_exceptions=True)
    ended = time.time()
    cpu_after = _cpu_seconds(procs)
    after = {n: await asyncio.to_thread(_scrape, port) for n, port in ports.items()}

    times = [EncounterTimes(encounter_id=e, **{k: v for k, v in rec.times.get(e, {}).items() if k != "started"})
             for e in ids]
    wall = ended - t0
    resources: dict[str, dict[str, Any]] = {}
    for name, p in procs.items():
        r = resources.setdefault(p["service"], {"processes": 0, "cpu_s": 0.0})
        r["processes"] += 1
        r["cpu_s"] += cpu_after.get(name, 0) - cpu_before.get(name, 0)
    for service, r in resources.items():
        r["cpu_s"] = round(r["cpu_s"], 1)
        r["mean_cores"] = round(r["cpu_s"] / wall, 3)
        r["peak_rss_mib"] = round(max((p["rss_mib"].get(service, 0) for p in rec.resource_series), default=0))
    live = (0.0, round(last_close - t0, 2))
    stage_metrics = _stage_metrics(procs, before, after, wall=wall)
    # Audio ASR actually processed (its own counter), not what was published: a run that ends with a backlog
    # must not spread the CPU over audio that was never transcribed.
    asr_audio = stage_metrics.get("asr", {}).get("audio_s") or 0.0
    asr_cpu = resources.get("asr", {}).get("cpu_s")
    return {
        "label": config.label or f"{len(ids)}x{config.seconds:g}s C={config.concurrency}"
                                  f"{' realtime' if config.realtime else ''} asr x{config.asr_replicas or config.replicas}"
                                  f" ends:{config.ending}",
        "config": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
                   "asr_replicas": config.asr_replicas or config.replicas},
        "audio_s_per_encounter": round(max(audio_s.values(), default=0), 1),
        "consultations": sorted({enc.stem for enc in encounters}),
        "latency": latency_summary(times),
        "throughput": throughput(times=times, audio_seconds=audio_s, started=t0),
        "lag": {g: lag_trend(rec.lag_series, group=g, live_from=live[0], live_to=live[1]) for g in GROUPS},
        "resources": resources,
        "stage_metrics": stage_metrics,
        # CPU seconds ASR burnt per audio second: far less sensitive to other load on the host than wall
        # time; cores / this = live encounters the host's CPUs could carry at full use.
        "asr_cpu_s_per_audio_s": round(asr_cpu / asr_audio, 3) if asr_cpu and asr_audio else None,
        "live_window_s": live,
        "wall_s": round(wall, 1),
        "load_avg_1m": {"start": round(load_start, 2),
                        "mean": round(sum(rec.loads) / len(rec.loads), 2) if rec.loads else None,
                        "max": round(max(rec.loads), 2) if rec.loads else None},
        "cpu_count": os.cpu_count(),
        **_provenance(),
        "encounters": [{**asdict(t), "e2e_s": t.e2e} for t in times],
        "lag_series": rec.lag_series,
        "resource_series": rec.resource_series,
    }


def _provenance() -> dict[str, Any]:
    """The commit measured, and whether the service code that ran had uncommitted changes (the services
    run from the working tree)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    if pinned := os.environ.get("SCRIBESTREAM_BENCH_COMMIT"):  # a run from an exported tree (no .git)
        return {"commit": pinned, "dirty_files": []}
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "services", "shared").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown", "dirty_files": dirty}


def run_benchmark(config: BenchConfig, *, encounters: Sequence[EncounterAudio],
                  on_progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Start (or attach to) a stack, measure once, stop what was started here."""
    if config.stack_dir is not None:
        return asyncio.run(measure(config=config, stack=load_stack(config.stack_dir), encounters=encounters,
                                   on_progress=on_progress))
    root = Path(tempfile.mkdtemp(prefix="scribestream-bench-"))
    on_progress(f"starting Kafka, Redis and the services in {root}")
    stack = start_private_stack(config, root=root)
    try:
        time.sleep(3)  # let the consumer groups settle after the last join
        return asyncio.run(measure(config=config, stack=stack, encounters=encounters, on_progress=on_progress))
    finally:
        assert stack.run_dir is not None
        stop_stack(stack.run_dir)
