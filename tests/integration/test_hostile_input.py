"""Hostile records on the REAL broker: the notegen service (FastStream app in this process, encryption on) reads
a near-limit garbage value, 100k-deep JSON, a wrong schema, a forged ciphertext and a PHI-named extra field on
transcript.turns, all on one encounter's partition. Each lands on transcript.turns.dlq with an x-dlq-reason that
names no PHI, and the partition keeps moving: the valid visit sent after them is drafted."""

from __future__ import annotations

import base64
import json

import pytest
from faststream import TestApp

from services.notegen.app import SPEC as NOTEGEN
from services.notegen.config import NotegenSettings
from shared.contracts import (
    H_DLQ_REASON,
    H_ENCOUNTER,
    H_EVENT_ID,
    H_KEY_ID,
    H_SCHEMA,
    H_VERSION,
    Topic,
    encode,
)
from shared.crypto import KeyRing, bus_aad
from shared.runtime import build_app
from tests.helpers.topics import keyed, read_until, send_records
from tests.integration.test_phi_at_rest import NAME, _turn_events

pytestmark = pytest.mark.integration


def headers(encounter_id: str, n: int, **extra: str) -> dict[str, str]:
    return {H_SCHEMA: "TurnTranscribed", H_VERSION: "1", H_EVENT_ID: f"hostile-{n}", H_ENCOUNTER: encounter_id,
            **extra}


def sealed(ring: KeyRing, encounter_id: str, n: int, value: bytes) -> tuple[bytes, dict[str, str]]:
    """Sealed like a real producer would, so the record fails on its content, not its encryption."""
    key_id, blob = ring.seal(value, aad=bus_aad(topic="transcript.turns", encounter_id=encounter_id,
                                                event_id=f"hostile-{n}", schema="TurnTranscribed"))
    return blob, headers(encounter_id, n, **{H_KEY_ID: key_id})


async def test_hostile_records_are_dead_lettered_with_reasons_and_the_partition_keeps_moving(stack, encounter_id):
    ring = KeyRing.generate("hostile-1")
    settings = NotegenSettings(kafka_bootstrap=stack.bootstrap, redis_url=stack.redis_url, encryption=True,
                               keys=f"hostile-1={base64.b64encode(ring.keys['hostile-1']).decode()}")
    valid_turn = json.loads(encode(_turn_events(encounter_id)[0])[0])
    hostile = {
        "near-limit garbage": sealed(ring, encounter_id, 0, b"\xff" * 900_000),  # the broker's own limit is 1 MiB
        "deeply nested": sealed(ring, encounter_id, 1, b"[" * 100_000 + b"]" * 100_000),
        "wrong schema": (b"{}", headers(encounter_id, 2, **{H_SCHEMA: "NoteCoded"})),
        "bad ciphertext": (b"\x00" * 80, headers(encounter_id, 3, **{H_KEY_ID: "hostile-1"})),
        "PHI-named field": sealed(ring, encounter_id, 4, json.dumps({**valid_turn, NAME: NAME}).encode()),
    }
    records = [(Topic.TRANSCRIPT_TURNS.value, value, hdrs, encounter_id) for value, hdrs in hostile.values()]
    records += [(Topic.TRANSCRIPT_TURNS.value, *encode(e, keyring=ring), encounter_id)
                for e in _turn_events(encounter_id)]

    def dead_letters(found: list) -> dict[str, str]:
        headers = [{k: v.decode() for k, v in r.headers} for r in found if r.topic != Topic.SOAP_DRAFT.value]
        return {h[H_EVENT_ID]: h[H_DLQ_REASON] for h in headers}

    def was_drafted(found: list) -> bool:
        return any(r.topic == Topic.SOAP_DRAFT.value for r in found)

    async with TestApp(build_app(NOTEGEN, settings)):
        await send_records(stack.bootstrap, records)
        found = await read_until(stack.bootstrap, [Topic.TRANSCRIPT_TURNS.dlq, Topic.SOAP_DRAFT.value],
                                 keep=keyed(encounter_id),
                                 done=lambda f: was_drafted(f) and len(dead_letters(f)) == len(hostile),
                                 timeout_s=90, fetch_max_bytes=8 * 1024 * 1024)
    dead, drafted = dead_letters(found), was_drafted(found)

    assert sorted(dead) == [f"hostile-{n}" for n in range(len(hostile))], dead
    reasons = dict(zip(hostile, (dead[f"hostile-{n}"] for n in range(len(hostile))), strict=True))
    assert "invalid TurnTranscribed" in reasons["near-limit garbage"]
    assert "recursion limit" in reasons["deeply nested"]
    assert "unknown schema" in reasons["wrong schema"]
    assert "cannot decrypt" in reasons["bad ciphertext"]
    assert "<key>: Extra inputs are not permitted" in reasons["PHI-named field"]
    assert not any(NAME in r or "Okonkwo" in r for r in reasons.values())
    assert drafted, "the valid visit after the hostile records was not drafted: the partition is stuck"
