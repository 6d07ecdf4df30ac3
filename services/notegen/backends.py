"""Builds the configured note writer. The only place that knows both backends and the settings."""

from __future__ import annotations

from services.notegen.llm_writer import LlmPolicy, LlmWriter
from services.notegen.writers import GroundedWriter, NoteWriter
from shared.llm import CircuitBreaker, LlmSettings, OpenAIChatModel


def llm_writer(settings: LlmSettings, *, version: str) -> LlmWriter:
    if settings.llm_api_key is None:
        raise ValueError("SCRIBESTREAM_LLM_API_KEY is required for the llm backend")
    policy = LlmPolicy(
        max_attempts=settings.llm_max_attempts,
        max_repairs=settings.llm_max_repairs,
        retry_after_cap_s=settings.llm_retry_after_cap_s,
        context_tokens=settings.llm_context_tokens,
        max_output_tokens=settings.llm_max_output_tokens,
    )
    return LlmWriter(model=OpenAIChatModel.from_settings(settings), fallback=GroundedWriter(version=version),
                     breaker=CircuitBreaker.from_settings(settings), version=version, policy=policy)


def build_writer(*, backend: str, settings: LlmSettings | None, version: str) -> NoteWriter:
    if backend == "grounded":
        return GroundedWriter(version=version)
    if backend == "llm":
        return llm_writer(settings if settings is not None else LlmSettings(), version=version)
    raise ValueError(f"unknown notegen backend {backend!r}")
