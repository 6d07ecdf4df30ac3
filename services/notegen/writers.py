"""The note-writer port and the grounded backend behind it.

A ``NoteWriter`` turns an encounter's turns into a checked draft plus the facts of how it was written
(``GeneratorInfo``). The stage holds one writer and does not know which backend it is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.notegen import metrics
from services.notegen.domain import DraftResult, draft_note
from shared.contracts import EncounterContext, GeneratorInfo, Turn


@dataclass(frozen=True)
class WrittenNote:
    result: DraftResult
    generator: GeneratorInfo


class NoteWriter(Protocol):
    backend: str

    async def write(self, turns: Sequence[Turn], *, context: EncounterContext, encounter_id: str) -> WrittenNote: ...


def record_statements(result: DraftResult, *, backend: str, model: str) -> None:
    unsupported = len(result.unsupported_statement_ids)
    total = len(result.note.statements())
    metrics.STATEMENTS.labels(backend, model, "supported").inc(total - unsupported)
    metrics.STATEMENTS.labels(backend, model, "unsupported").inc(unsupported)


class GroundedWriter:
    """The offline, deterministic writer. Its ``GeneratorInfo`` carries no latency, so a redelivered
    transcript gives a byte-identical event; the time goes to metrics instead."""

    backend = "grounded"

    def __init__(self, *, version: str) -> None:
        self._generator = GeneratorInfo(backend=self.backend, version=version)

    async def write(self, turns: Sequence[Turn], *, context: EncounterContext, encounter_id: str) -> WrittenNote:
        started = time.perf_counter()
        result = draft_note(turns, context=context, specialty=context.specialty, encounter_id=encounter_id)
        metrics.GENERATION_SECONDS.labels(self.backend, "", result.status).observe(time.perf_counter() - started)
        metrics.NOTES.labels(self.backend, "", result.status).inc()
        record_statements(result, backend=self.backend, model="")
        return WrittenNote(result=result, generator=self._generator)
