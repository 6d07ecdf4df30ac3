"""The OpenAI-compatible LLM client every service uses (notegen's ``llm`` backend, coding's assist).

Domain-free: it knows chat completions, not notes or codes. What lives here:

- ``LlmSettings``: the server (base URL, key, model, temperature, timeouts, streaming) and the resilience
  knobs (attempts, Retry-After cap, circuit breaker, context and output budget), from ``SCRIBESTREAM_LLM_*``.
- ``ChatModel`` (port) and ``OpenAIChatModel`` (adapter over ``openai.AsyncOpenAI``, any OpenAI-compatible
  server: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp server): one chat completion asking for JSON of a
  schema, falling back to JSON mode where ``json_schema`` is not supported, optionally streamed.
- Error mapping: the client's exceptions become ``TransientLlmError`` (429, 5xx, timeouts, connection
  failures; worth retrying, with the server's Retry-After if it sent one) or ``PermanentLlmError``
  (authentication, unknown model...). Their messages name a status, never content.
- ``call_with_retries`` (tenacity: backoff with jitter, honouring Retry-After) and ``CircuitBreaker``.

The adapter makes exactly one HTTP request per ``complete`` call (the ``openai`` client's own retries are
off): retrying and the breaker are the caller's, which can see the whole unit of work.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import httpx
import openai
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from shared.http import retry_after_seconds

T = TypeVar("T")


class LlmSettings(BaseSettings):
    """The OpenAI-compatible server and how hard to try it (prefix ``SCRIBESTREAM_``)."""

    model_config = SettingsConfigDict(env_prefix="SCRIBESTREAM_", extra="ignore")

    llm_base_url: str = Field(default="http://127.0.0.1:8080/v1", description="OpenAI-compatible /v1 base URL")
    llm_api_key: SecretStr | None = Field(default=None, description="required by any LLM backend or assist that is on")
    llm_model: str = Field(default="gpt-4o-mini", description="model name the server knows")
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_timeout_s: float = Field(default=120.0, gt=0, description="per-request read timeout")
    llm_connect_timeout_s: float = Field(default=5.0, gt=0)
    llm_max_attempts: int = Field(default=4, ge=1, description="HTTP attempts per request on 429/5xx/timeouts")
    llm_max_repairs: int = Field(default=2, ge=0, description="re-asks of a malformed answer")
    llm_retry_after_cap_s: float = Field(default=30.0, ge=0)
    llm_breaker_threshold: int = Field(default=5, ge=1, description="consecutive failures that open the circuit")
    llm_breaker_reset_s: float = Field(default=30.0, gt=0)
    llm_context_tokens: int = Field(default=8192, ge=1024, description="model context window")
    llm_max_output_tokens: int = Field(default=2048, ge=256)
    llm_stream: bool = Field(default=False, description="stream the answer (per-read instead of total timeout)")


# ------------------------------------------------------------------ port and errors
@dataclass(frozen=True)
class Completion:
    content: str | None
    refusal: str | None
    finish_reason: str | None
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatModel(Protocol):
    """Port: one chat completion asking for JSON of ``schema`` (a ``response_format`` json_schema body)."""

    model: str

    async def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any], max_tokens: int) -> Completion: ...


class LlmError(RuntimeError):
    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # short machine-readable cause: "rate_limited", "server_error", "http_401"...
        self.retry_after = retry_after


class TransientLlmError(LlmError):
    """Worth retrying later."""


class PermanentLlmError(LlmError):
    """Retrying the same request will not help."""


_TRANSIENT_STATUS = {408, 409, 429}


def classify(err: Exception) -> LlmError:
    """Map an ``openai`` exception to a transient or permanent error with a PHI-free reason."""
    if isinstance(err, openai.APITimeoutError):
        return TransientLlmError("timeout")
    if isinstance(err, openai.APIConnectionError):
        return TransientLlmError("connection_error")
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        wait = retry_after_seconds(err.response.headers if err.response is not None else None)
        if status == 429:
            return TransientLlmError("rate_limited", retry_after=wait)
        if status >= 500 or status in _TRANSIENT_STATUS:
            return TransientLlmError("server_error" if status >= 500 else f"http_{status}", retry_after=wait)
        return PermanentLlmError(f"http_{status}")
    if isinstance(err, openai.APIResponseValidationError):
        return TransientLlmError("invalid_response")
    if isinstance(err, httpx.TimeoutException):  # raised while reading a stream
        return TransientLlmError("timeout")
    if isinstance(err, httpx.HTTPError):
        return TransientLlmError("connection_error")
    return PermanentLlmError(type(err).__name__)


# ------------------------------------------------------------------ adapter
class OpenAIChatModel:
    """``ChatModel`` over ``openai.AsyncOpenAI``.

    Asks for ``response_format={"type": "json_schema", ...}``. A server that rejects that (400/422: older
    vLLM, Ollama, llama.cpp builds) is asked once more with ``json_object`` and the schema in the prompt,
    and that choice is remembered for the rest of the process.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        temperature: float = 0.0,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 5.0,
        stream: bool = False,
        seed: int | None = 0,
    ) -> None:
        self.model = model
        self._temperature = temperature
        self._stream = stream
        self._seed = seed
        self.json_schema_supported = True
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
        )

    @classmethod
    def from_settings(cls, settings: LlmSettings, *, stream: bool | None = None) -> OpenAIChatModel:
        """The client for ``settings``; ``stream`` overrides ``llm_stream``. The key is required."""
        if settings.llm_api_key is None:
            raise ValueError("SCRIBESTREAM_LLM_API_KEY is required for the LLM client")
        return cls(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            model=settings.llm_model,
            temperature=settings.llm_temperature,
            timeout_s=settings.llm_timeout_s,
            connect_timeout_s=settings.llm_connect_timeout_s,
            stream=settings.llm_stream if stream is None else stream,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(self, messages: list[dict[str, str]], *, schema: dict[str, Any], max_tokens: int) -> Completion:
        if self.json_schema_supported:
            try:
                return await self._request(messages, {"type": "json_schema", "json_schema": schema}, max_tokens)
            except openai.BadRequestError:
                pass  # fall through: try JSON mode once
            except openai.UnprocessableEntityError:
                pass
            except (openai.OpenAIError, httpx.HTTPError) as err:
                raise classify(err) from None
        with_schema = [
            *messages[:1],
            {"role": "system", "content": "Answer with one JSON object that validates against this JSON schema:\n"
             + json.dumps(schema["schema"])},
            *messages[1:],
        ]
        try:
            result = await self._request(with_schema, {"type": "json_object"}, max_tokens)
        except (openai.OpenAIError, httpx.HTTPError) as err:
            raise classify(err) from None
        self.json_schema_supported = False
        return result

    async def _request(self, messages: list[dict[str, str]], response_format: dict[str, Any], max_tokens: int) -> Completion:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self._temperature,
            "max_tokens": max_tokens,
            "response_format": response_format,
        }
        if self._seed is not None:
            kwargs["seed"] = self._seed
        if self._stream:
            return await self._streamed(kwargs)
        response = await self._client.chat.completions.create(**kwargs)
        if not response.choices:
            raise TransientLlmError("no_choices")
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            content=choice.message.content,
            refusal=getattr(choice.message, "refusal", None),
            finish_reason=choice.finish_reason,
            model=response.model or self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )

    async def _streamed(self, kwargs: dict[str, Any]) -> Completion:
        """Streaming keeps a long generation alive under a per-read timeout instead of one total deadline."""
        parts: list[str] = []
        refusal: list[str] = []
        finish: str | None = None
        model = self.model
        prompt_tokens = completion_tokens = 0
        stream = await self._client.chat.completions.create(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        async for chunk in stream:
            model = chunk.model or model
            if chunk.usage is not None:
                prompt_tokens, completion_tokens = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
            for choice in chunk.choices[:1]:
                if choice.delta.content:
                    parts.append(choice.delta.content)
                if getattr(choice.delta, "refusal", None):
                    refusal.append(choice.delta.refusal)
                finish = choice.finish_reason or finish
        return Completion(
            content="".join(parts) or None,
            refusal="".join(refusal) or None,
            finish_reason=finish,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )


# ------------------------------------------------------------------ retries
@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # HTTP attempts per request on transient errors
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 8.0
    retry_after_cap_s: float = 30.0  # a longer Retry-After is cut to this; the breaker handles long outages


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Await ``call()`` until it succeeds, retrying only ``TransientLlmError``: after the server's
    Retry-After (capped) when it sent one, else exponential backoff with jitter. The last error, and any
    other exception, propagates."""

    def wait(state: RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        if isinstance(err, LlmError) and err.retry_after is not None:
            return min(err.retry_after, policy.retry_after_cap_s)
        return wait_exponential_jitter(initial=policy.backoff_initial_s, max=policy.backoff_max_s)(state)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception_type(TransientLlmError),
        reraise=True,
        sleep=sleep,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity always makes one attempt")  # pragma: no cover


# ------------------------------------------------------------------ circuit breaker
BreakerState = Literal["closed", "open", "half_open"]


class CircuitOpen(RuntimeError):
    """The breaker refused the call; the message carries no content."""


class CircuitBreaker:
    """After ``threshold`` consecutive failures the circuit opens: calls are refused at once (the caller
    falls back) instead of every unit of work waiting out its own retries against a server that is down.
    After ``reset_s`` one trial call is let through (half-open); its success closes the circuit, its
    failure opens it again."""

    def __init__(self, *, threshold: int = 5, reset_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self._threshold = threshold
        self._reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @classmethod
    def from_settings(cls, settings: LlmSettings) -> CircuitBreaker:
        return cls(threshold=settings.llm_breaker_threshold, reset_s=settings.llm_breaker_reset_s)

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._reset_s:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Raise ``CircuitOpen`` unless a call may go out now."""
        state = self.state
        if state == "open" or (state == "half_open" and self._trial_running):
            raise CircuitOpen("circuit open")
        if state == "half_open":
            self._trial_running = True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()  # a failed trial re-opens for another full reset period
