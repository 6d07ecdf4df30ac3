"""Optional LLM assist: a language model re-ranks the rule/learned candidates of a note and may promote one that
fell below the suggestion cut. It is constrained on every side:

- it sees only the candidate codes (already past the negation/uncertainty/outpatient rules) and must answer JSON
  of a fixed schema;
- every returned code is checked against the code set (billable FY2026) and the candidate list; anything else is
  dropped and counted (``scribestream_coding_llm_codes_total{outcome="invalid"|"not_candidate"}``), so an invented
  code never leaves the service;
- evidence must name statements of the note; ids that do not exist are dropped, and a code left with none is
  dropped;
- any failure (server down, timeout, refusal, malformed JSON, open circuit) returns the rule-based ranking.

Uses the same OpenAI-compatible ``ChatModel`` port and adapter as note generation (shared.llm).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from prometheus_client import Counter
from pydantic import BaseModel, Field, ValidationError

from services.coding.codeset import CodeSet
from shared.contracts import ICD10CM_SYSTEM, CodeSuggestion, NoteDrafted
from shared.llm import ChatModel, LlmError

log = logging.getLogger(__name__)

ASSIST_REQUESTS = Counter(
    "scribestream_coding_llm_requests_total", "LLM assist requests, by outcome (ok, fallback reasons)", ("outcome",)
)
ASSIST_CODES = Counter(
    "scribestream_coding_llm_codes_total",
    "Codes the LLM returned, by outcome (kept, invalid: not a billable code, not_candidate, no_evidence)",
    ("outcome",),
)

SYSTEM_PROMPT = (
    "You are a certified outpatient medical coder. You receive the statements of a clinical note, each with an id, "
    "and a numbered list of candidate ICD-10-CM codes. Choose the candidates the note supports, most important first. "
    "Follow the ICD-10-CM outpatient guidelines: do not code negated, ruled-out or uncertain conditions; do not code "
    "symptoms integral to a coded diagnosis; prefer the most specific code the note supports. Use only codes from the "
    "candidate list, and cite as evidence only statement ids that appear in the note. Answer with JSON only."
)

SCHEMA = {
    "name": "code_selection",
    "strict": True,
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["codes"],
        "properties": {
            "codes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "statement_ids", "confidence"],
                    "properties": {
                        "code": {"type": "string"},
                        "statement_ids": {"type": "array", "items": {"type": "string"}},
                        "confidence": {"type": "number"},
                    },
                },
            }
        },
    },
}


class _Pick(BaseModel):
    code: str
    statement_ids: list[str] = Field(default_factory=list)
    confidence: float = Field(default=0.5, ge=0.0, le=1.0)


class _Answer(BaseModel):
    codes: list[_Pick]


@dataclass(frozen=True)
class AssistPolicy:
    max_candidates: int = 40  # the prompt lists at most this many candidates, best first
    max_tokens: int = 1024
    promote_confidence: float = 0.6  # a candidate the model picks is raised at least to the suggestion cut


@dataclass(frozen=True)
class AssistResult:
    codes: list[CodeSuggestion]
    used_llm: bool
    outcome: str  # "ok" or the fallback reason
    dropped: dict[str, int] = field(default_factory=dict)  # codes of the answer left out, by reason (invalid...)


def _prompt(draft: NoteDrafted, candidates: Sequence[CodeSuggestion]) -> list[dict[str, str]]:
    statements = "\n".join(f"[{st.statement_id}] {st.text}" for st in draft.note.statements())
    listing = "\n".join(f"{i}. {c.code} {c.display}" for i, c in enumerate(candidates, start=1))
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Note statements:\n{statements}\n\nCandidate codes:\n{listing}"},
    ]


class LlmCodeAssist:
    def __init__(self, *, model: ChatModel, codeset: CodeSet, policy: AssistPolicy | None = None) -> None:
        self._model = model
        self._codeset = codeset
        self._policy = policy or AssistPolicy()

    async def rerank(self, draft: NoteDrafted, candidates: Sequence[CodeSuggestion]) -> AssistResult:
        """Candidates (ICD-10-CM, best first, any confidence) -> the same candidates re-ranked: the model's picks
        first, in its order, then the rest in their rule order. Never adds a code that was not a candidate."""
        icd = [c for c in candidates if c.system == ICD10CM_SYSTEM][: self._policy.max_candidates]
        if not icd:
            return AssistResult(codes=list(candidates), used_llm=False, outcome="no_candidates")
        try:
            completion = await self._model.complete(_prompt(draft, icd), schema=SCHEMA, max_tokens=self._policy.max_tokens)
        except LlmError as err:
            return self._fallback(candidates, err.reason)
        except Exception as err:  # noqa: BLE001 - any failure of the optional assist falls back to the rules
            return self._fallback(candidates, type(err).__name__)
        if completion.refusal or not completion.content:
            return self._fallback(candidates, "refusal" if completion.refusal else "empty")
        try:
            answer = _Answer.model_validate(json.loads(completion.content))
        except (ValueError, ValidationError):
            return self._fallback(candidates, "malformed")
        dropped: dict[str, int] = {}
        picked = self._validated(answer, draft=draft, candidates=icd, dropped=dropped)
        by_code = {c.code: c for c in icd}
        first: list[CodeSuggestion] = []
        for code, (statement_ids, confidence) in picked.items():
            c = by_code[code]
            first.append(c.model_copy(update={
                "confidence": round(max(c.confidence, min(confidence, 1.0), self._policy.promote_confidence), 3),
                "evidence_statement_ids": list(dict.fromkeys([*statement_ids, *c.evidence_statement_ids])),
                "rationale": (c.rationale + "; " if c.rationale else "") + "selected by the language model assist",
            }))
        rest = [c for c in candidates if c.code not in picked]
        ranked = [c.model_copy(update={"rank": i}) for i, c in enumerate([*first, *rest], start=1)]
        ASSIST_REQUESTS.labels("ok").inc()
        return AssistResult(codes=ranked, used_llm=True, outcome="ok", dropped=dropped)

    def _validated(
        self, answer: _Answer, *, draft: NoteDrafted, candidates: Sequence[CodeSuggestion], dropped: dict[str, int]
    ) -> dict[str, tuple[list[str], float]]:
        def drop(reason: str) -> None:
            ASSIST_CODES.labels(reason).inc()
            dropped[reason] = dropped.get(reason, 0) + 1

        known_statements = {st.statement_id for st in draft.note.statements()}
        allowed = {c.code for c in candidates}
        picked: dict[str, tuple[list[str], float]] = {}
        for pick in answer.codes:
            code = pick.code.strip().upper()
            if len(code) > 3 and "." not in code:
                code = f"{code[:3]}.{code[3:]}"
            if not self._codeset.is_billable(code):
                drop("invalid")
                continue
            if code not in allowed:
                drop("not_candidate")
                continue
            evidence = [s for s in pick.statement_ids if s in known_statements]
            if not evidence:
                drop("no_evidence")
                continue
            if code not in picked:
                ASSIST_CODES.labels("kept").inc()
                picked[code] = (evidence, pick.confidence)
        return picked

    def _fallback(self, candidates: Sequence[CodeSuggestion], reason: str) -> AssistResult:
        ASSIST_REQUESTS.labels(reason).inc()
        log.warning("coding llm assist fell back to rules", extra={"reason": reason})
        return AssistResult(codes=list(candidates), used_llm=False, outcome=reason)
