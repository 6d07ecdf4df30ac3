"""Capacity of the distributed pipeline on this machine.

Starts a real local stack (Kafka KRaft + Redis, ``scribestream.devstack``) and the four services as
processes (optionally extra ASR replicas in the same consumer group), publishes N encounters (the bundled
sample WAV, optionally cut to ``--seconds``) with at most C in flight, paced at real time or as fast as
possible, and reports per run:

- end-to-end time from encounter close (the AudioEnded publish was acknowledged) to its ``ehr.submitted``
  record (the record's own timestamp): median / p95 / max;
- throughput (encounters/min, audio seconds per wall second) and per-stage time per input (from the
  services' /metrics: ``scribestream_stage_seconds``) and the ASR real-time factor (compute seconds per audio
  second, all replicas);
- consumer lag over time (sampled from /metrics every second), CPU seconds and peak RSS per service
  process (from /proc).

Results append as JSON lines to ``--out``; ``--plot`` draws lag over time of the last run.

    .venv/bin/python bench/capacity.py --encounters 4 --concurrency 4 --realtime --runs 3
    .venv/bin/python bench/capacity.py --encounters 8 --concurrency 8 --seconds 48 --asr-replicas 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from prometheus_client.parser import text_string_to_metric_families

from scribestream.devstack import (
    SERVICE_NAMES,
    StackInfo,
    read_state,
    start_services,
    start_stack,
    stop_services,
    stop_stack,
)
from shared.audio import Audio, load_audio
from shared.contracts import EncounterContext, Topic

SAMPLE = REPO / "samples" / "encounter.wav"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ service processes and /metrics
def service_endpoints(run_dirs: list[Path]) -> list[dict[str, Any]]:
    """One entry per service process: name, pid, metrics URL."""
    found = []
    for run_dir in run_dirs:
        for name, rec in read_state(run_dir).get("processes", {}).items():
            if name in SERVICE_NAMES:
                found.append({"name": name, "pid": rec["pid"], "url": f"http://127.0.0.1:{rec['http_port']}/metrics"})
    return found


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def metric_sum(samples: dict, name: str, **labels: str) -> float:
    return sum(v for (n, lab), v in samples.items() if n == name and all(dict(lab).get(k) == x for k, x in labels.items()))


def proc_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds user+system, current RSS MiB) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
        rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("VmRSS:")) / 1024
        return cpu, rss
    except (OSError, StopIteration, IndexError):
        return 0.0, 0.0


# ------------------------------------------------------------------ one run
async def _watch_submitted(bootstrap: str, wanted: set[str], arrived: dict[str, float], stop: asyncio.Event) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(Topic.EHR_SUBMITTED.value, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        while not stop.is_set() and not wanted <= arrived.keys():
            for records in (await consumer.getmany(timeout_ms=250)).values():
                for r in records:
                    key = (r.key or b"").decode()
                    if key in wanted and key not in arrived:
                        arrived[key] = r.timestamp / 1000  # the sink's publish time (CreateTime)
    finally:
        await consumer.stop()


async def _sample_lag(endpoints: list[dict[str, Any]], series: list[dict[str, Any]], t0: float,
                      stop: asyncio.Event) -> None:
    while not stop.is_set():
        point: dict[str, Any] = {"t": round(time.time() - t0, 2)}
        for ep in endpoints:
            try:
                samples = await asyncio.to_thread(scrape, ep["url"])
            except OSError:
                continue
            lag = metric_sum(samples, "scribestream_consumer_lag_records", service=ep["name"])
            point[ep["name"]] = point.get(ep["name"], 0) + lag
        series.append(point)
        await asyncio.sleep(1.0)


async def run_once(*, stack: StackInfo, endpoints: list[dict[str, Any]], audio: Audio, encounters: int,
                   concurrency: int, realtime: bool, timeout_s: float) -> dict[str, Any]:
    from scribestream.cli import _publish

    run_id = uuid.uuid4().hex[:8]
    ids = [f"cap-{run_id}-{i:03d}" for i in range(encounters)]
    closed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    lag_series: list[dict[str, Any]] = []
    before = {ep["url"]: scrape(ep["url"]) for ep in endpoints}
    cpu_before = {ep["pid"]: proc_usage(ep["pid"])[0] for ep in endpoints}
    rss_peak = {ep["pid"]: 0.0 for ep in endpoints}
    stop = asyncio.Event()
    t0 = time.time()
    watcher = asyncio.create_task(_watch_submitted(stack.bootstrap, set(ids), arrived, stop))
    sampler = asyncio.create_task(_sample_lag(endpoints, lag_series, t0, stop))

    async def rss_loop() -> None:
        while not stop.is_set():
            for ep in endpoints:
                rss_peak[ep["pid"]] = max(rss_peak[ep["pid"]], proc_usage(ep["pid"])[1])
            await asyncio.sleep(1.0)

    rss_task = asyncio.create_task(rss_loop())
    gate = asyncio.Semaphore(concurrency)

    async def one(encounter_id: str) -> None:
        async with gate:
            await _publish(audio, bootstrap=stack.bootstrap, encounter_id=encounter_id, realtime=realtime,
                           context=EncounterContext(), roles=None)
            closed[encounter_id] = time.time()  # the AudioEnded write was acknowledged

    await asyncio.gather(*(one(e) for e in ids))
    published_at = time.time()
    try:
        await asyncio.wait_for(watcher, timeout=timeout_s)
    except TimeoutError:
        pass
    stop.set()
    await asyncio.gather(sampler, rss_task, return_exceptions=True)
    finished = max(arrived.values(), default=time.time())

    after = {ep["url"]: scrape(ep["url"]) for ep in endpoints}
    per_service: dict[str, dict[str, float]] = {}
    for ep in endpoints:
        b, a = before[ep["url"]], after[ep["url"]]
        agg = per_service.setdefault(ep["name"], {"inputs": 0, "stage_s": 0, "audio_s": 0, "cpu_s": 0,
                                                   "rss_peak_mib": 0, "replicas": 0, "dlq": 0})
        name = ep["name"]
        agg["inputs"] += metric_sum(a, "scribestream_stage_seconds_count", service=name) - metric_sum(
            b, "scribestream_stage_seconds_count", service=name)
        agg["stage_s"] += metric_sum(a, "scribestream_stage_seconds_sum", service=name) - metric_sum(
            b, "scribestream_stage_seconds_sum", service=name)
        agg["audio_s"] += metric_sum(a, "scribestream_audio_seconds_total", service=name) - metric_sum(
            b, "scribestream_audio_seconds_total", service=name)
        agg["dlq"] += metric_sum(a, "scribestream_dlq_total", service=name) - metric_sum(
            b, "scribestream_dlq_total", service=name)
        agg["cpu_s"] += proc_usage(ep["pid"])[0] - cpu_before[ep["pid"]]
        agg["rss_peak_mib"] = max(agg["rss_peak_mib"], rss_peak[ep["pid"]])
        agg["replicas"] += 1
    wall = finished - t0
    e2e = sorted(arrived[e] - closed[e] for e in ids if e in arrived and e in closed)
    stages = {
        name: {
            "inputs": int(v["inputs"]),
            "inputs_per_s": round(v["inputs"] / wall, 2),
            "mean_ms_per_input": round(1000 * v["stage_s"] / v["inputs"], 2) if v["inputs"] else None,
            "busy_share": round(v["stage_s"] / (wall * v["replicas"]), 3),
            "cpu_s": round(v["cpu_s"], 1),
            "rss_peak_mib": round(v["rss_peak_mib"]),
            "replicas": int(v["replicas"]),
            "dlq": int(v["dlq"]),
        }
        for name, v in per_service.items()
    }
    asr = per_service.get("asr", {})
    return {
        "encounters": encounters,
        "concurrency": concurrency,
        "realtime": realtime,
        "audio_s_per_encounter": round(audio.seconds, 1),
        "submitted": len(arrived),
        "wall_s": round(wall, 1),
        "publish_s": round(published_at - t0, 1),
        "encounters_per_min": round(60 * len(arrived) / wall, 2),
        "audio_s_per_wall_s": round(len(arrived) * audio.seconds / wall, 2),
        "e2e_p50_s": round(statistics.median(e2e), 2) if e2e else None,
        "e2e_p95_s": round(_p95(e2e), 2) if e2e else None,
        "e2e_max_s": round(e2e[-1], 2) if e2e else None,
        "asr_rtf": round(asr["stage_s"] / asr["audio_s"], 3) if asr.get("audio_s") else None,
        # CPU seconds the ASR processes burnt per audio second: less sensitive to other load on the host;
        # cores / this = the real-time encounters the host's CPUs could carry at full use.
        "asr_cpu_per_audio_s": round(asr["cpu_s"] / asr["audio_s"], 3) if asr.get("audio_s") else None,
        "max_lag": {n: max((p.get(n, 0) for p in lag_series), default=0) for n in stages},
        "stages": stages,
        "lag_series": lag_series,
    }


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[-1]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 3.6), squeeze=False, sharey=False)
    for ax, res in zip(axes[0], results, strict=True):
        for name in res["stages"]:
            ax.plot([p["t"] for p in res["lag_series"]], [p.get(name, 0) for p in res["lag_series"]], label=name)
        mode = "real time" if res["realtime"] else "as fast as possible"
        ax.set_title(f"{res['label']}: {res['encounters']} enc, C={res['concurrency']}, {mode}", fontsize=9)
        ax.set_xlabel("s since first publish")
        ax.set_ylabel("consumer lag (records)")
        ax.legend(fontsize=7)
    fig.suptitle("scribestream consumer lag over time (sample encounter, tiny.en, 2 CPU cores)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def summarize(path: Path) -> str:
    """Markdown table of a results file: per label, medians over its runs."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            res = json.loads(line)
            groups.setdefault(res["label"], []).append(res)

    def med(rows: list[dict[str, Any]], key: str) -> str:
        values = [r[key] for r in rows if r.get(key) is not None]
        return f"{statistics.median(values):g}" if values else "-"

    head = ("| run | mode | encounters x audio | ASR replicas | runs | submitted | e2e p50 s | e2e p95 s | "
            "enc/min | audio s / wall s | ASR RTF (wall) | ASR CPU s / audio s | max ASR lag | load avg |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for label, rows in groups.items():
        r0 = rows[0]
        lines.append(
            f"| {label} | {'real time' if r0['realtime'] else 'as fast as possible'}, C={r0['concurrency']} | "
            f"{r0['encounters']} x {r0['audio_s_per_encounter']:g} s | {r0['asr_replicas']} | {len(rows)} | "
            f"{sum(r['submitted'] for r in rows)}/{sum(r['encounters'] for r in rows)} | {med(rows, 'e2e_p50_s')} | "
            f"{med(rows, 'e2e_p95_s')} | {med(rows, 'encounters_per_min')} | {med(rows, 'audio_s_per_wall_s')} | "
            f"{med(rows, 'asr_rtf')} | {med(rows, 'asr_cpu_per_audio_s')} | "
            f"{statistics.median(r['max_lag'].get('asr', 0) for r in rows):g} | {med(rows, 'load_avg_1m')} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encounters", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--realtime", action="store_true", help="pace each encounter's audio at real time")
    parser.add_argument("--seconds", type=float, default=0, help="cut the sample to this many seconds (0 = all)")
    parser.add_argument("--asr-replicas", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--runs", type=int, default=1, help="repeat the measurement on the same stack")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench" / "capacity.jsonl")
    parser.add_argument("--plot", type=Path, default=None, help="PNG: lag over time of each run")
    parser.add_argument("--summarize", type=Path, default=None, help="print a markdown table of a results file")
    args = parser.parse_args(argv)
    if args.summarize:
        print(summarize(args.summarize))
        return 0

    audio = load_audio(SAMPLE)
    if args.seconds:
        audio = replace(audio, pcm=audio.pcm[: int(args.seconds * 16_000) * audio.frame_bytes])
    root = Path(tempfile.mkdtemp(prefix="scribestream-capacity-"))
    run_dirs = [root / "main"] + [root / f"asr-{i}" for i in range(2, args.asr_replicas + 1)]
    stack = start_stack(run_dir=run_dirs[0], partitions=args.partitions)
    env = {"SCRIBESTREAM_OUTBOX_DIR": str(root / "outbox"), "SCRIBESTREAM_LOG_LEVEL": "WARNING"}
    results = []
    try:
        start_services(run_dir=run_dirs[0], stack=stack, extra_env=env, ready_timeout_s=240)
        keyring = run_dirs[0] / "keyring.json"
        if keyring.exists():  # the dev key ring the local stack lends: replicas and the publisher share it
            env["SCRIBESTREAM_KEYRING_FILE"] = str(keyring)
            os.environ["SCRIBESTREAM_KEYRING_FILE"] = str(keyring)
        for extra in run_dirs[1:]:
            start_services(run_dir=extra, stack=stack, names=["asr"], extra_env=env, ready_timeout_s=240)
        endpoints = service_endpoints(run_dirs)
        time.sleep(3)  # let the consumer groups settle after the last join
        for i in range(args.runs):
            res = asyncio.run(run_once(stack=stack, endpoints=endpoints, audio=audio, encounters=args.encounters,
                                       concurrency=args.concurrency, realtime=args.realtime, timeout_s=args.timeout))
            res.update(label=args.label or f"asr x{args.asr_replicas}", asr_replicas=args.asr_replicas, run=i + 1,
                       partitions=args.partitions, cpu_count=os.cpu_count(), load_avg_1m=os.getloadavg()[0])
            results.append(res)
            summary = {k: v for k, v in res.items() if k != "lag_series"}
            print(json.dumps(summary), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with args.out.open("a") as fh:
                fh.write(json.dumps(res) + "\n")
    finally:
        for run_dir in reversed(run_dirs):
            stop_services(run_dir)
        stop_stack(run_dirs[0])
    if args.plot and results:
        plot(results, args.plot)
    return 0 if all(r["submitted"] == r["encounters"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
