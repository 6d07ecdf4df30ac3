"""Coding service settings (environment prefix ``SCRIBESTREAM_``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class CodingSettings(ServiceSettings):
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
