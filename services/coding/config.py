"""Coding service settings (environment prefix ``SCRIBESTREAM_``)."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.llm import LlmSettings
from shared.settings import ServiceSettings


class CodingSettings(ServiceSettings, LlmSettings):
    """The ``llm_*`` fields are the same OpenAI-compatible server settings as note generation's."""

    coding_llm: bool = Field(
        default=False, description="let an LLM re-rank the candidate codes (constrained to them; falls back to the rules)"
    )
    coding_fuzzy: bool = Field(
        default=True, description="also match statement text against ICD-10-CM descriptions, not only the curated lexicon"
    )
    coding_preload: bool = Field(
        default=True, description="load the code set and build its description index at startup, not on the first note"
    )
    coding_learned: bool = Field(
        default=True, description="also use the packaged phrase->code associations learned from coded case reports "
        "(CodiEsp train split, CC BY 4.0); votes below the suggestion cut stay ranked candidates"
    )
    coding_hcc: bool = Field(
        default=True, description="tag diagnoses with their CMS-HCC V28 category and compute the risk score when age and sex are known"
    )

    @model_validator(mode="after")
    def _llm_needs_key(self) -> CodingSettings:
        if self.coding_llm and self.llm_api_key is None:
            raise ValueError("SCRIBESTREAM_LLM_API_KEY is required when SCRIBESTREAM_CODING_LLM=true")
        return self
