"""Notegen settings, from the environment (prefix ``SCRIBESTREAM_``). The LLM server's settings are the shared
``shared.llm.LlmSettings`` (also read by ``scribestream eval notes``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from services.notegen.live import LivePolicy
from shared.llm import LlmSettings
from shared.settings import ServiceSettings


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
