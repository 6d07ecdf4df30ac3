"""The ``llm`` backend: an OpenAI-compatible model proposes the note, our checker judges it.

Per encounter: usable turns are split into chunks that fit the context budget, each chunk is one chat
request (retried with backoff on 429/5xx/timeouts, honouring Retry-After, behind a circuit breaker), the
answer is validated on receipt and re-asked when malformed, answers cut off by the output limit are
re-done on smaller chunks, and the chunk notes are merged. Citations of turns that do not exist are
removed; a statement left with none is dropped. The merged note then goes through the same checker and
template as the grounded backend's.

When the model stays unavailable (retries exhausted, circuit open, refusal, answers that stay malformed),
or claims an empty visit where the grounded writer finds clinical content, the grounded writer's note goes
out and ``GeneratorInfo.fallback_reason`` says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.notegen import metrics
from services.notegen.domain import finish_draft, order_turns
from services.notegen.grounded import usable_turns
from services.notegen.llm_note import (
    PROMPT_ID,
    SYSTEM_PROMPT,
    LlmNote,
    MalformedAnswer,
    build_messages,
    chunk_turns,
    estimate_tokens,
    merge_notes,
    parse_answer,
    repair_message,
    response_schema,
)
from services.notegen.writers import NoteWriter, WrittenNote, record_statements
from shared.contracts import EncounterContext, GeneratorInfo, SoapNote, Turn
from shared.llm import ChatModel, CircuitBreaker, CircuitOpen, Completion, LlmError, RetryPolicy, call_with_retries
from shared.logging import get_logger

log = get_logger("notegen.llm")


@dataclass(frozen=True)
class LlmPolicy:
    max_attempts: int = 4  # HTTP attempts per request on transient errors
    max_repairs: int = 2  # times a malformed answer is re-asked
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    retry_after_cap_s: float = 30.0  # a longer Retry-After is cut to this; the breaker handles long outages
    context_tokens: int = 8192
    max_output_tokens: int = 2048
    max_split_depth: int = 3  # halvings of a chunk whose answer hit the output limit

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, backoff_initial_s=self.backoff_initial_s,
                           backoff_max_s=self.backoff_max_s, retry_after_cap_s=self.retry_after_cap_s)


class LlmUnavailable(RuntimeError):
    """The model could not produce a usable note; ``reason`` is machine-readable and PHI-free."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    served_model: str = ""


class LlmWriter:
    backend = "llm"

    def __init__(
        self,
        *,
        model: ChatModel,
        fallback: NoteWriter,
        breaker: CircuitBreaker,
        version: str,
        policy: LlmPolicy = LlmPolicy(),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._model = model
        self._fallback = fallback
        self._breaker = breaker
        self._version = version
        self._policy = policy
        self._sleep = sleep

    @property
    def model_name(self) -> str:
        return self._model.model

    def chunk_budget(self) -> int:
        """Tokens left for transcript lines once the instructions and the answer are accounted for."""
        overhead = estimate_tokens(SYSTEM_PROMPT) + 200
        return max(self._policy.context_tokens - self._policy.max_output_tokens - overhead, 256)

    async def write(self, turns: Sequence[Turn], *, context: EncounterContext, encounter_id: str) -> WrittenNote:
        started = time.perf_counter()
        ordered = order_turns(turns)
        usable = usable_turns(ordered)
        usage = _Usage()
        if not usable:  # silence or a dropped call: nothing to send, nothing to write
            return self._finish(SoapNote(), ordered, context=context, usage=usage, started=started, dropped=0)
        try:
            answers: list[LlmNote] = []
            chunks = chunk_turns(usable, budget_tokens=self.chunk_budget())
            for i, chunk in enumerate(chunks):
                answers += await self._answer(chunk, part=i + 1, parts=len(chunks), context=context, usage=usage)
        except LlmUnavailable as err:
            return await self._fall_back(
                turns, context=context, encounter_id=encounter_id, reason=err.reason, usage=usage, started=started
            )
        note, dropped = merge_notes(answers, turns=ordered, encounter_id=encounter_id)
        if not note.statements():
            # The model found nothing to write. "No note" drops a visit, so it must not rest on the model's word
            # alone: if the grounded writer finds clinical content, its note goes out and says why.
            grounded = await self._fallback.write(turns, context=context, encounter_id=encounter_id)
            if grounded.result.status == "drafted":
                return self._replaced(grounded, encounter_id=encounter_id, reason="empty_note_disputed", usage=usage,
                                      started=started)
        return self._finish(note, ordered, context=context, usage=usage, started=started, dropped=dropped)

    def _finish(
        self, note: SoapNote, turns: list[Turn], *, context: EncounterContext, usage: _Usage, started: float, dropped: int
    ) -> WrittenNote:
        result = finish_draft(note, turns, specialty=context.specialty)
        seconds = time.perf_counter() - started
        labels = (self.backend, self.model_name, result.status)
        metrics.NOTES.labels(*labels).inc()
        metrics.GENERATION_SECONDS.labels(*labels).observe(seconds)
        metrics.STATEMENTS.labels(self.backend, self.model_name, "dropped").inc(dropped)
        record_statements(result, backend=self.backend, model=self.model_name)
        generator = GeneratorInfo(
            backend=self.backend,
            model=usage.served_model or self.model_name,
            version=self._version,
            prompt_id=PROMPT_ID,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            latency_ms=round(seconds * 1000, 1),
        )
        return WrittenNote(result=result, generator=generator)

    async def _fall_back(
        self, turns: Sequence[Turn], *, context: EncounterContext, encounter_id: str, reason: str, usage: _Usage,
        started: float,
    ) -> WrittenNote:
        written = await self._fallback.write(turns, context=context, encounter_id=encounter_id)
        return self._replaced(written, encounter_id=encounter_id, reason=reason, usage=usage, started=started)

    def _replaced(
        self, written: WrittenNote, *, encounter_id: str, reason: str, usage: _Usage, started: float
    ) -> WrittenNote:
        log.warning("llm note replaced by the grounded writer", extra={"encounter_id": encounter_id, "outcome": reason})
        seconds = time.perf_counter() - started
        metrics.NOTES.labels(self.backend, self.model_name, "fallback").inc()
        metrics.GENERATION_SECONDS.labels(self.backend, self.model_name, "fallback").observe(seconds)
        generator = written.generator.model_copy(
            update={
                "fallback_reason": f"llm_{reason}",
                "prompt_tokens": usage.prompt_tokens,  # what the failed attempts cost
                "completion_tokens": usage.completion_tokens,
                "latency_ms": round(seconds * 1000, 1),
            }
        )
        return WrittenNote(result=written.result, generator=generator)

    async def _answer(
        self, chunk: list[Turn], *, part: int, parts: int, context: EncounterContext, usage: _Usage, depth: int = 0
    ) -> list[LlmNote]:
        base = build_messages(chunk, specialty=context.specialty, part=part, parts=parts)
        messages = base
        for _ in range(self._policy.max_repairs + 1):
            completion = await self._request(messages, schema=response_schema([t.turn_id for t in chunk]), usage=usage)
            if completion.refusal or completion.finish_reason == "content_filter":
                self._count("refusal")
                raise LlmUnavailable("refusal")
            if completion.finish_reason == "length":
                # The answer was cut off: do this part again in two halves rather than accept a partial note.
                self._count("length")
                if len(chunk) < 2 or depth >= self._policy.max_split_depth:
                    raise LlmUnavailable("answer_too_long")
                half = len(chunk) // 2
                return [
                    *await self._answer(chunk[:half], part=part, parts=parts, context=context, usage=usage, depth=depth + 1),
                    *await self._answer(chunk[half:], part=part, parts=parts, context=context, usage=usage, depth=depth + 1),
                ]
            try:
                return [parse_answer(completion.content)]
            except MalformedAnswer as err:
                self._count("malformed")
                messages = [*base, {"role": "assistant", "content": completion.content or ""}, repair_message(str(err))]
        raise LlmUnavailable("malformed_answer")

    def _count(self, outcome: str) -> None:
        metrics.LLM_REQUESTS.labels(self.backend, self.model_name, outcome).inc()

    async def _request(self, messages: list[dict[str, str]], *, schema: dict, usage: _Usage) -> Completion:
        try:
            return await call_with_retries(
                lambda: self._one_request(messages, schema=schema, usage=usage), policy=self._policy.retry, sleep=self._sleep
            )
        except LlmError as err:
            raise LlmUnavailable(err.reason) from None

    async def _one_request(self, messages: list[dict[str, str]], *, schema: dict, usage: _Usage) -> Completion:
        try:
            self._breaker.before_call()
        except CircuitOpen:
            self._count("circuit_open")
            raise LlmUnavailable("circuit_open") from None
        started = time.perf_counter()
        try:
            completion = await self._model.complete(
                messages, schema=schema, max_tokens=self._policy.max_output_tokens
            )
        except LlmError as err:
            self._breaker.record_failure()
            self._count(err.reason)
            raise
        except BaseException:
            self._breaker.record_failure()  # whatever it was, the trial did not succeed
            raise
        self._breaker.record_success()
        usage.requests += 1
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens
        usage.served_model = completion.model
        self._count("ok")
        metrics.PROMPT_TOKENS.labels(self.backend, self.model_name, "ok").inc(completion.prompt_tokens)
        metrics.COMPLETION_TOKENS.labels(self.backend, self.model_name, "ok").inc(completion.completion_tokens)
        log.info(
            "llm request",
            extra={"outcome": "ok", "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                   "count": completion.completion_tokens},
        )
        return completion
