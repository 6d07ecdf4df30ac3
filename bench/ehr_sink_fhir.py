"""EHR sink against a real HAPI FHIR R4 JPA server (infra/fhir, in-memory H2, loopback):

1. submission latency (p50/p95) and throughput with N concurrent encounters;
2. crash safety: a sink process is SIGKILLed mid-run 20 times while it files notes with at-least-once
   semantics (it "commits" an encounter only after the server answered, and a restart resubmits from the
   first uncommitted one, as a Kafka consumer does); afterwards every note must be on the server exactly
   once (zero duplicates, zero lost).

    .venv/bin/python bench/ehr_sink_fhir.py [--notes 40] [--kills 20] [--crash-notes 80] [--concurrency 1,4,8]

Synthetic notes (tests/unit/test_ehr_sink_fhir.make_coded: 7 statements, 2 ICD-10-CM codes, 1 E/M level);
no patient data is involved.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.ehr_sink.destinations import FhirServerDestination
from services.ehr_sink.fhir_test_server import running_fhir_server
from services.ehr_sink.stage import EhrSinkStage
from shared.contracts import EncounterContext
from tests.unit.test_ehr_sink_fhir import make_coded

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


async def seed(client: httpx.AsyncClient, base: str, n: int) -> list[EncounterContext]:
    """One patient, practitioner and encounter per note, as the EHR would already hold them."""
    contexts = []
    for _ in range(n):
        s = uuid.uuid4().hex[:10]
        for r in ({"resourceType": "Patient", "id": f"pat-{s}"}, {"resourceType": "Practitioner", "id": f"doc-{s}"},
                  {"resourceType": "Encounter", "id": f"visit-{s}", "status": "finished",
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                   "subject": {"reference": f"Patient/pat-{s}"}}):
            response = await client.put(f"{base}/{r['resourceType']}/{r['id']}", json=r, headers=FHIR_JSON)
            response.raise_for_status()
        contexts.append(EncounterContext(patient_ref=f"Patient/pat-{s}", encounter_ref=f"Encounter/visit-{s}",
                                         practitioner_ref=f"Practitioner/doc-{s}"))
    return contexts


async def latency(base: str, *, notes: int, concurrency: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency + 2)) as client:
        contexts = await seed(client, base, notes)
        stage = EhrSinkStage(destination=FhirServerDestination(base, client=client), software_version="bench")
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(notes):
            queue.put_nowait(i)
        times: list[float] = []
        run = uuid.uuid4().hex[:6]

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                coded = make_coded(encounter_id=f"bench-{run}-{i}", context=contexts[i])
                t0 = time.perf_counter()
                (event,) = await stage.handle(coded)
                times.append(time.perf_counter() - t0)
                assert event.status == "created"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    times.sort()
    return {"concurrency": concurrency, "notes": notes, "per_s": notes / wall,
            "p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))]}


# ---------------------------------------------------------------- crash safety
CHILD = """
import asyncio, json, sys
from pathlib import Path
import httpx
sys.path.insert(0, {repo!r})
from services.ehr_sink.destinations import FhirServerDestination
from services.ehr_sink.stage import EhrSinkStage
from shared.contracts import EncounterContext
from tests.unit.test_ehr_sink_fhir import make_coded
state = Path({state!r})
work = json.loads(Path({work!r}).read_text())
async def main():
    async with httpx.AsyncClient(timeout=120) as client:
        stage = EhrSinkStage(destination=FhirServerDestination({base!r}, client=client), software_version="bench")
        print("ready", flush=True)
        done = int(state.read_text() or 0) if state.exists() else 0
        for i in range(done, len(work)):
            enc, ctx, version = work[i]
            await stage.handle(make_coded(encounter_id=enc, note_version=version,
                                          context=EncounterContext.model_validate(ctx)))
            state.write_text(str(i + 1))  # the "offset commit": only after the server answered
asyncio.run(main())
"""


async def crash_safety(base: str, *, notes: int, kills: int) -> dict[str, int]:
    async with httpx.AsyncClient(timeout=120) as client:
        contexts = await seed(client, base, notes)
    run = uuid.uuid4().hex[:6]
    # Every third encounter also gets a second note version: supersede must survive kills too.
    work = []
    for i, ctx in enumerate(contexts):
        work.append((f"crash-{run}-{i}", ctx.model_dump(), 1))
        if i % 3 == 0:
            work.append((f"crash-{run}-{i}", ctx.model_dump(), 2))
    tmp = Path(tempfile.mkdtemp(prefix="ehr-crash-"))
    (tmp / "work.json").write_text(json.dumps(work))
    script = CHILD.format(repo=str(REPO), state=str(tmp / "offset"), work=str(tmp / "work.json"), base=base)
    killed = await asyncio.to_thread(_run_with_kills, script, kills=kills, offset=tmp / "offset", total=len(work))
    async with httpx.AsyncClient(timeout=120) as client:
        duplicates = lost = current_per_encounter_bad = 0
        for enc, _, version in work:
            found = (await client.get(f"{base}/DocumentReference", headers={**FHIR_JSON, "Cache-Control": "no-cache"},
                                      params={"identifier": f"urn:scribestream:note|{enc}/v{version}",
                                              "_summary": "count"})).json()["total"]
            duplicates += max(found - 1, 0)
            lost += found == 0
        for enc in {w[0] for w in work}:
            current = (await client.get(f"{base}/DocumentReference", headers={**FHIR_JSON, "Cache-Control": "no-cache"},
                                        params={"_tag": f"urn:scribestream:encounter|{enc}", "status": "current",
                                                "_summary": "count"})).json()["total"]
            current_per_encounter_bad += current != 1
    return {"notes": len(work), "kills": killed, "duplicates": duplicates, "lost": lost,
            "encounters_without_exactly_one_current": current_per_encounter_bad}


def _run_with_kills(script: str, *, kills: int, offset: Path, total: int) -> int:
    """Run the sink child until all work is committed, SIGKILLing it at random moments ``kills`` times."""
    rng = random.Random(7)
    killed = 0
    while True:
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready": imports done, so the kill lands while notes are being filed
        if killed < kills:
            try:
                proc.wait(timeout=rng.uniform(0.1, 1.2))  # dies mid-submission at a random point
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                killed += 1
                continue
        else:
            proc.wait(timeout=600)
        proc.stdout.close()
        if proc.returncode == 0 and offset.exists() and int(offset.read_text() or 0) == total:
            return killed
        if proc.returncode != 0 and killed >= kills:
            raise RuntimeError(f"sink child failed with {proc.returncode}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=40)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--crash-notes", type=int, default=80, help="encounters filed while the sink is killed")
    parser.add_argument("--concurrency", default="1,4,8")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    started = time.perf_counter()
    with running_fhir_server(log_dir=Path(tempfile.mkdtemp(prefix="hapi-bench-"))) as base:
        print(f"HAPI FHIR server ready in {time.perf_counter() - started:.1f} s at {base}", flush=True)
        await latency(base, notes=10, concurrency=2)  # warm-up: validator and JIT
        for c in (int(x) for x in args.concurrency.split(",")):
            r = await latency(base, notes=args.notes, concurrency=c)
            print(f"concurrency {c}: {r['per_s']:.1f} notes/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms",
                  flush=True)
        if args.kills:
            print(json.dumps(await crash_safety(base, notes=args.crash_notes, kills=args.kills)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
