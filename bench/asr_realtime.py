"""Real-time streaming: N concurrent encounters paced at real time through one ASR stage and one model.

Each encounter sends a 200 ms chunk every 200 ms of wall-clock time (as a live visit does) and handles its
own chunks in order (as one Kafka partition does); all share one faster-whisper model. Measured:
  * latency: wall time from the end of an utterance (decoder end time of the turn) to its turn event;
  * lag: how late each chunk's handling finishes after the chunk was due; "sustained" means the lag at the
    end of the run is no worse than a few seconds, i.e. the worker did not fall behind.

Usage (after ``bench/asr_data.py``):
  .venv/bin/python bench/asr_realtime.py --encounters 1 6 8 --seconds 120 [--model tiny.en]
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


async def encounter(stage, audio, *, name: str, chunk_ms: int, t0: float, out: dict) -> None:
    from shared.audio import chunk_pcm
    from shared.contracts import (
        SAMPLE_RATE,
        AudioChunkReceived,
        AudioEnded,
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
        for e in events:
            if isinstance(e, TurnTranscribed):
                out["latency"].append(now - (t0 + e.turn.end))
    await stage.handle(AudioEnded(event_id=f"{name}-end", encounter_id=name, chunk_count=seq + 1))
    out["final_lag"] = out["lag"][-1] if out["lag"] else 0.0
    _ = SAMPLE_RATE


def clip(audio, seconds: float):
    from shared.audio import Audio

    return Audio(pcm=audio.pcm[: int(seconds * 16000) * audio.frame_bytes], channels=audio.channels)


async def run(n: int, *, engine, audios, seconds: float, chunk_ms: int) -> dict:
    from services.asr.stage import AsrStage
    from shared.state import MemoryStateStore

    stage = AsrStage(state=MemoryStateStore(), transcriber=engine, model_name=engine.model_name)
    outs = [{"lag": [], "latency": []} for _ in range(n)]
    t0 = time.perf_counter() + 0.5
    cpu = time.process_time()
    await asyncio.gather(*(
        encounter(stage, clip(audios[i % len(audios)], seconds), name=f"rt-{n}-{i}", chunk_ms=chunk_ms, t0=t0,
                  out=outs[i])
        for i in range(n)
    ))
    cpu_s = time.process_time() - cpu
    lat = [x for o in outs for x in o["latency"]]
    lag = [x for o in outs for x in o["lag"]]
    final = max(o["final_lag"] for o in outs)
    return {
        "encounters": n,
        "audio_s_each": seconds,
        "turns": len(lat),
        "latency_median_s": round(statistics.median(lat), 3) if lat else None,
        "latency_p90_s": round(sorted(lat)[int(0.9 * (len(lat) - 1))], 3) if lat else None,
        "lag_p95_s": round(sorted(lag)[int(0.95 * (len(lag) - 1))], 3),
        "final_lag_max_s": round(final, 3),
        "cpu_s_per_audio_s": round(cpu_s / (seconds * n), 4),
        "sustained": final < 3.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, default=REPO / ".cache" / "asr" / "primock_stereo.jsonl")
    parser.add_argument("--encounters", type=int, nargs="+", default=[1, 6])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-ms", type=int, default=200)
    parser.add_argument("--no-correction", action="store_true")
    args = parser.parse_args()

    from services.asr.engine import FasterWhisperTranscriber
    from shared.audio import load_audio

    audios = [load_audio(json.loads(line)["audio"]) for line in args.manifest.read_text().splitlines() if line]
    engine = FasterWhisperTranscriber(model_path=args.model, cpu_threads=args.threads,
                                      correction=not args.no_correction)
    engine.load()
    for n in args.encounters:
        print(json.dumps(asyncio.run(run(n, engine=engine, audios=audios, seconds=args.seconds,
                                         chunk_ms=args.chunk_ms))), flush=True)


if __name__ == "__main__":
    main()
