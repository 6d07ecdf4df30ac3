"""Note generation domain: a transcript becomes a grounded SOAP draft, or no note at all.

Pure: stdlib, pydantic and shared.contracts only. The grounded writer (``grounded``) proposes
statements, the checker (``checker``) verifies each against the turns it cites, and the template
(``templates``) lists what a complete note for the specialty would still need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.notegen.checker import check_note
from services.notegen.grounded import write_statements
from services.notegen.templates import missing_elements
from shared.contracts import EncounterContext, Section, SoapNote, Statement, Turn, derive_id


class DraftResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["drafted", "no_note"]
    note: SoapNote
    unsupported_statement_ids: list[str] = Field(default_factory=list)
    missing_elements: list[str] = Field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        return bool(self.unsupported_statement_ids)


def order_turns(turns: Sequence[Turn]) -> list[Turn]:
    """Transcript order. Ties on start time (overlapping speech on two channels) break on seq, then id."""
    return sorted(turns, key=lambda t: (t.start, t.seq, t.turn_id))


def statement_id(*, encounter_id: str, section: Section, index: int) -> str:
    return derive_id(encounter_id, "stmt", section.value, index)


def draft_note(
    turns: Sequence[Turn],
    *,
    context: EncounterContext,
    specialty: str | None = None,
    encounter_id: str = "",
) -> DraftResult:
    """Draft a SOAP note from the transcript alone.

    ``encounter_id`` seeds the statement ids; without it they derive from the turn ids, which are unique per
    encounter too. A transcript with no clinical content (silence, small talk, a dropped call) gives
    ``no_note`` and an empty note, never a made-up visit.
    """
    ordered = order_turns(turns)
    seed = encounter_id or derive_id(*(t.turn_id for t in ordered))
    drafts = write_statements(ordered)
    if not drafts:
        return DraftResult(status="no_note", note=SoapNote())
    sections: dict[str, list[Statement]] = {s.value: [] for s in Section}
    for draft in drafts:
        bucket = sections[draft.section.value]
        bucket.append(
            Statement(
                statement_id=statement_id(encounter_id=seed, section=draft.section, index=len(bucket)),
                text=draft.text,
                evidence_turn_ids=list(draft.evidence),
                kind=draft.kind,
            )
        )
    return finish_draft(SoapNote(**sections), ordered, specialty=specialty or context.specialty)


def finish_draft(note: SoapNote, turns: Sequence[Turn], *, specialty: str) -> DraftResult:
    """Check every statement against the turns it cites and list what the template still misses.

    Any backend's proposed note goes through here, so the same checker judges grounded and LLM statements.
    A note with no statements is the explicit "no note" outcome.
    """
    if not note.statements():
        return DraftResult(status="no_note", note=SoapNote())
    checked, unsupported = check_note(note, order_turns(turns))
    return DraftResult(
        status="drafted",
        note=checked,
        unsupported_statement_ids=unsupported,
        missing_elements=missing_elements(checked, specialty=specialty),
    )
