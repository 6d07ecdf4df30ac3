"""Real-time streaming: N concurrent encounters paced at real time through one ASR stage and one model.

Each encounter sends a 200 ms chunk every 200 ms of wall-clock time (as a live visit does) and handles its
own chunks in order (as one Kafka partition does); all share one faster-whisper model. Measured:
  * latency: wall time from the end of an utterance (decoder end time of the turn) to its turn event;
  * lag: how late each chunk's handling finishes after the chunk was due; "sustained" means the lag does not
    grow over the run (p95 lag of the last third no worse than the first third + 1 s) and ends small.
Encounters start ``--stagger`` seconds apart (a clinic's visits do not all begin on the same 200 ms), and
decodes go through the stage's DecodeGate (one at a time, oldest audio first; drafts only when idle).
``--plot`` writes lag over time (one line per encounter count) as a PNG.

``--anchor`` also measures the issue's CPU anchor on the very audio each run streams: raw faster-whisper
(beam 5, int8, VAD on, ``--anchor-threads`` threads) transcribing the clips offline, right before the run, in the
same process. CPU time on a shared VM drifts by tens of percent over minutes, so the streaming/offline ratio is
taken per run from the pair, and ``--repeats`` pairs give its median.

Usage (after ``bench/asr_data.py``):
  .venv/bin/python bench/asr_realtime.py --encounters 1 6 8 --seconds 120 [--model tiny.en] \
      [--plot docs/benchmarks/asr_realtime_lag.png]
Audio: PriMock57 consultations synthesized by bench/asr_data.py (PriMock57, Papadopoulos Korfiatis et al.,
ACL 2022, CC BY 4.0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


async def encounter(stage, audio, *, name: str, chunk_ms: int, t0: float, t_run: float, out: dict) -> None:
    from shared.audio import chunk_pcm
    from shared.contracts import (
        SAMPLE_RATE,
        AudioChunkReceived,
        AudioEnded,
        PartialTranscribed,
        Role,
        TurnTranscribed,
    )

    roles = {0: Role.CLINICIAN, 1: Role.PATIENT} if audio.channels == 2 else None
    seq = -1
    for seq, pcm in enumerate(chunk_pcm(audio, ms=chunk_ms)):
        due = t0 + (seq + 1) * chunk_ms / 1000  # the chunk exists once its audio has been spoken
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        chunk = AudioChunkReceived(event_id=f"{name}-{seq}", encounter_id=name, seq=seq, channels=audio.channels,
                                   channel_roles=roles if seq == 0 else None, pcm=pcm)
        events = await stage.handle(chunk)
        now = time.perf_counter()
        out["lag"].append(now - due)
        out["lag_at"].append(due - t_run)
        for e in events:
            if isinstance(e, TurnTranscribed):
                out["latency"].append(now - (t0 + e.turn.end))
            elif isinstance(e, PartialTranscribed):
                out["partials"] += 1
    await stage.handle(AudioEnded(event_id=f"{name}-end", encounter_id=name, chunk_count=seq + 1))
    out["final_lag"] = out["lag"][-1] if out["lag"] else 0.0
    _ = SAMPLE_RATE


def clip(audio, seconds: float):
    from shared.audio import Audio

    return Audio(pcm=audio.pcm[: int(seconds * 16000) * audio.frame_bytes], channels=audio.channels)


async def run(n: int, *, engine, audios, seconds: float, chunk_ms: int, stagger: float, partials: bool,
              decoders: int = 1, early_pause_s: float | None = None, min_pause_s: float | None = None) -> dict:
    from services.asr.config import AsrSettings
    from services.asr.domain import SegmenterConfig
    from services.asr.scheduler import DecodeGate
    from services.asr.stage import AsrStage
    from shared.state import MemoryStateStore

    config = SegmenterConfig(partial_interval_s=AsrSettings.model_fields["partial_interval_s"].default).overridden(
        early_pause_s=early_pause_s, min_pause_s=min_pause_s
    )
    stage = AsrStage(state=MemoryStateStore(), transcriber=engine, model_name=engine.model_name, config=config,
                     drafter=engine.drafter() if partials else None, gate=DecodeGate(slots=decoders))
    outs = [{"lag": [], "lag_at": [], "latency": [], "partials": 0} for _ in range(n)]
    t_run = time.perf_counter() + 0.5
    cpu = time.process_time()
    await asyncio.gather(*(
        encounter(stage, clip(audios[i % len(audios)], seconds), name=f"rt-{n}-{i}", chunk_ms=chunk_ms,
                  t0=t_run + i * stagger, t_run=t_run, out=outs[i])
        for i in range(n)
    ))
    cpu_s = time.process_time() - cpu
    lat = [x for o in outs for x in o["latency"]]
    lag = [x for o in outs for x in o["lag"]]
    at = [x for o in outs for x in o["lag_at"]]
    final = max(o["final_lag"] for o in outs)
    # Growth: compare the lag of the first and the last third of the time all encounters were live.
    live_from, live_to = (n - 1) * stagger, seconds
    third = (live_to - live_from) / 3
    early = [g for g, a in zip(lag, at) if live_from <= a < live_from + third]
    late = [g for g, a in zip(lag, at) if a >= live_to - third]
    early_p95, late_p95 = _q(early, 0.95), _q(late, 0.95)
    return {
        "encounters": n,
        "audio_s_each": seconds,
        "stagger_s": stagger,
        "turns": len(lat),
        "partials": sum(o["partials"] for o in outs),
        "latency_median_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p90_s": _q(lat, 0.9),
        "lag_p50_s": _q(lag, 0.5),
        "lag_p95_s": _q(lag, 0.95),
        "lag_max_s": round(max(lag), 3),
        "lag_p95_first_third_s": early_p95,
        "lag_p95_last_third_s": late_p95,
        "final_lag_max_s": round(final, 3),
        "cpu_s_per_audio_s": round(cpu_s / (seconds * n), 4),
        "cpu_share_of_2_cores": round(cpu_s / (seconds + (n - 1) * stagger) / 2, 3),
        "drafts_skipped": stage.gate.drafts_skipped,
        "early_pause_s": config.early_pause_s,
        "min_pause_s": config.min_pause_s,
        "speculative_decodes": dict(stage.speculation),
        "sustained": final < 3.0 and (late_p95 or 0.0) <= (early_p95 or 0.0) + 1.0,
        "series": {"at": [round(a, 2) for a in at], "lag": [round(g, 3) for g in lag]},
    }


def anchor_cpu(model, audios) -> float:
    """CPU s per audio s of the offline anchor transcribing ``audios`` (the clips a run streams)."""
    from scribestream.evals.asr import offline

    cpu = sum(offline(audio, model).cpu_s for audio in audios)
    return cpu / sum(audio.seconds for audio in audios)


def _q(values: list[float], q: float) -> float | None:
    return round(sorted(values)[int(q * (len(values) - 1))], 3) if values else None


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for r in results:
        pairs = sorted(zip(r["series"]["at"], r["series"]["lag"]))
        # Worst lag per second of the run: one line per encounter count.
        worst: dict[int, float] = {}
        for a, g in pairs:
            worst[int(a)] = max(worst.get(int(a), float("-inf")), g)
        xs = sorted(worst)
        ax.plot(xs, [worst[x] for x in xs], label=f"{r['encounters']} encounters")
    ax.set_xlabel("time since the first encounter started (s)")
    ax.set_ylabel("worst chunk lag in that second (s)")
    ax.set_title("ASR real-time lag, tiny.en int8, shared 2-core VM")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    from services.asr.config import (
        DEFAULT_ENCODER_MIN_FRAMES,
        DEFAULT_ENCODER_PAD_FRAMES,
        DEFAULT_ENCODER_TAIL_RATIO,
        AsrSettings,
    )

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=REPO / ".cache" / "asr" / "primock_stereo.jsonl")
    parser.add_argument("--encounters", type=int, nargs="+", default=[1, 6])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--model", default="tiny.en")
    # Defaults are the service's: 2 decoders, the cores split between them (SCRIBESTREAM_DECODERS, _CPU_THREADS).
    parser.add_argument("--threads", type=int, default=AsrSettings.model_fields["cpu_threads"].default,
                        help="CTranslate2 threads per decoder; 0 = the cores split between the decoders")
    parser.add_argument("--decoders", type=int, default=AsrSettings.model_fields["decoders"].default,
                        help="concurrent decodes (CTranslate2 workers)")
    parser.add_argument("--chunk-ms", type=int, default=200)
    parser.add_argument("--no-correction", action="store_true")
    parser.add_argument("--stagger", type=float, default=2.0, help="seconds between encounter starts")
    parser.add_argument("--partials", action="store_true", help="publish live drafts (transcript.partials)")
    parser.add_argument("--encoder-pad-frames", type=int, default=DEFAULT_ENCODER_PAD_FRAMES,
                        help="0 = full 30 s encoder window (default: the service's)")
    parser.add_argument("--encoder-min-frames", type=int, default=DEFAULT_ENCODER_MIN_FRAMES,
                        help="shortest fitted encoder window (default: the service's)")
    parser.add_argument("--encoder-tail-ratio", type=float, default=DEFAULT_ENCODER_TAIL_RATIO,
                        help="padding of at least this share of the utterance (default: the service's)")
    parser.add_argument("--early-pause", type=float, default=None,
                        help="pause (s) that starts a speculative decode; 0 = off (default: the service's)")
    parser.add_argument("--min-pause", type=float, default=None,
                        help="pause (s) that closes an utterance (default: the service's)")
    parser.add_argument("--plot", type=Path, help="write lag over time as a PNG here")
    parser.add_argument("--anchor", action="store_true",
                        help="pair each run with the offline anchor on the same clips (CPU ratio)")
    parser.add_argument("--anchor-threads", type=int, default=2, help="threads of the offline anchor (issue: 2)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per encounter count (medians reported)")
    args = parser.parse_args()

    from services.asr.engine import FasterWhisperTranscriber
    from shared.audio import load_audio

    audios = [load_audio(json.loads(line)["audio"]) for line in args.manifest.read_text().splitlines() if line]
    engine = FasterWhisperTranscriber(model_path=args.model, cpu_threads=args.threads, decoders=args.decoders,
                                      correction=not args.no_correction, encoder_pad_frames=args.encoder_pad_frames,
                                      encoder_min_frames=args.encoder_min_frames,
                                      encoder_tail_ratio=args.encoder_tail_ratio)
    engine.load()
    anchor = None
    if args.anchor:
        from scribestream.evals.asr import anchor_model

        anchor, _ = anchor_model(args.model, threads=args.anchor_threads)
    results = []
    for n in args.encounters:
        runs = []
        for _ in range(args.repeats):
            offline_cpu = anchor_cpu(anchor, [clip(audios[i % len(audios)], args.seconds) for i in range(n)]) \
                if anchor is not None else None
            result = asyncio.run(run(n, engine=engine, audios=audios, seconds=args.seconds, chunk_ms=args.chunk_ms,
                                     stagger=args.stagger, partials=args.partials, decoders=args.decoders,
                                     early_pause_s=args.early_pause, min_pause_s=args.min_pause))
            if offline_cpu is not None:
                result["anchor_cpu_s_per_audio_s"] = round(offline_cpu, 4)
                result["cpu_vs_anchor"] = round(result["cpu_s_per_audio_s"] / offline_cpu, 3)
            runs.append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "series"}), flush=True)
        if args.repeats > 1:
            print(json.dumps({"encounters": n, "runs": len(runs), **{
                f"median_{key}": round(statistics.median(r[key] for r in runs), 4)
                for key in ("latency_median_s", "cpu_s_per_audio_s", "anchor_cpu_s_per_audio_s", "cpu_vs_anchor")
                if all(r.get(key) is not None for r in runs)
            }}), flush=True)
        results.append(runs[-1])
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
