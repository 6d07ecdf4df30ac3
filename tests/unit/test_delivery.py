"""The shared delivery mechanism: decode, dedupe, retries, DLQ, publish-before-done."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from shared.contracts import (
    H_DLQ_ERROR,
    H_DLQ_REASON,
    H_SCHEMA,
    H_VERSION,
    EncounterContext,
    Topic,
    TranscriptClosed,
    Turn,
    TurnTranscribed,
    derive_id,
    encode,
)
from shared.delivery import Delivery, Outcome
from shared.stage import StageError
from shared.state import MemoryStateStore

pytestmark = pytest.mark.unit

PHI = "Jane Roe DOB 1961-02-03 MRN 99812"


@dataclass
class EchoStage:
    """Turns each transcript event into a closed event; fails the first ``failures`` calls."""

    failures: int = 0
    calls: int = 0
    name: str = "echo"
    consumes: Topic = Topic.TRANSCRIPT_TURNS
    produces: Topic = Topic.TRANSCRIPT_TURNS
    error: Exception = field(default_factory=lambda: RuntimeError(PHI))

    async def handle(self, event):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return [TranscriptClosed(event_id=derive_id(event.event_id, "out"), encounter_id=event.encounter_id,
                                 turn_count=1, audio_seconds=1.0, context=EncounterContext())]


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, dict[str, str]]] = []

    async def __call__(self, topic, value, *, key, headers):
        self.sent.append((topic, value, key, headers))


def turn_event(encounter_id: str = "enc-1") -> tuple[bytes, dict[str, str]]:
    event = TurnTranscribed(event_id=derive_id(encounter_id, "t"), encounter_id=encounter_id,
                            turn=Turn(turn_id="t1", seq=0, speaker="patient", start=0, end=1, text=PHI, confidence=0.9))
    return encode(event)


def make(stage, recorder, max_attempts=3):
    return Delivery(stage=stage, dedupe=MemoryStateStore(), publish=recorder, max_attempts=max_attempts, retry_wait_s=0)


async def test_processes_publishes_keyed_by_encounter_and_dedupes_redelivery():
    rec, stage = Recorder(), EchoStage()
    delivery = make(stage, rec)
    value, headers = turn_event()
    assert await delivery.deliver(value=value, headers=headers) is Outcome.PROCESSED
    assert await delivery.deliver(value=value, headers=headers) is Outcome.DUPLICATE
    assert stage.calls == 1
    [(topic, _, key, out_headers)] = rec.sent
    assert topic == "transcript.turns" and key == b"enc-1" and out_headers[H_SCHEMA] == "TranscriptClosed"


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda v, h: (b"{not json", h), "invalid TurnTranscribed"),
        (lambda v, h: (v, {**h, H_VERSION: "9"}), "unsupported schema version"),
        (lambda v, h: (v, {**h, H_SCHEMA: "Bogus"}), "unknown schema"),
        (lambda v, h: (json.dumps({**json.loads(v), "turn": {"text": PHI}}).encode(), h), "invalid TurnTranscribed"),
    ],
)
async def test_invalid_input_goes_to_dlq_with_reason_and_no_phi(mutate, reason):
    rec, stage = Recorder(), EchoStage()
    value, headers = mutate(*turn_event())
    assert await make(stage, rec).deliver(value=value, headers=headers, source="t:0:5") is Outcome.DEAD_LETTERED
    [(topic, dlq_value, _, dlq_headers)] = rec.sent
    assert topic == "transcript.turns.dlq"
    assert dlq_value == value  # nothing lost: the original bytes are kept for replay
    assert reason in dlq_headers[H_DLQ_REASON]
    assert PHI not in json.dumps(dlq_headers)
    assert stage.calls == 0


async def test_transient_failure_is_retried_then_succeeds():
    rec, stage = Recorder(), EchoStage(failures=2)
    assert await make(stage, rec).deliver(value=turn_event()[0], headers=turn_event()[1]) is Outcome.PROCESSED
    assert stage.calls == 3 and [t for t, *_ in rec.sent] == ["transcript.turns"]


async def test_persistent_failure_dead_letters_with_class_only_not_message():
    rec, stage = Recorder(), EchoStage(failures=99)
    value, headers = turn_event()
    assert await make(stage, rec, max_attempts=2).deliver(value=value, headers=headers) is Outcome.DEAD_LETTERED
    [(topic, _, _, dlq_headers)] = rec.sent
    assert topic == "transcript.turns.dlq" and stage.calls == 2
    assert dlq_headers[H_DLQ_ERROR] == "RuntimeError"
    assert PHI not in json.dumps(dlq_headers)


async def test_stage_error_message_is_kept_as_reason():
    rec = Recorder()
    stage = EchoStage(failures=99, error=StageError("encounter enc-1: 3 of 5 turns stored"))
    await make(stage, rec, max_attempts=1).deliver(value=turn_event()[0], headers=turn_event()[1])
    assert rec.sent[0][3][H_DLQ_REASON] == "encounter enc-1: 3 of 5 turns stored"


async def test_publish_failure_propagates_and_is_not_marked_done():
    stage = EchoStage()

    async def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    delivery = Delivery(stage=stage, dedupe=MemoryStateStore(), publish=broken, retry_wait_s=0)
    value, headers = turn_event()
    with pytest.raises(ConnectionError):
        await delivery.deliver(value=value, headers=headers)
    rec = Recorder()
    delivery.publish = rec
    assert await delivery.deliver(value=value, headers=headers) is Outcome.PROCESSED  # redelivery does the work


async def test_error_that_says_it_is_not_retryable_goes_to_dlq_at_once():
    class Rejected(StageError):
        retryable = False

    rec = Recorder()
    stage = EchoStage(failures=99, error=Rejected("server rejected note for enc-1: error:invalid"))
    outcome = await make(stage, rec, max_attempts=5).deliver(value=turn_event()[0], headers=turn_event()[1])
    assert outcome is Outcome.DEAD_LETTERED and stage.calls == 1
    assert rec.sent[0][3][H_DLQ_REASON] == "server rejected note for enc-1: error:invalid"
