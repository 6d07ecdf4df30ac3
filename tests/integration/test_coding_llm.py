"""Coding LLM assist against a scripted OpenAI-compatible HTTP server (tests/helpers/llm_server.py): the model
re-ranks candidates, invented codes and unknown evidence are dropped and counted, failures fall back to rules."""

from __future__ import annotations

import json

import pytest
from prometheus_client import REGISTRY

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import suggest_codes
from services.coding.learned import AssociationTable
from services.coding.llm_assist import LlmCodeAssist
from services.coding.stage import CodingStage
from shared.contracts import (
    ICD10CM_SYSTEM,
    GeneratorInfo,
    NoteDrafted,
    SoapNote,
    Statement,
)
from shared.llm import OpenAIChatModel
from tests.helpers import llm_server
from tests.helpers.llm_server import MODEL, Reply, ScriptedServer, completion, status

pytestmark = pytest.mark.integration
server = llm_server.server  # the scripted OpenAI-compatible server fixture


@pytest.fixture(scope="module")
def codeset() -> SimpleIcd10CmCodeSet:
    return SimpleIcd10CmCodeSet().load()


def draft(texts: list[str]) -> NoteDrafted:
    note = SoapNote(assessment=[Statement(statement_id=f"a{i}", text=t, evidence_turn_ids=[f"t{i}"], kind="diagnosis")
                                for i, t in enumerate(texts)])
    return NoteDrafted(event_id="d-llm", encounter_id="enc-llm", note_version=1, status="drafted", note=note,
                       generator=GeneratorInfo(backend="grounded"), turns=[])


NOTE = ["Type 2 diabetes mellitus without complications.", "Essential hypertension.", "Denies chest pain."]


def assist_for(server: ScriptedServer, codeset: SimpleIcd10CmCodeSet) -> LlmCodeAssist:
    model = server.chat_model()
    return LlmCodeAssist(model=model, codeset=codeset)


def answer(*picks: dict) -> Reply:
    return Reply(body=completion(json.dumps({"codes": list(picks)})))


def count(outcome: str) -> float:
    return REGISTRY.get_sample_value("scribestream_coding_llm_codes_total", {"outcome": outcome}) or 0.0


def requests(outcome: str) -> float:
    return REGISTRY.get_sample_value("scribestream_coding_llm_requests_total", {"outcome": outcome}) or 0.0


async def test_model_reorders_candidates_and_invented_codes_never_leave(server, codeset) -> None:
    server.then(lambda _req: answer(
        {"code": "I10", "statement_ids": ["a1"], "confidence": 0.95},
        {"code": "Z99.999", "statement_ids": ["a0"], "confidence": 0.9},  # not a code
        {"code": "J18.9", "statement_ids": ["a0"], "confidence": 0.9},  # real, but not a candidate
        {"code": "E11.9", "statement_ids": ["a7"], "confidence": 0.9},  # evidence that does not exist
    ))
    before = {k: count(k) for k in ("invalid", "not_candidate", "no_evidence", "kept")}
    note = draft(NOTE)
    candidates = suggest_codes(note, codeset=codeset, min_confidence=0.0)
    assert [c.code for c in candidates][:2] == ["E11.9", "I10"]
    result = await assist_for(server, codeset).rerank(note, candidates)
    assert result.used_llm and result.outcome == "ok"
    codes = [c.code for c in result.codes]
    assert codes == ["I10", "E11.9"]  # the pick first, the rest keep their rule order; nothing added
    assert all(codeset.is_billable(c) for c in codes)
    assert result.codes[0].evidence_statement_ids == ["a1"] and "language model" in result.codes[0].rationale
    assert [c.rank for c in result.codes] == [1, 2]
    assert count("invalid") - before["invalid"] == 1
    assert count("not_candidate") - before["not_candidate"] == 1
    assert count("no_evidence") - before["no_evidence"] == 1
    assert count("kept") - before["kept"] == 1
    # the prompt lists the candidates and the statement ids, and asks for the fixed JSON schema
    sent = server.requests[-1]
    assert sent["response_format"]["type"] == "json_schema"
    prompt = sent["messages"][-1]["content"]
    assert "E11.9" in prompt and "[a1]" in prompt


async def test_server_errors_and_malformed_answers_fall_back_to_rules(server, codeset) -> None:
    note = draft(NOTE)
    candidates = suggest_codes(note, codeset=codeset, min_confidence=0.0)
    assist = assist_for(server, codeset)
    server.then(status(503))
    before = requests("server_error")
    result = await assist.rerank(note, candidates)
    assert not result.used_llm and result.codes == candidates
    assert requests("server_error") == before + 1
    server.script.clear()
    server.then(lambda _req: Reply(body=completion("not json at all")))
    result = await assist.rerank(note, candidates)
    assert result.outcome == "malformed" and result.codes == candidates


async def test_unreachable_server_falls_back(codeset) -> None:
    model = OpenAIChatModel(base_url="http://127.0.0.1:9/v1", api_key="k", model=MODEL, timeout_s=1.0, connect_timeout_s=0.5)
    note = draft(NOTE)
    candidates = suggest_codes(note, codeset=codeset, min_confidence=0.0)
    result = await LlmCodeAssist(model=model, codeset=codeset).rerank(note, candidates)
    assert result.outcome == "connection_error" and result.codes == candidates


async def test_stage_with_assist_promotes_a_picked_candidate_and_makes_no_request_for_nothing(server, codeset) -> None:
    # A learned vote of 0.4: a candidate only, until the model picks it.
    table = AssociationTable(table={"renoureteral": (9, [("N23", 4)])}, alpha=1.0, min_score=0.3)
    server.then(lambda _req: answer({"code": "N23", "statement_ids": ["a0"], "confidence": 0.7}))
    stage = CodingStage(codeset=codeset, risk_model=None, learned=table, assist=assist_for(server, codeset))
    [coded] = await stage.handle(draft(["Renoureteral crisis."]))
    icd = [c for c in coded.codes if c.system == ICD10CM_SYSTEM]
    assert [c.code for c in icd] == ["N23"] and icd[0].confidence >= 0.6
    sent = len(server.requests)
    [empty] = await stage.handle(draft(["Patient feels well.", "Denies chest pain."]))
    assert empty.codes == [] and len(server.requests) == sent


async def test_eval_with_assist_reports_dropped_invented_codes(server, codeset) -> None:
    import asyncio

    from scribestream.evals.coding import run

    server.then(lambda _req: answer({"code": "I10", "statement_ids": ["s1"], "confidence": 0.9},
                                    {"code": "E11.99999", "statement_ids": ["s0"], "confidence": 0.9}))
    docs = [{"id": "d1", "text": "Type 2 diabetes mellitus without complications. Essential hypertension.",
             "icd10cm": ["I10", "E11.9"]}]
    predictions, metrics = await asyncio.to_thread(run, docs, codeset=codeset, learned=False,
                                                   assist=assist_for(server, codeset))
    assert predictions == [["I10", "E11.9"]]
    assert metrics["llm_outcomes"] == {"ok": 1}
    assert metrics["llm_codes_dropped"] == {"invalid": 1}
    assert metrics["invalid_codes"] == 0
