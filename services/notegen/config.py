"""Notegen settings, from the environment (prefix ``SCRIBESTREAM_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notegen.live import LivePolicy
from shared.settings import ServiceSettings


class LlmSettings(BaseSettings):
    """The OpenAI-compatible server behind the ``llm`` backend (also read by ``scribestream eval notes``)."""

    model_config = SettingsConfigDict(env_prefix="SCRIBESTREAM_", extra="ignore")

    llm_base_url: str = Field(default="http://127.0.0.1:8080/v1", description="OpenAI-compatible /v1 base URL")
    llm_api_key: SecretStr | None = Field(default=None, description="required when notegen_backend=llm")
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


class NotegenSettings(ServiceSettings, LlmSettings):
    notegen_backend: Literal["grounded", "llm"] = Field(
        default="grounded", description="note writer; 'grounded' is offline and deterministic, 'llm' falls back to it"
    )

    live_drafts: bool = Field(default=True, description="publish non-final soap.draft versions while a visit streams")
    live_draft_min_turns: int = Field(default=4, ge=1, description="new turns needed before the next live draft")
    live_draft_min_seconds: float = Field(
        default=20.0, ge=0, description="seconds of new transcript needed before the next live draft (0: no limit)"
    )

    def live_policy(self) -> LivePolicy:
        return LivePolicy(enabled=self.live_drafts, min_new_turns=self.live_draft_min_turns,
                          min_new_seconds=self.live_draft_min_seconds)

    @model_validator(mode="after")
    def _llm_needs_key(self) -> NotegenSettings:
        if self.notegen_backend == "llm" and self.llm_api_key is None:
            raise ValueError("SCRIBESTREAM_LLM_API_KEY is required when SCRIBESTREAM_NOTEGEN_BACKEND=llm")
        return self
