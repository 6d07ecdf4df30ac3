"""Notegen settings, from the environment (prefix ``SCRIBESTREAM_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.settings import ServiceSettings


class NotegenSettings(ServiceSettings):
    notegen_backend: Literal["grounded"] = Field(
        default="grounded", description="note writer; 'grounded' is offline and deterministic"
    )
