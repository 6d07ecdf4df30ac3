"""Scoring generated notes against reference notes, ACI-Bench style. Shared by ``scribestream eval notes``
and the ``bench/notegen_*.py`` scripts so every published figure comes from one implementation.

Input: any CSV with columns ``dataset,encounter_id,dialogue,note`` where ``dialogue`` has one turn per line
tagged ``[doctor]`` / ``[patient]`` (other tags become ``other`` speakers; untagged lines continue the turn).
ROUGE is the ``rouge-score`` package as in the ACI-Bench paper: ROUGE-1, ROUGE-2, ROUGE-Lsum, no stemmer,
Lsum over newline-split sentences. Per-section scores map the reference note's headings onto
subjective / objective / assessment_and_plan (the reference notes merge A and P under one heading as often
as not, so the generated A and P are scored together too).
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, median
from typing import Any

from services.notegen.templates import render_text
from services.notegen.writers import NoteWriter, WrittenNote
from shared.contracts import EncounterContext, Role, SoapNote, Turn

METRICS = ("rouge1", "rouge2", "rougeLsum")
SECTIONS = ("subjective", "objective", "assessment_and_plan")
REQUIRED_COLUMNS = ("dataset", "encounter_id", "dialogue", "note")
ANCHORS_TEST1 = {  # ACI-Bench test set 1, full note, R-1 / R-2 / R-Lsum (Yim et al. 2023)
    "transcript copied as the note": (32.84, 12.53, 30.61),
    "retrieval of the nearest training note": (43.87, 17.55, 40.47),
    "ChatGPT": (47.44, 19.01, 42.47),
    "GPT-4": (51.76, 22.58, 45.97),
    "BART fine-tuned (SAMSum, division)": (53.46, 25.08, 48.62),
}
ACI_ATTRIBUTION = "ACI-Bench (Yim, Fu, Ben Abacha, Snider, Lin, Yetisgen), Nature Scientific Data 2023, CC BY 4.0."


@dataclass(frozen=True)
class Encounter:
    dataset: str
    encounter_id: str
    dialogue: str
    note: str


class BadCsv(ValueError):
    """The CSV lacks a required column; the message names columns, not content."""


def read_encounters(path: Path) -> list[Encounter]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BadCsv(f"missing column(s): {', '.join(missing)}; need {','.join(REQUIRED_COLUMNS)}")
        return [Encounter(**{c: row[c] or "" for c in REQUIRED_COLUMNS}) for row in reader]


_TAG = re.compile(r"^\s*\[([^\]]+)\]\s*(.*)$")
_ROLES = {"doctor": Role.CLINICIAN, "clinician": Role.CLINICIAN, "patient": Role.PATIENT}


def dialogue_turns(dialogue: str) -> list[Turn]:
    """Tagged lines -> turns with ids ``t0, t1, ...`` (one second apart: the text has no timing)."""
    parts: list[tuple[Role, str]] = []
    for line in dialogue.splitlines():
        m = _TAG.match(line)
        if m:
            parts.append((_ROLES.get(m.group(1).strip().lower(), Role.OTHER), m.group(2).strip()))
        elif line.strip() and parts:
            role, text = parts[-1]
            parts[-1] = (role, f"{text} {line.strip()}")
    return [
        Turn(turn_id=f"t{i}", seq=i, speaker=role, start=float(i), end=i + 0.5, text=text, confidence=1.0)
        for i, (role, text) in enumerate(parts)
    ]


# Reference headings (upper-case lines, optional colon) -> section. First matching keyword wins.
_HEADING = re.compile(r"^\s*([A-Z][A-Z /&,\-]{1,60}?)\s*:?\s*$")
_HEADING_SECTIONS = (
    ("ASSESSMENT AND PLAN", "assessment_and_plan"),
    ("IMPRESSION", "assessment_and_plan"),
    ("ASSESSMENT", "assessment_and_plan"),
    ("PLAN", "assessment_and_plan"),
    ("INSTRUCTIONS", "assessment_and_plan"),
    ("PROCEDURE", "assessment_and_plan"),
    ("PHYSICAL EXAM", "objective"),
    ("EXAM", "objective"),
    ("VITALS", "objective"),
    ("RESULTS", "objective"),
    ("OBJECTIVE", "objective"),
    ("MSK", "objective"),
    ("CHIEF COMPLAINT", "subjective"),
    ("CC", "subjective"),
    ("HPI", "subjective"),
    ("HISTORY", "subjective"),
    ("REVIEW OF SYSTEMS", "subjective"),
    ("MEDICATIONS", "subjective"),
    ("ALLERGIES", "subjective"),
    ("SUBJECTIVE", "subjective"),
)


def _section_of_heading(line: str) -> str | None:
    m = _HEADING.match(line)
    if not m:
        return None
    heading = m.group(1).strip()
    for keyword, section in _HEADING_SECTIONS:
        if re.search(rf"\b{re.escape(keyword)}\b", heading):
            return section
    return None


def reference_sections(note: str) -> dict[str, str]:
    """Split a reference note by its headings; text before the first heading counts as subjective."""
    found: dict[str, list[str]] = {s: [] for s in SECTIONS}
    current = "subjective"
    for line in note.splitlines():
        section = _section_of_heading(line)
        if section is not None:
            current = section
        found[current].append(line)
    return {s: "\n".join(lines).strip() for s, lines in found.items()}


def generated_sections(note: SoapNote) -> dict[str, str]:
    return {
        "subjective": "\n".join(s.text for s in note.subjective),
        "objective": "\n".join(s.text for s in note.objective),
        "assessment_and_plan": "\n".join(s.text for s in [*note.assessment, *note.plan]),
    }


class Rouge:
    """ROUGE-1/2/Lsum as ACI-Bench computes it; ``rouge-score`` is imported only when scoring."""

    def __init__(self) -> None:
        try:
            from rouge_score import rouge_scorer
        except ModuleNotFoundError as err:  # pragma: no cover - depends on the install
            raise RuntimeError("scoring needs the rouge-score package: pip install 'scribestream[test]'") from err
        self._scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=False, split_summaries=False)

    def __call__(self, *, reference: str, prediction: str) -> dict[str, float]:
        result = self._scorer.score(reference, prediction)
        return {m: result[m].fmeasure * 100 for m in METRICS}


@dataclass(frozen=True)
class NoteScore:
    dataset: str
    encounter_id: str
    status: str
    backend: str
    fallback_reason: str
    statements: int
    unsupported: int
    seconds: float
    cpu_seconds: float
    note_text: str
    full: dict[str, float]
    sections: dict[str, dict[str, float] | None]  # None where the reference has no such section


async def score_encounter(
    encounter: Encounter, *, writer: NoteWriter, rouge: Rouge, specialty: str = "primary_care"
) -> NoteScore:
    turns = dialogue_turns(encounter.dialogue)
    wall, cpu = time.perf_counter(), time.process_time()
    written: WrittenNote = await writer.write(
        turns, context=EncounterContext(specialty=specialty), encounter_id=encounter.encounter_id or "enc"
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    note = written.result.note
    text = render_text(note)
    refs, gens = reference_sections(encounter.note), generated_sections(note)
    return NoteScore(
        dataset=encounter.dataset,
        encounter_id=encounter.encounter_id,
        status=written.result.status,
        backend=written.generator.backend,
        fallback_reason=written.generator.fallback_reason,
        statements=len(note.statements()),
        unsupported=len(written.result.unsupported_statement_ids),
        seconds=wall,
        cpu_seconds=cpu,
        note_text=text,
        full=rouge(reference=encounter.note, prediction=text),
        sections={s: rouge(reference=refs[s], prediction=gens[s]) if refs[s] else None for s in SECTIONS},
    )


def transcript_copy_scores(encounters: Iterable[Encounter], *, rouge: Rouge) -> dict[str, float]:
    """The "transcript copied as the note" baseline on the same encounters, scored the same way."""
    scores = [
        rouge(reference=e.note, prediction="\n".join(t.text for t in dialogue_turns(e.dialogue))) for e in encounters
    ]
    return _mean(scores)


def _mean(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    return {m: round(mean(s[m] for s in scores), 2) if scores else 0.0 for m in METRICS}


async def evaluate(
    encounters: Sequence[Encounter],
    *,
    writer: NoteWriter,
    on_note: Callable[[NoteScore], None] | None = None,
    baseline: bool = True,
) -> tuple[dict[str, Any], list[NoteScore]]:
    """Generate and score every encounter. Returns the summary report and the per-note scores."""
    rouge = Rouge()
    scores: list[NoteScore] = []
    for encounter in encounters:
        scored = await score_encounter(encounter, writer=writer, rouge=rouge)
        scores.append(scored)
        if on_note is not None:
            on_note(scored)
    n_statements = sum(s.statements for s in scores)
    report: dict[str, Any] = {
        "encounters": len(scores),
        "backend": writer.backend,
        "rouge": _mean([s.full for s in scores]),
        "sections": {
            name: {**_mean(have), "encounters": len(have)}
            for name in SECTIONS
            for have in [[s.sections[name] for s in scores if s.sections[name] is not None]]
        },
        "statements_per_note": round(n_statements / max(len(scores), 1), 1),
        "supported_share": round(1 - sum(s.unsupported for s in scores) / n_statements, 4) if n_statements else None,
        "notes_needing_review": sum(1 for s in scores if s.unsupported),
        "no_note": sum(1 for s in scores if s.status == "no_note"),
        "fallbacks": sum(1 for s in scores if s.fallback_reason),
        "seconds_per_note": {
            "mean": round(mean(s.seconds for s in scores), 4) if scores else 0.0,
            "median": round(median(s.seconds for s in scores), 4) if scores else 0.0,
            "cpu_mean": round(mean(s.cpu_seconds for s in scores), 4) if scores else 0.0,
        },
    }
    if baseline:
        report["transcript_copy"] = transcript_copy_scores(encounters, rouge=rouge)
    return report, scores


def write_notes_csv(path: Path, scores: Iterable[NoteScore]) -> None:
    """``encounter_id,note`` so anyone can score the generated notes with their own tools."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["encounter_id", "note"])
        for s in scores:
            out.writerow([s.encounter_id, s.note_text])
