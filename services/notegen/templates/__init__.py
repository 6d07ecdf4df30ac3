"""Per-specialty note templates: which elements a complete note has, how to tell one is present, and how
the note is laid out.

Templates are data (``*.yaml`` beside this module, shipped as package data), loaded lazily on first use and
validated by ``NoteTemplate``. The grounded writer never fills a gap; it reports it. ``missing_elements``
tells the reviewing clinician what the conversation did not cover (e.g. no allergies were discussed).
Rendering only re-arranges (and, for the patient-facing summary, rewords) the checked statements: a template
can never add content of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notegen.spoken import words
from shared.contracts import Section, SoapNote, Statement

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


# How each element a template may require is detected; the set is code because detection is logic, while
# which elements a specialty requires is data.
ELEMENTS: dict[str, Callable[[SoapNote], bool]] = {
    "chief_complaint": _has_kind("chief_complaint"),
    "hpi": _hpi,
    "medications": _has_kind("medication", "medication_change"),
    "allergies": _has_kind("allergy"),
    "vitals": _has_kind("vital"),
    "exam": _has_kind("exam"),
    "cardiovascular_exam": _mentions(r"\b(?:heart|murmur|rhythm|pulses?|edema|gallop|bruit)\b", "exam"),
    "musculoskeletal_exam": _mentions(
        r"\b(?:range of motion|tender\w*|swelling|strength|joint|gait|stable|ligament\w*|effusion|deformity)\b",
        "exam",
    ),
    "skin_exam": _mentions(r"\b(?:skin|rash|lesions?|mole|papules?|plaques?|macules?|erythema\w*|scal\w*|nodules?)\b",
                           "exam"),
    "mental_status": _mentions(r"\b(?:mood|affect|depress\w*|anxi\w*|sleep\w*|suicid\w*|thoughts?)\b"),
    "safety_risk": _mentions(r"\b(?:suicid\w*|self[- ]harm|hurt(?:ing)? (?:yourself|himself|herself|themsel\w*|others)"
                             r"|kill(?:ing)? (?:yourself|himself|herself|themsel\w*)|safety plan|homicid\w*)\b"),
    "growth": _mentions(r"\b(?:weight|height|length|growth|percentile|head circumference|BMI)\b"),
    "immunizations": _mentions(r"\b(?:vaccin\w*|immuniz\w*|shots?|booster)\b"),
    "assessment": _section("assessment"),
    "plan": _section("plan"),
    "follow_up": _has_kind("follow_up"),
}


class TemplateSection(BaseModel):
    """One heading of the rendered note and which statements go under it."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    label: str = Field(min_length=1)
    sources: tuple[Section, ...] = Field(alias="from", min_length=1)
    # Only statements of these kinds (empty: any kind). A statement lands under the first heading that takes it.
    kinds: tuple[str, ...] = ()

    def takes(self, section: Section, statement: Statement) -> bool:
        return section in self.sources and (not self.kinds or statement.kind in self.kinds)


class Rewrite(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern: str
    replace: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class NoteTemplate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    loinc: str = Field(pattern=r"^\d{1,7}-\d$")  # note type (FHIR DocumentReference.type / Composition.type)
    loinc_display: str = Field(default="", description="LOINC display of the note type; empty: the title")
    audience: Literal["clinician", "patient"] = "clinician"
    required: tuple[str, ...] = ()
    combined_assessment_plan: bool = False
    sections: tuple[TemplateSection, ...] = Field(min_length=1)
    # Patient-facing wording: applied in order to each statement's text; rephrasing only.
    plain_language: tuple[Rewrite, ...] = ()

    @field_validator("required")
    @classmethod
    def _known_elements(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - ELEMENTS.keys())
        if unknown:
            raise ValueError(f"unknown required elements: {unknown}")
        return value

    @model_validator(mode="after")
    def _layout_is_complete(self) -> NoteTemplate:
        # Every note section needs a heading that takes any statement from it, or rendering would drop content.
        for section in Section:
            if not any(section in s.sources and not s.kinds for s in self.sections):
                raise ValueError(f"no heading takes every {section.value} statement")
        combined = any({Section.ASSESSMENT, Section.PLAN} <= set(s.sources) for s in self.sections)
        if combined != self.combined_assessment_plan:
            raise ValueError("combined_assessment_plan does not match the sections")
        return self

    @property
    def type_display(self) -> str:
        return self.loinc_display or self.title

    @property
    def vocabulary(self) -> frozenset[str]:
        """Words the patient wording may add (the rewrites' replacements): fixed template text, not content,
        so the grounding checker accepts them without a speaker having said them."""
        return frozenset(w for r in self.plain_language for w in words(r.replace))

    def plain(self, text: str) -> str:
        for rewrite in self.plain_language:
            text = re.sub(rewrite.pattern, rewrite.replace, text, flags=re.IGNORECASE)
        return text[:1].upper() + text[1:]

    def layout(self, note: SoapNote) -> list[tuple[str, list[Statement]]]:
        """Headings with their statements, in template order; every statement exactly once, empty headings left out."""
        placed: dict[str, list[Statement]] = {s.label: [] for s in self.sections}
        for section in Section:
            for statement in getattr(note, section.value):
                heading = next(s for s in self.sections if s.takes(section, statement))
                placed[heading.label].append(statement)
        return [(s.label, placed[s.label]) for s in self.sections if placed[s.label]]

    def render(self, note: SoapNote) -> str:
        lines: list[str] = []
        for label, statements in self.layout(note):
            lines.append(label)
            lines.extend(self.plain(st.text) if self.audience == "patient" else st.text for st in statements)
            lines.append("")
        return "\n".join(lines).strip()


@cache
def load_templates() -> dict[str, NoteTemplate]:
    """Every bundled template by name, read and validated once on first use."""
    found: dict[str, NoteTemplate] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            template = NoteTemplate.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
            if template.name in found:
                raise ValueError(f"duplicate template name: {template.name}")
            found[template.name] = template
    return found


@cache
def _by_alias() -> dict[str, NoteTemplate]:
    index: dict[str, NoteTemplate] = {}
    for template in load_templates().values():
        for key in (template.name, *template.aliases):
            index.setdefault(_normalize(key), template)
    return index


def _normalize(specialty: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", specialty.strip().lower()).strip("_")


def template_for(specialty: str | None) -> NoteTemplate:
    """The template for a specialty or template name (aliases allowed); unknown gets primary care."""
    index = _by_alias()
    return index.get(_normalize(specialty or ""), index[DEFAULT_SPECIALTY])


class _RequiredByName(Mapping[str, tuple[str, ...]]):
    """``TEMPLATES[name]`` -> required elements, backed by the lazily loaded files."""

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return load_templates()[key].required

    def __iter__(self) -> Iterator[str]:
        return iter(load_templates())

    def __len__(self) -> int:
        return len(load_templates())


TEMPLATES: Mapping[str, tuple[str, ...]] = _RequiredByName()


def required_elements(specialty: str) -> tuple[str, ...]:
    """Elements for a specialty; an unknown specialty gets the primary-care template."""
    return template_for(specialty).required


def missing_elements(note: SoapNote, *, specialty: str) -> list[str]:
    return [name for name in required_elements(specialty) if not ELEMENTS[name](note)]


def render_text(note: SoapNote, *, template: str | None = None) -> str:
    """The note as plain text, one statement per line under the template's headings.

    Without a template it is the primary-care S/O/A/P layout (used by the benchmark).
    ``template="after_visit_summary"`` gives the patient-facing wording of the same statements.
    """
    return template_for(template or DEFAULT_SPECIALTY).render(note)
