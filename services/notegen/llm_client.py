"""Adapter: chat completions from any OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama,
llama.cpp server) through the ``openai`` client.

It makes exactly one HTTP request per ``complete`` call (the client's own retries are off: retrying,
backoff and the circuit breaker live in ``llm_writer`` where they can see the whole encounter) and turns
the client's exceptions into two kinds the writer understands: ``TransientLlmError`` (429, 5xx, timeouts,
connection failures; worth retrying, with the server's Retry-After if it sent one) and
``PermanentLlmError`` (authentication, unknown model...). Their messages name a status, never content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from shared.http import retry_after_seconds
import openai


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
