"""The LLM backend's pure parts: answer validation and repair, chunking, merging, the circuit breaker,
Retry-After parsing."""

from __future__ import annotations

import json

import httpx
import pytest

from shared.http import retry_after_seconds
from services.notegen.llm_note import (
    LlmNote,
    MalformedAnswer,
    build_messages,
    chunk_turns,
    merge_notes,
    parse_answer,
    response_schema,
)
from shared.contracts import Role, Turn
from shared.llm import CircuitBreaker, CircuitOpen

pytestmark = pytest.mark.unit

NOTE = {
    "no_clinical_content": False,
    "subjective": [{"text": "Cough for 2 weeks.", "turn_ids": ["t1"], "kind": "symptom"}],
    "objective": [],
    "assessment": [{"text": "Bronchitis.", "turn_ids": ["t2"], "kind": "diagnosis"}],
    "plan": [],
}


def turns(n: int, text: str = "I have had a cough for two weeks.") -> list[Turn]:
    return [Turn(turn_id=f"t{i}", seq=i, speaker=Role.PATIENT if i % 2 else Role.CLINICIAN, start=float(i),
                 end=i + 0.5, text=text, confidence=1.0) for i in range(n)]


def test_valid_answer_parses():
    note = parse_answer(json.dumps(NOTE))
    assert note.subjective[0].turn_ids == ["t1"] and not note.no_clinical_content


@pytest.mark.parametrize("wrapped", [
    "```json\n{}\n```",
    "Here is the note:\n{}\nLet me know if you need changes.",
    "{}",
])
def test_mechanical_repairs(wrapped):
    raw = json.dumps(NOTE)[:-1] + ",}"  # a trailing comma too
    assert parse_answer(wrapped.replace("{}", raw)).assessment[0].text == "Bronchitis."


@pytest.mark.parametrize("raw, where", [
    ("", "empty"),
    ("I cannot write this note.", "no JSON"),
    ('{"subjective": [{"text": "Cough', "no JSON"),  # cut off: no closing brace at all
    ('{"no_clinical_content": false, "subjective": [}', "invalid JSON"),
    (json.dumps({**NOTE, "plan": "none"}), "plan"),
    (json.dumps({**NOTE, "extra": 1}), "extra"),
    (json.dumps({**NOTE, "subjective": [{"text": "Cough.", "turn_ids": [], "kind": "symptom"}]}), "turn_ids"),
])
def test_malformed_answers_are_rejected_with_a_content_free_reason(raw, where):
    with pytest.raises(MalformedAnswer, match=where) as err:
        parse_answer(raw)
    assert "Cough" not in str(err.value)


def test_schema_is_strict():
    schema = response_schema()
    assert schema["strict"] is True
    body = schema["schema"]
    assert body["additionalProperties"] is False
    assert set(body["required"]) == {"no_clinical_content", "subjective", "objective", "assessment", "plan"}
    statement = body["$defs"]["LlmStatement"]
    assert statement["additionalProperties"] is False and set(statement["required"]) == {"text", "turn_ids", "kind"}


def test_prompt_shows_turn_ids_and_part():
    messages = build_messages(turns(3), specialty="cardiology", part=2, parts=3)
    user = messages[-1]["content"]
    assert "[t1] Patient:" in user and "[t0] Doctor:" in user
    assert "part 2 of 3" in user and "cardiology" in user


def test_chunks_cover_every_turn_in_order_within_budget():
    many = turns(50, text="word " * 60)
    chunks = chunk_turns(many, budget_tokens=400)
    assert len(chunks) > 5
    assert [t.turn_id for c in chunks for t in c] == [t.turn_id for t in many]
    assert chunk_turns(many, budget_tokens=10**6) == [many]
    assert chunk_turns(turns(1, text="x " * 5000), budget_tokens=100)  # an oversized turn is its own chunk


def test_merge_keeps_order_drops_unknown_citations_and_dedupes():
    ts = turns(4)
    first = LlmNote.model_validate(NOTE)
    second = LlmNote.model_validate({
        **NOTE,
        "subjective": [
            {"text": "Cough  for 2 weeks.", "turn_ids": ["t3"], "kind": "symptom"},  # duplicate of first's
            {"text": "Fever.", "turn_ids": ["t77"], "kind": "symptom"},  # cites nothing real
        ],
        "assessment": [{"text": "Asthma.", "turn_ids": ["t3", "t99"], "kind": "nonsense-kind"}],
    })
    note, dropped = merge_notes([first, second], turns=ts, encounter_id="e1")
    assert dropped == 1
    assert [s.text for s in note.subjective] == ["Cough for 2 weeks."]
    assert note.subjective[0].evidence_turn_ids == ["t1", "t3"]
    assert [(s.text, s.evidence_turn_ids, s.kind) for s in note.assessment] == [
        ("Bronchitis.", ["t2"], "diagnosis"), ("Asthma.", ["t3"], "finding")]
    assert len({s.statement_id for s in note.statements()}) == 3


def test_merge_of_no_clinical_content_is_empty():
    empty = LlmNote(no_clinical_content=True, subjective=[], objective=[], assessment=[], plan=[])
    note, dropped = merge_notes([empty], turns=turns(2), encounter_id="e")
    assert note.statements() == [] and dropped == 0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_half_opens_after_reset():
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, reset_s=10, clock=clock)
    breaker.before_call()
    breaker.record_failure()
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now = 10
    breaker.before_call()  # the one trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller waits for the trial's outcome
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 20
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_call()


def test_success_resets_the_failure_count():
    breaker = CircuitBreaker(threshold=2, reset_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_retry_after_forms():
    assert retry_after_seconds(httpx.Headers({"retry-after": "3"})) == 3
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}),
                               now=1445412480.0) == pytest.approx(10.0)
    assert retry_after_seconds(httpx.Headers({})) is None
    assert retry_after_seconds(None) is None
