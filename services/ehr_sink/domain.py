"""EHR sink rules that are not about FHIR syntax: what a note's business identity is, which code
suggestions become Conditions, and how the note reads as narrative and as plain text.

Pure: stdlib, pydantic and shared.contracts only. The FHIR resources are assembled in ``fhir_builder``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from shared.contracts import (
    CPT_SYSTEM,
    ICD10CM_SYSTEM,
    CodeSuggestion,
    NoteCoded,
    Section,
    Statement,
)

# Business identifier systems. The note identifier is "<encounter id>/v<note version>"; "/" cannot occur
# in an encounter id (contract pattern), so the value is unambiguous.
NOTE_ID_SYSTEM = "urn:scribestream:note"
CONDITION_ID_SYSTEM = "urn:scribestream:condition"
TRANSCRIPT_ID_SYSTEM = "urn:scribestream:transcript"
CHARGE_ID_SYSTEM = "urn:scribestream:charge"
# Every resource of a note is tagged with its encounter id, so the sink can find the versions it filed before.
ENCOUNTER_TAG_SYSTEM = "urn:scribestream:encounter"

XHTML_NS = "http://www.w3.org/1999/xhtml"

# LOINC section codes of a SOAP progress note, in reading order.
SECTION_LOINC: dict[Section, tuple[str, str, str]] = {
    Section.SUBJECTIVE: ("61150-9", "Subjective Narrative", "Subjective"),
    Section.OBJECTIVE: ("61149-1", "Objective Narrative", "Objective"),
    Section.ASSESSMENT: ("51848-0", "Assessment note", "Assessment"),
    Section.PLAN: ("18776-5", "Plan of care note", "Plan"),
}

# Templates that write one "Assessment and plan" section use this code instead of 51848-0 + 18776-5
# (never both: a document with 51847-2 and either of the others says the same thing twice).
ASSESSMENT_AND_PLAN_LOINC = ("51847-2", "Evaluation + Plan note", "Assessment and plan")


@dataclass(frozen=True)
class NoteLayout:
    """What the template says about the document: its LOINC note type and whether Assessment and Plan
    are one section. The default is a SOAP progress note (LOINC 11506-3) with four sections."""

    type_code: str = "11506-3"
    type_display: str = "Progress note"
    combined_assessment_plan: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{1,7}-\d", self.type_code):
            raise ValueError("note type must be a LOINC code such as 11506-3")


def em_suggestions(coded: NoteCoded) -> list[CodeSuggestion]:
    """CPT evaluation-and-management level suggestions, best first. At most one level is billed per visit,
    so only the best-ranked one becomes a draft charge."""
    levels = [s for s in coded.codes if s.system == CPT_SYSTEM and s.category == "em_level"]
    return sorted(levels, key=lambda s: (s.rank, -s.confidence))[:1]


# Characters XML 1.0 cannot carry at all; escaping does not help, so they are dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

UNVERIFIED_MARK = "[unverified: not supported by the transcript]"


def note_identifier(encounter_id: str, note_version: int) -> str:
    return f"{encounter_id}/v{note_version}"


def has_document(coded: NoteCoded) -> bool:
    """A note with no statements is no note: silence must not become an empty clinical document."""
    return coded.draft.status == "drafted" and bool(coded.draft.note.statements())


@dataclass(frozen=True)
class CodedCondition:
    """One ICD-10-CM code to record as a provisional Condition, with the evidence merged across
    duplicate suggestions of the same code."""

    code: str
    display: str
    confidence: float
    rank: int
    category: str
    statement_ids: tuple[str, ...]
    turn_ids: tuple[str, ...]


def coded_conditions(coded: NoteCoded) -> list[CodedCondition]:
    """ICD-10-CM suggestions, one per code, best rank first. Other systems (CPT E/M levels) are billing
    facts, not problems of the patient, so they do not become Conditions."""
    by_code: dict[str, list[CodeSuggestion]] = {}
    for s in coded.codes:
        if s.system == ICD10CM_SYSTEM:
            by_code.setdefault(s.code, []).append(s)
    out = []
    for code, group in by_code.items():
        group.sort(key=lambda s: (s.rank, -s.confidence))  # evidence of the best-ranked suggestion first
        best = group[0]
        out.append(
            CodedCondition(
                code=code,
                display=best.display,
                confidence=max(s.confidence for s in group),
                rank=best.rank,
                category=best.category,
                statement_ids=_unique(i for s in group for i in s.evidence_statement_ids),
                turn_ids=_unique(i for s in group for i in s.evidence_turn_ids),
            )
        )
    return sorted(out, key=lambda c: (c.rank, c.code))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def condition_note(condition: CodedCondition) -> str:
    """Ids and numbers only: which statements and turns the suggestion rests on."""
    statements = ", ".join(condition.statement_ids) or "none"
    turns = ", ".join(condition.turn_ids) or "none"
    return (
        f"Suggested by scribestream (confidence {condition.confidence:.2f}, category {condition.category}); "
        f"evidence: note statement(s) {statements}; transcript turn(s) {turns}. Requires clinician review."
    )


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text).strip()


def _statement_line(statement: Statement) -> str:
    text = _clean(statement.text)
    return text if statement.supported else f"{text} {UNVERIFIED_MARK}"


def section_narrative(statements: list[Statement]) -> str:
    """XHTML narrative for one section. Statement text is escaped, so a transcript that says
    "<script>" stays text; the result is parsed once to prove it is well-formed."""
    if statements:
        items = "".join(f"<li>{html.escape(_statement_line(s), quote=True)}</li>" for s in statements)
        body = f"<ul>{items}</ul>"
    else:
        body = "<p>No statements recorded in this section.</p>"
    div = f'<div xmlns="{XHTML_NS}">{body}</div>'
    ElementTree.fromstring(div)  # raises on malformed XHTML: a bug here must not reach an EHR
    return div


def render_note_text(coded: NoteCoded) -> str:
    """The note as plain text, for the DocumentReference attachment."""
    draft = coded.draft
    lines = [
        "PROGRESS NOTE (preliminary; generated by scribestream, requires clinician review)",
        f"Encounter: {coded.encounter_id}  Note version: {draft.note_version}",
    ]
    for section, (_, _, title) in SECTION_LOINC.items():
        lines += ["", title.upper()]
        statements = getattr(draft.note, section.value)
        lines += [f"- {_statement_line(s)}" for s in statements] or ["- (none recorded)"]
    conditions = coded_conditions(coded)
    if conditions:
        lines += ["", "SUGGESTED DIAGNOSIS CODES (ICD-10-CM, provisional)"]
        lines += [f"- {c.code} {_clean(c.display)}" for c in conditions]
    return "\n".join(lines) + "\n"
