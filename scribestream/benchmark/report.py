"""The benchmark's figures from recorded timings (pure functions; the rich table and the PNG at the end).

Timestamps are epoch seconds. Per encounter: ``closed`` (its AudioEnded write was acknowledged), then
the Kafka timestamps of its TranscriptClosed (asr done), its last ``soap.draft`` record (the final note),
its ``soap.coded`` and its ``ehr.submitted`` records. A stage's time is the gap between the record it
consumes and the record it publishes; the end-to-end time is ``submitted - closed``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# (stage, from mark, to mark): what each service adds after the encounter closed.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("asr", "closed", "transcribed"),
    ("notegen", "transcribed", "drafted"),
    ("coding", "drafted", "coded"),
    ("ehr_sink", "coded", "submitted"),
)
GROWTH_TOLERANCE = 0.05  # lag growing by more than 5 % of the input rate while input flows = not keeping up


@dataclass(frozen=True)
class EncounterTimes:
    encounter_id: str
    closed: float | None = None
    transcribed: float | None = None
    drafted: float | None = None
    coded: float | None = None
    submitted: float | None = None

    @property
    def e2e(self) -> float | None:
        if self.closed is None or self.submitted is None:
            return None
        return self.submitted - self.closed


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _stats(values: Sequence[float]) -> dict[str, float | int | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {"n": len(values), "p50": r(percentile(values, 50)), "p95": r(percentile(values, 95)),
            "max": r(max(values, default=None))}


def latency_summary(times: Sequence[EncounterTimes]) -> dict[str, Any]:
    """End-to-end and per-stage p50/p95/max over the encounters that reached each mark."""
    e2e = [t.e2e for t in times if t.e2e is not None]
    stages = {}
    for stage, start, end in STAGES:
        gaps = [getattr(t, end) - getattr(t, start) for t in times
                if getattr(t, start) is not None and getattr(t, end) is not None]
        stages[stage] = _stats(gaps)
    return {"e2e_s": _stats(e2e), "stage_after_close_s": stages}


def throughput(*, times: Sequence[EncounterTimes], audio_seconds: Mapping[str, float], started: float) -> dict[str, Any]:
    """Encounters and audio seconds submitted per unit of wall time, from the first publish to the last
    submission."""
    done = [t for t in times if t.submitted is not None]
    if not done:
        return {"submitted": 0, "wall_s": None, "encounters_per_min": 0.0, "audio_s_per_wall_s": 0.0}
    wall = max(t.submitted for t in done) - started  # type: ignore[type-var]
    audio = sum(audio_seconds[t.encounter_id] for t in done)
    return {"submitted": len(done), "wall_s": round(wall, 1),
            "encounters_per_min": round(60 * len(done) / wall, 3) if wall > 0 else None,
            "audio_s_per_wall_s": round(audio / wall, 3) if wall > 0 else None}


def _slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over t."""
    if len(points) < 2:
        return 0.0
    mt = sum(t for t, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((t - mt) ** 2 for t, _ in points)
    return 0.0 if var == 0 else sum((t - mt) * (y - my) for t, y in points) / var


def lag_trend(series: Sequence[Mapping[str, Any]], *, group: str, live_from: float, live_to: float) -> dict[str, Any]:
    """How one consumer group's lag behaved. ``series`` points: {"t": s, "lag": {group: records},
    "end": {group: input records so far}}; ``live_from``/``live_to``: the window in which input arrived
    (first publish .. last close, same clock as ``t``).

    Lag that grows over the second half of the live window by more than ``GROWTH_TOLERANCE`` of the input
    rate is "growing": the consumer takes less than it is given, so under sustained load the lag (and the
    end-to-end time) grows without bound. ``drain_s``: from the last close until the lag was 0 again."""
    pts = [(p["t"], p["lag"].get(group, 0), p["end"].get(group, 0)) for p in series if group in p.get("lag", {})]
    if not pts:
        return {"max": None, "slope_per_s": None, "input_per_s": None, "verdict": "no samples", "drain_s": None}
    half = live_from + (live_to - live_from) / 2
    window = [(t, lag) for t, lag, _ in pts if half <= t <= live_to]
    slope = _slope(window)
    inputs = [(t, end) for t, _, end in pts if live_from <= t <= live_to]
    rate = _slope(inputs)
    if len(window) < 3 or live_to - live_from <= 0:
        verdict = "too short to tell"
    elif slope > GROWTH_TOLERANCE * max(rate, 1e-9) and slope > 0.05:
        verdict = "growing"
    else:
        verdict = "bounded"
    after = [(t, lag) for t, lag, _ in pts if t >= live_to]
    drained = next((t for t, lag in after if lag == 0), None)
    return {"max": max(lag for _, lag, _ in pts), "at_last_close": window[-1][1] if window else None,
            "slope_per_s": round(slope, 3), "input_per_s": round(rate, 3),
            "kept_up_share": round(1 - slope / rate, 3) if rate > 0 else None,
            "verdict": verdict, "drain_s": None if drained is None else round(drained - live_to, 1)}


# ------------------------------------------------------------------ presentation
def render_table(result: Mapping[str, Any]) -> Any:
    """A rich renderable of one result: headline figures, per-stage latency, lag, resources."""
    from rich.console import Group
    from rich.table import Table

    lat, thr = result["latency"], result["throughput"]
    head = Table(title=f"scribestream bench pipeline: {result['label']}", show_header=False)
    head.add_column("figure")
    head.add_column("value")
    cfg = result["config"]
    head.add_row("encounters x audio", f"{cfg['encounters']} x {result['audio_s_per_encounter']:g} s "
                 f"({'mono' if cfg['mono'] else 'stereo'}), C={cfg['concurrency']}, "
                 f"{'real time' if cfg['realtime'] else 'as fast as possible'}")
    head.add_row("submitted", f"{thr['submitted']}/{cfg['encounters']}")
    head.add_row("e2e p50 / p95 / max s", " / ".join(_fmt(lat["e2e_s"][k]) for k in ("p50", "p95", "max")))
    head.add_row("throughput", f"{_fmt(thr['encounters_per_min'])} enc/min, {_fmt(thr['audio_s_per_wall_s'])} audio s/wall s")
    asr = result.get("stage_metrics", {}).get("asr", {})
    head.add_row("ASR real-time factor (wall) / CPU s per audio s",
                 f"{_fmt(asr.get('rtf'))} / {_fmt(result.get('asr_cpu_s_per_audio_s'))}")
    head.add_row("load average 1 min (start / mean / max)",
                 " / ".join(_fmt(result["load_avg_1m"][k]) for k in ("start", "mean", "max")))
    head.add_row("commit", f"{result['commit']}{' (+ uncommitted service changes)' if result.get('dirty_files') else ''}")

    stages = Table(title="after the encounter closed, per stage (s)")
    for col in ("stage", "n", "p50", "p95", "max"):
        stages.add_column(col, justify="right" if col != "stage" else "left")
    for name, s in {**lat["stage_after_close_s"], "end to end": lat["e2e_s"]}.items():
        stages.add_row(name, str(s["n"]), _fmt(s["p50"]), _fmt(s["p95"]), _fmt(s["max"]))

    lag = Table(title="consumer lag (records)")
    for col in ("group", "max", "at last close", "slope /s", "input /s", "verdict", "drain s"):
        lag.add_column(col)
    for name, t in result["lag"].items():
        lag.add_row(name, _fmt(t["max"]), _fmt(t.get("at_last_close")), _fmt(t["slope_per_s"]),
                    _fmt(t["input_per_s"]), t["verdict"], _fmt(t["drain_s"]))

    res = Table(title="processes")
    for col in ("process", "replicas", "CPU s", "mean cores", "peak RSS MiB", "ms/input", "busy"):
        res.add_column(col)
    for name, r in result["resources"].items():
        st = result.get("stage_metrics", {}).get(name, {})
        res.add_row(name, str(r["processes"]), _fmt(r["cpu_s"]), _fmt(r["mean_cores"]), _fmt(r["peak_rss_mib"]),
                    _fmt(st.get("mean_ms_per_input")), _fmt(st.get("busy_share")))
    return Group(head, stages, lag, res)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def plot(result: Mapping[str, Any], path: Path) -> None:
    """Consumer lag per group and CPU per service process over time, with the live window shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series, cpu = result["lag_series"], result["resource_series"]
    names = list(dict.fromkeys([*result["lag"], *result["resources"]]))
    color = {name: f"C{i}" for i, name in enumerate(names)}  # one colour per service in both panels
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for group in result["lag"]:
        ax.plot([p["t"] for p in series], [p["lag"].get(group, 0) for p in series], label=group, color=color[group])
    for a in (ax, ax2):
        a.axvspan(result["live_window_s"][0], result["live_window_s"][1], color="0.92", label=None)
    ax.set_ylabel("consumer-group lag (records)")
    ax.legend(fontsize=8)
    for name in result["resources"]:
        ax2.plot([p["t"] for p in cpu], [p["cpu_cores"].get(name, 0) for p in cpu], label=name, color=color[name])
    ax2.set_ylabel("CPU (cores)")
    ax2.set_xlabel("seconds since first publish (shaded: audio arriving)")
    ax2.legend(fontsize=8, ncol=3)
    cfg = result["config"]
    fig.suptitle(f"{cfg['encounters']} x {result['audio_s_per_encounter']:g} s encounters, C={cfg['concurrency']}, "
                 f"{'real time' if cfg['realtime'] else 'as fast as possible'}, ASR x{cfg['asr_replicas']}; "
                 f"load avg {_fmt(result['load_avg_1m']['mean'])} on {result['cpu_count']} CPUs\n"
                 "audio: PriMock57 transcripts (CC BY 4.0) synthesized with espeak-ng", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


SUMMARY_COLUMNS = ("run", "mode", "encounters x audio", "ASR replicas", "submitted", "e2e p50 s", "e2e p95 s",
                   "e2e max s", "ASR after close p50 s", "enc/min", "audio s / wall s", "ASR CPU s / audio s",
                   "ASR lag (max; slope / input per s)", "ASR lag verdict", "load avg 1 min mean (max)", "commit")


def markdown_summary(results: Sequence[Mapping[str, Any]]) -> str:
    """One markdown table row per result (``result.json`` of ``bench pipeline``)."""
    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    for r in results:
        cfg, lat, thr, lag = r["config"], r["latency"], r["throughput"], r["lag"].get("asr", {})
        cells = [
            r["label"],
            f"{'real time' if cfg['realtime'] else 'as fast as possible'}, C={cfg['concurrency']}",
            f"{cfg['encounters']} x {r['audio_s_per_encounter']:g} s {'mono' if cfg['mono'] else 'stereo'}",
            str(cfg["asr_replicas"]),
            f"{thr['submitted']}/{cfg['encounters']}",
            _fmt(lat["e2e_s"]["p50"]), _fmt(lat["e2e_s"]["p95"]), _fmt(lat["e2e_s"]["max"]),
            _fmt(lat["stage_after_close_s"]["asr"]["p50"]),
            _fmt(thr["encounters_per_min"]), _fmt(thr["audio_s_per_wall_s"]), _fmt(r.get("asr_cpu_s_per_audio_s")),
            f"{_fmt(lag.get('max'))}; {_fmt(lag.get('slope_per_s'))} / {_fmt(lag.get('input_per_s'))}",
            lag.get("verdict", "-"),
            f"{_fmt(r['load_avg_1m']['mean'])} ({_fmt(r['load_avg_1m']['max'])})",
            r.get("commit", "-") + (" +dirty" if r.get("dirty_files") else ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
