"""Per-specialty note templates: which elements a complete note has, and how to tell one is present.

The grounded writer never fills a gap; it reports it. ``missing_elements`` tells the reviewing clinician
what the conversation did not cover (e.g. no allergies were discussed).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shared.contracts import SoapNote, Statement

DEFAULT_SPECIALTY = "primary_care"


def _has_kind(*kinds: str) -> Callable[[SoapNote], bool]:
    return lambda note: any(st.kind in kinds for st in note.statements())


def _mentions(pattern: str, *kinds: str) -> Callable[[SoapNote], bool]:
    rx = re.compile(pattern, re.IGNORECASE)

    def check(note: SoapNote) -> bool:
        return any(rx.search(st.text) and (not kinds or st.kind in kinds) for st in note.statements())

    return check


def _section(name: str) -> Callable[[SoapNote], bool]:
    return lambda note: bool(getattr(note, name))


def _hpi(note: SoapNote) -> bool:
    return any(st.kind in {"symptom", "history", "pertinent_negative"} for st in note.subjective)


ELEMENTS: dict[str, Callable[[SoapNote], bool]] = {
    "chief_complaint": _has_kind("chief_complaint"),
    "hpi": _hpi,
    "medications": _has_kind("medication", "medication_change"),
    "allergies": _has_kind("allergy"),
    "vitals": _has_kind("vital"),
    "exam": _has_kind("exam"),
    "cardiovascular_exam": _mentions(r"\b(?:heart|murmur|rhythm|pulses?|edema|gallop|bruit)\b", "exam"),
    "mental_status": _mentions(r"\b(?:mood|affect|depress\w*|anxi\w*|sleep\w*|suicid\w*|thoughts?)\b"),
    "assessment": _section("assessment"),
    "plan": _section("plan"),
    "follow_up": _has_kind("follow_up"),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "primary_care": ("chief_complaint", "hpi", "medications", "allergies", "vitals", "assessment", "plan"),
    "cardiology": (
        "chief_complaint", "hpi", "medications", "allergies", "vitals", "cardiovascular_exam", "assessment", "plan",
        "follow_up",
    ),
    "psychiatry": ("chief_complaint", "hpi", "mental_status", "medications", "allergies", "assessment", "plan"),
}


def required_elements(specialty: str) -> tuple[str, ...]:
    """Elements for a specialty; an unknown specialty gets the primary-care template."""
    return TEMPLATES.get(specialty, TEMPLATES[DEFAULT_SPECIALTY])


def missing_elements(note: SoapNote, *, specialty: str) -> list[str]:
    return [name for name in required_elements(specialty) if not ELEMENTS[name](note)]


def render_text(note: SoapNote) -> str:
    """The note as plain text, one statement per line under section headings (used by the benchmark)."""
    lines: list[str] = []
    for title, statements in (
        ("SUBJECTIVE", note.subjective),
        ("OBJECTIVE", note.objective),
        ("ASSESSMENT", note.assessment),
        ("PLAN", note.plan),
    ):
        if statements:
            lines.append(title)
            lines.extend(_line(st) for st in statements)
            lines.append("")
    return "\n".join(lines).strip()


def _line(st: Statement) -> str:
    return st.text
