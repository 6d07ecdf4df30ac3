"""Builds the configured note writer. The only place that knows both backends and the settings."""

from __future__ import annotations

from services.notegen.breaker import CircuitBreaker
from services.notegen.config import LlmSettings
from services.notegen.llm_client import OpenAIChatModel
from services.notegen.llm_writer import LlmPolicy, LlmWriter
from services.notegen.writers import GroundedWriter, NoteWriter


def llm_writer(settings: LlmSettings, *, version: str) -> LlmWriter:
    if settings.llm_api_key is None:
        raise ValueError("SCRIBESTREAM_LLM_API_KEY is required for the llm backend")
    model = OpenAIChatModel(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        timeout_s=settings.llm_timeout_s,
        connect_timeout_s=settings.llm_connect_timeout_s,
        stream=settings.llm_stream,
    )
    policy = LlmPolicy(
        max_attempts=settings.llm_max_attempts,
        max_repairs=settings.llm_max_repairs,
        retry_after_cap_s=settings.llm_retry_after_cap_s,
        context_tokens=settings.llm_context_tokens,
        max_output_tokens=settings.llm_max_output_tokens,
    )
    breaker = CircuitBreaker(threshold=settings.llm_breaker_threshold, reset_s=settings.llm_breaker_reset_s)
    return LlmWriter(model=model, fallback=GroundedWriter(version=version), breaker=breaker, version=version,
                     policy=policy)


def build_writer(*, backend: str, settings: LlmSettings | None, version: str) -> NoteWriter:
    if backend == "grounded":
        return GroundedWriter(version=version)
    if backend == "llm":
        return llm_writer(settings if settings is not None else LlmSettings(), version=version)
    raise ValueError(f"unknown notegen backend {backend!r}")
