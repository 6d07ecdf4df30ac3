"""The ``llm`` backend against a scripted OpenAI-compatible HTTP server on a free loopback port.

The server speaks the real wire protocol (``POST /v1/chat/completions``, JSON or server-sent events), and
each test scripts its replies: valid notes, malformed JSON, refusals, 429 with Retry-After, slow answers,
persistent 5xx, unsupported ``response_format``, answers cut off by the output limit. The real ``openai``
client, tenacity retries, circuit breaker, checker and grounded fallback are exercised end to end.
"""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client import REGISTRY

from services.notegen.config import NotegenSettings
from services.notegen.llm_note import PROMPT_ID
from services.notegen.llm_writer import LlmPolicy, LlmWriter
from services.notegen.stage import NotegenStage
from shared.contracts import EncounterContext, NoteDrafted, Role, TranscriptClosed, Turn, derive_id
from shared.llm import CircuitBreaker
from shared.state import MemoryStateStore
from tests.helpers import llm_server
from tests.helpers.llm_server import MODEL, Reply, ScriptedServer, completion, status
from tests.helpers.notegen import SORE_THROAT, good_note, llm_writer, transcript, turn_events, turn_ids, valid

pytestmark = pytest.mark.integration
server = llm_server.server  # the scripted OpenAI-compatible server fixture


def writer_for(server: ScriptedServer, *, timeout_s: float = 2.0, stream: bool = False, threshold: int = 5,
               context_tokens: int = 8192, max_output_tokens: int = 1024, max_attempts: int = 3) -> LlmWriter:
    policy = LlmPolicy(max_attempts=max_attempts, max_repairs=2, backoff_initial_s=0.01, backoff_max_s=0.05,
                       retry_after_cap_s=2.0, context_tokens=context_tokens, max_output_tokens=max_output_tokens)
    return llm_writer(server.chat_model(timeout_s=timeout_s, stream=stream), policy=policy,
                      breaker=CircuitBreaker(threshold=threshold, reset_s=60))


async def write(writer: LlmWriter, turns: list[Turn] | None = None):
    return await writer.write(turns or transcript(), context=EncounterContext(), encounter_id="enc-llm")


# ------------------------------------------------------------------ protocol behaviour
def sample(name: str, outcome: str) -> float:
    return REGISTRY.get_sample_value(name, {"backend": "llm", "model": MODEL, "outcome": outcome}) or 0.0


async def test_valid_answer_becomes_a_checked_note(server):
    server.then(valid)
    before = (sample("scribestream_notegen_llm_requests_total", "ok"),
              sample("scribestream_notegen_llm_prompt_tokens_total", "ok"),
              sample("scribestream_notegen_notes_total", "drafted"))
    written = await write(writer_for(server))
    after = (sample("scribestream_notegen_llm_requests_total", "ok"),
             sample("scribestream_notegen_llm_prompt_tokens_total", "ok"),
             sample("scribestream_notegen_notes_total", "drafted"))
    assert [a - b for a, b in zip(after, before)] == [1, 120, 1]  # labels: backend, model, outcome only
    result, gen = written.result, written.generator
    assert result.status == "drafted" and not result.needs_review
    assert [s.text for s in result.note.assessment] == ["Viral sore throat."]
    assert result.note.subjective[0].evidence_turn_ids == ["t1"]
    assert all(s.supported for s in result.note.statements())
    assert (gen.backend, gen.model, gen.prompt_id, gen.fallback_reason) == ("llm", MODEL, PROMPT_ID, "")
    assert (gen.prompt_tokens, gen.completion_tokens) == (120, 80)
    assert gen.latency_ms > 0
    request = server.requests[0]
    assert request["model"] == MODEL and request["temperature"] == 0
    assert request["response_format"]["type"] == "json_schema"
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    # Citations are constrained to this request's turn ids for servers that decode under the schema.
    assert schema["$defs"]["LlmStatement"]["properties"]["turn_ids"]["items"]["enum"] == [f"t{i}" for i in range(6)]


async def test_malformed_json_is_re_asked_not_passed_on(server):
    server.then(lambda _r: Reply(body=completion('{"subjective": [{"text": "Sore thr')), valid)
    written = await write(writer_for(server))
    assert written.result.status == "drafted" and written.generator.backend == "llm"
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert retry[-2]["role"] == "assistant" and "not a valid JSON object" in retry[-1]["content"]
    assert written.generator.prompt_tokens == 240  # both requests counted


async def test_answer_of_the_wrong_shape_is_re_asked(server):
    wrong = json.dumps({"no_clinical_content": False, "subjective": "a string", "objective": [], "assessment": [],
                        "plan": []})
    server.then(lambda _r: Reply(body=completion(f"```json\n{wrong}\n```")), valid)
    written = await write(writer_for(server))
    assert written.result.status == "drafted" and len(server.requests) == 2
    assert "subjective" in server.requests[1]["messages"][-1]["content"]  # names where, not what


async def test_answers_that_stay_malformed_fall_back_to_grounded(server):
    server.then(lambda _r: Reply(body=completion("I am sorry, here is the note: Sore throat.")))
    written = await write(writer_for(server))
    assert written.generator.backend == "grounded"
    assert written.generator.fallback_reason == "llm_malformed_answer"
    assert written.result.status == "drafted" and written.result.note.statements()
    assert len(server.requests) == 3  # the first answer and two repairs


async def test_refusal_falls_back_to_grounded(server):
    server.then(lambda _r: Reply(body=completion(None, refusal="I can't help with that.")))
    written = await write(writer_for(server))
    assert written.generator.fallback_reason == "llm_refusal" and written.generator.backend == "grounded"
    assert written.result.status == "drafted"
    assert len(server.requests) == 1  # asking the same again would not change the answer


async def test_429_waits_for_retry_after_then_succeeds(server):
    server.then(status(429, **{"retry-after": "1"}), valid)
    started = time.monotonic()
    written = await write(writer_for(server))
    assert written.generator.backend == "llm" and written.result.status == "drafted"
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.95  # honoured the server's Retry-After, not our 10 ms backoff


async def test_timeout_is_retried(server):
    slow = lambda r: Reply(body=valid(r).body, delay_s=1.0)  # noqa: E731
    server.then(slow, valid)
    written = await write(writer_for(server, timeout_s=0.3))
    assert written.generator.backend == "llm" and written.result.status == "drafted"
    assert len(server.requests) == 2


async def test_persistent_timeouts_fall_back(server):
    server.then(lambda r: Reply(body=valid(r).body, delay_s=1.0))
    written = await write(writer_for(server, timeout_s=0.2, max_attempts=2))
    assert written.generator.fallback_reason == "llm_timeout"


async def test_persistent_5xx_falls_back_then_the_circuit_opens(server):
    server.then(status(503))
    writer = writer_for(server, threshold=3, max_attempts=3)
    first = await write(writer)
    assert first.generator.backend == "grounded" and first.generator.fallback_reason == "llm_server_error"
    assert first.result.status == "drafted" and first.result.note.statements()
    assert len(server.requests) == 3
    second = await write(writer)  # the breaker is open now: no request, immediate fallback
    assert second.generator.fallback_reason == "llm_circuit_open"
    assert len(server.requests) == 3


async def test_auth_error_is_not_retried(server):
    server.then(status(401))
    written = await write(writer_for(server))
    assert written.generator.fallback_reason == "llm_http_401" and len(server.requests) == 1


async def test_citations_of_unknown_turns_are_dropped_and_unsupported_statements_flagged(server):
    def answer(request: dict) -> Reply:
        note = good_note(turn_ids(request))
        note["assessment"].append({"text": "Strep throat.", "turn_ids": ["t99"], "kind": "diagnosis"})
        note["plan"].append({"text": "Amoxicillin 500 mg twice daily.", "turn_ids": ["t5"], "kind": "plan"})
        note["objective"][0]["turn_ids"] = ["t4", "t42"]  # one real citation survives
        return Reply(body=completion(json.dumps(note)))

    server.then(answer)
    result = (await write(writer_for(server))).result
    texts = [s.text for s in result.note.statements()]
    assert "Strep throat." not in texts  # rests on no real turn: dropped
    assert result.note.objective[0].evidence_turn_ids == ["t4"]
    amox = next(s for s in result.note.plan if s.text.startswith("Amoxicillin"))
    assert not amox.supported and result.needs_review
    assert result.unsupported_statement_ids == [amox.statement_id]


async def test_no_clinical_content_gives_no_note(server):
    empty = {"no_clinical_content": True, "subjective": [], "objective": [], "assessment": [], "plan": []}
    server.then(lambda _r: Reply(body=completion(json.dumps(empty))))
    turns = [Turn(turn_id="s0", seq=0, speaker=Role.CLINICIAN, start=0, end=1, text="Can you hear me?", confidence=1),
             Turn(turn_id="s1", seq=1, speaker=Role.PATIENT, start=1, end=2, text="Nice weather today.", confidence=1)]
    written = await write(writer_for(server), turns)
    assert written.result.status == "no_note" and not written.result.note.statements()


async def test_a_model_that_finds_nothing_in_a_real_visit_is_overruled(server):
    empty = {"no_clinical_content": True, "subjective": [], "objective": [], "assessment": [], "plan": []}
    server.then(lambda _r: Reply(body=completion(json.dumps(empty))))
    written = await write(writer_for(server))
    assert written.result.status == "drafted" and written.result.note.statements()
    assert (written.generator.backend, written.generator.fallback_reason) == ("grounded", "llm_empty_note_disputed")


async def test_silence_makes_no_request(server):
    server.then(valid)
    written = await write(writer_for(server), [Turn(turn_id="s0", seq=0, speaker=Role.PATIENT, start=0, end=1,
                                                    text="  ", confidence=0.1)])
    assert written.result.status == "no_note" and server.requests == []


async def test_json_schema_unsupported_falls_back_to_json_mode(server):
    def picky(request: dict) -> Reply:
        if request["response_format"]["type"] != "json_object":
            return Reply(status=400, body={"error": {"message": "response_format json_schema not supported"}})
        return valid(request)

    server.then(picky)
    writer = writer_for(server)
    assert (await write(writer)).generator.backend == "llm"
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]
    assert "JSON schema" in server.requests[1]["messages"][1]["content"]  # the schema travels in the prompt
    await write(writer)
    assert server.requests[2]["response_format"]["type"] == "json_object"  # remembered


async def test_streamed_answer(server):
    def streamed(request: dict) -> Reply:
        content = json.dumps(good_note(turn_ids(request)))
        pieces = [content[i : i + 40] for i in range(0, len(content), 40)]
        base = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL}
        events = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": p},
                                        "finish_reason": None}]} for p in pieces]
        events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        events.append({**base, "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 60,
                                                       "total_tokens": 110}})
        return Reply(sse=events)

    server.then(streamed)
    written = await write(writer_for(server, stream=True))
    assert written.result.status == "drafted" and written.generator.backend == "llm"
    assert (written.generator.prompt_tokens, written.generator.completion_tokens) == (50, 60)
    assert server.requests[0]["stream"] is True


async def test_answer_cut_off_by_the_output_limit_is_redone_in_halves(server):
    def cut_when_long(request: dict) -> Reply:
        ids = turn_ids(request)
        if len(ids) > 3:
            return Reply(body=completion('{"no_clinical_content": false, "subjective": [', finish="length"))
        return valid(request)

    server.then(cut_when_long)
    written = await write(writer_for(server))
    assert written.result.status == "drafted" and written.generator.backend == "llm"
    assert [len(turn_ids(r)) for r in server.requests] == [6, 3, 3]
    cited = {i for s in written.result.note.statements() for i in s.evidence_turn_ids}
    assert any(int(i[1:]) < 3 for i in cited) and any(int(i[1:]) >= 3 for i in cited)  # both halves merged


async def test_long_encounter_is_chunked_and_merged(server):
    long_turns = [
        Turn(turn_id=f"L{i}", seq=i, speaker=role, start=float(i), end=i + 0.5,
             text=text + " " + "We talked about it at some length." * 20, confidence=1.0)
        for i, (role, text) in enumerate(SORE_THROAT * 10)
    ]
    server.then(valid)
    writer = writer_for(server, context_tokens=2048, max_output_tokens=512)
    written = await write(writer, long_turns)
    assert len(server.requests) > 2  # no silent truncation: every turn went out in some chunk
    sent = [i for r in server.requests for i in turn_ids(r)]
    assert sorted(sent, key=lambda s: int(s[1:])) == [t.turn_id for t in long_turns]
    assert "part 1 of" in server.requests[0]["messages"][-1]["content"]
    cited = {i for s in written.result.note.statements() for i in s.evidence_turn_ids}
    chunk_of = {i: n for n, r in enumerate(server.requests) for i in turn_ids(r)}
    assert len({chunk_of[i] for i in cited}) > 1  # statements from several chunks survive the merge


# ------------------------------------------------------------------ wiring
async def test_stage_publishes_the_llm_facts_on_the_event(server):
    server.then(valid)
    stage = NotegenStage(state=MemoryStateStore(), writer=writer_for(server))
    enc = "enc-llm-stage"
    for event in turn_events(enc):
        await stage.handle(event)
    (drafted,) = await stage.handle(TranscriptClosed(event_id=derive_id(enc, "closed"), encounter_id=enc,
                                                     turn_count=len(SORE_THROAT), audio_seconds=24.0))
    assert isinstance(drafted, NoteDrafted)
    assert drafted.generator.backend == "llm" and drafted.generator.prompt_id == PROMPT_ID
    assert drafted.generator.prompt_tokens == 120 and drafted.status == "drafted"


def test_llm_backend_requires_an_api_key(monkeypatch):
    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SCRIBESTREAM_NOTEGEN_BACKEND", "llm")
    monkeypatch.delenv("SCRIBESTREAM_LLM_API_KEY", raising=False)
    with pytest.raises(ValueError, match="LLM_API_KEY"):
        NotegenSettings()
    monkeypatch.setenv("SCRIBESTREAM_LLM_API_KEY", "sk-test")
    settings = NotegenSettings()
    assert "sk-test" not in repr(settings)  # SecretStr


def test_eval_harness_runs_unchanged_on_the_llm_backend(server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from scribestream.cli import app

    server.then(valid)
    dialogue = "\n".join(f"[{'doctor' if r == Role.CLINICIAN else 'patient'}] {text}" for r, text in SORE_THROAT)
    path = tmp_path / "mini.csv"
    path.write_text('dataset,encounter_id,dialogue,note\nmini,E1,"' + dialogue + '","CHIEF COMPLAINT\n\nSore throat."\n')
    monkeypatch.setenv("SCRIBESTREAM_LLM_API_KEY", "test-key")
    monkeypatch.setenv("SCRIBESTREAM_LLM_TIMEOUT_S", "2")
    result = CliRunner().invoke(app, ["eval", "notes", "--aci-csv", str(path), "--backend", "llm",
                                      "--base-url", server.base_url, "--model", MODEL])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["backend"] == "llm" and report["model"] == MODEL and report["fallbacks"] == 0
    assert report["supported_share"] == 1.0 and report["rouge"]["rouge1"] > 0
    assert server.requests[0]["model"] == MODEL
