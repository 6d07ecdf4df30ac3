"""``scribestream bench``: benchmarks of the distributed pipeline. Heavy imports happen inside the
commands, so ``--help`` stays fast."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "primock57"


class VisitEnding(str, Enum):
    """``--ending`` choices: the values of ``encounters.Ending`` (not imported here, so ``--help`` stays fast)."""

    pause = "pause"
    cut = "cut"


app = typer.Typer(no_args_is_help=True, help="Capacity benchmarks of the distributed pipeline on this machine.")
console = Console()
err_console = Console(stderr=True)


@app.command("pipeline")
def pipeline(
    encounters: int = typer.Option(4, "--encounters", min=1, help="encounters to publish"),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="encounters streaming at once"),
    realtime: bool = typer.Option(False, "--realtime", help="pace each encounter's audio at real time (live visits)"),
    minutes: float = typer.Option(10.0, "--minutes", min=0.05, help="length of each encounter (consultations looped or cut)"),
    ending: VisitEnding = typer.Option(VisitEnding.pause, "--ending",
                                       help="pause: each visit ends after its last complete utterance within --minutes and 0.8 s "
                                       "of silence; cut: at --minutes exactly, usually mid-utterance (worst case)"),
    mono: bool = typer.Option(False, "--mono", help="one mixed channel (diarization) instead of one channel per speaker"),
    replicas: int = typer.Option(1, "--replicas", min=1, help="processes per service in one consumer group"),
    asr_replicas: Optional[int] = typer.Option(None, "--asr-replicas", min=1, help="ASR processes (default: --replicas)"),
    partitions: int = typer.Option(6, "--partitions", min=1, help="partitions per topic (private stack only)"),
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="a PriMock57-format folder (transcripts/*_{doctor,patient}.TextGrid)"),
    stack_dir: Optional[Path] = typer.Option(None, "--stack-dir", help="use the stack running there (e.g. .run after `make up`) instead of starting one"),
    drain_timeout: float = typer.Option(900.0, "--drain-timeout", help="seconds to wait for ehr.submitted after the last close"),
    sample_every: float = typer.Option(2.0, "--sample-every", help="seconds between lag / CPU samples"),
    cache_dir: Path = typer.Option(REPO / ".cache" / "bench", "--cache-dir", help="synthesized encounters"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder for result.json and lag.png (default out/bench/pipeline-<time>)"),
    label: str = typer.Option("", "--label"),
) -> None:
    """Stream N synthesized PriMock57 encounters through Kafka + Redis + the four services and report
    throughput, p50/p95 from encounter end to ehr.submitted, per-stage time, consumer lag over time (PNG)
    and CPU / memory per service."""
    from scribestream.benchmark.encounters import DataError, build_encounters
    from scribestream.benchmark.pipeline import BenchConfig, run_benchmark
    from scribestream.benchmark.report import plot, render_table
    from scribestream.devstack import StackError

    config = BenchConfig(encounters=encounters, concurrency=concurrency, realtime=realtime, seconds=minutes * 60,
                         mono=mono, replicas=replicas, asr_replicas=asr_replicas, partitions=partitions,
                         stack_dir=stack_dir, drain_timeout_s=drain_timeout, sample_every_s=sample_every, label=label,
                         ending=ending.value)
    out = out or REPO / "out" / "bench" / f"pipeline-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        with err_console.status("synthesizing encounters (cached after the first run)"):
            audio = build_encounters(data=data, count=encounters, seconds=config.seconds, mono=mono, cache_dir=cache_dir,
                                     ending=config.ending)
        result = run_benchmark(config, encounters=audio, on_progress=lambda msg: err_console.print(msg, highlight=False))
    except (DataError, StackError) as err:
        err_console.print(f"error: {err}", highlight=False)
        raise typer.Exit(1) from None
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, indent=2))
    console.print(render_table(result))
    try:
        plot(result, out / "lag.png")
    except ImportError:  # matplotlib is a test/bench extra, not a runtime dependency of the services
        console.print("no lag.png: install matplotlib (pip install -e '.[test]')", highlight=False)
    console.print(f"wrote {out} (result.json, lag.png)", highlight=False)
    if result["throughput"]["submitted"] < encounters:
        raise typer.Exit(1)


@app.command("summary")
def summary(results: list[Path] = typer.Argument(..., help="result.json files (or the folders holding them)")) -> None:
    """Print a markdown table of earlier `bench pipeline` results, one row each."""
    from scribestream.benchmark.report import markdown_summary

    files = [p / "result.json" if p.is_dir() else p for p in results]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        err_console.print(f"error: no result file: {', '.join(missing)}", highlight=False)
        raise typer.Exit(1)
    print(markdown_summary([json.loads(p.read_text()) for p in files]))
