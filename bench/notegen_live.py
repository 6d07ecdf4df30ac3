"""Cost of live drafts: stream each ACI-Bench dialogue turn by turn through the notegen stage (encrypted in-memory
state, grounded writer) with live drafts on and off, and report drafts per encounter and CPU seconds.

    .venv/bin/python bench/notegen_live.py --aci-csv ../shared/data/aci-bench/valid.csv [--min-turns 4 --min-seconds 20]

Dialogues carry no timestamps: each turn is given 6 s, roughly the pace of the ACI-Bench visits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from services.notegen.evaluation import dialogue_turns, read_encounters
from services.notegen.live import LivePolicy
from services.notegen.stage import NotegenStage
from shared.contracts import TranscriptClosed, TurnTranscribed, derive_id
from shared.crypto import KeyRing
from shared.state import EncryptingStateStore, MemoryStateStore


async def one(dialogue: str, *, key: str, policy: LivePolicy | None) -> tuple[int, float, int]:
    stage = NotegenStage(state=EncryptingStateStore(MemoryStateStore(), keyring=KeyRing.generate("b")), live=policy)
    turns = [t.model_copy(update={"start": i * 6.0, "end": i * 6.0 + 5.5}) for i, t in enumerate(dialogue_turns(dialogue))]
    started = time.process_time()
    drafts = 0
    for i, turn in enumerate(turns):
        drafts += len(await stage.handle(TurnTranscribed(event_id=derive_id(key, i), encounter_id=key, turn=turn)))
    await stage.handle(TranscriptClosed(event_id=derive_id(key, "c"), encounter_id=key, turn_count=len(turns),
                                        audio_seconds=len(turns) * 6.0))
    return drafts, time.process_time() - started, len(turns)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aci-csv", type=Path, required=True)
    parser.add_argument("--min-turns", type=int, default=4)
    parser.add_argument("--min-seconds", type=float, default=20.0)
    args = parser.parse_args()
    encounters = read_encounters(args.aci_csv)
    policy = LivePolicy(min_new_turns=args.min_turns, min_new_seconds=args.min_seconds)
    on, off, drafts, turns = [], [], [], []
    for n, enc in enumerate(encounters):
        d, cpu_on, t = await one(enc.dialogue, key=f"on-{n}", policy=policy)
        _, cpu_off, _ = await one(enc.dialogue, key=f"off-{n}", policy=None)
        on.append(cpu_on), off.append(cpu_off), drafts.append(d), turns.append(t)
    print(json.dumps({
        "encounters": len(encounters), "median_turns": statistics.median(turns),
        "median_live_drafts": statistics.median(drafts), "max_live_drafts": max(drafts),
        "median_cpu_s_live_on": round(statistics.median(on), 3), "median_cpu_s_live_off": round(statistics.median(off), 3),
        "max_cpu_s_live_on": round(max(on), 3),
    }, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
