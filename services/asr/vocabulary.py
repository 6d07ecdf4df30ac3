"""Medical lexicon: the terms (drugs, conditions) that bias decoding and that near-miss correction may use.

Pure: reads a plain text file ("category: term" per line) and builds strings; no model imports.
The decoder prompt has a hard budget (Whisper keeps at most 223 prompt tokens, and faster-whisper cuts
from the left), so only a short, ordered selection goes into the prompt; the full list serves correction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

DRUG = "drug"
CONDITION = "condition"
CATEGORIES = (DRUG, CONDITION)
# ~4 characters per BPE token on English text; keep well under Whisper's 223-token prompt window so the
# per-call context (e.g. the previous turn) still fits after it.
PROMPT_CHAR_BUDGET = 480


class LexiconError(ValueError):
    """A lexicon file line is malformed. The message gives the line number only."""


@dataclass(frozen=True)
class Lexicon:
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category -> terms, file order

    @property
    def drugs(self) -> tuple[str, ...]:
        return self.terms.get(DRUG, ())

    @property
    def conditions(self) -> tuple[str, ...]:
        return self.terms.get(CONDITION, ())

    def all_terms(self) -> tuple[str, ...]:
        return tuple(t for category in self.terms for t in self.terms[category])

    def with_extra(self, *, category: str, extra: Iterable[str]) -> Lexicon:
        merged = dict(self.terms)
        merged[category] = tuple(dict.fromkeys([*merged.get(category, ()), *(e.strip().lower() for e in extra)]))
        return Lexicon(terms=merged)


def parse_lexicon(text: str) -> Lexicon:
    found: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        category, sep, term = line.partition(":")
        category, term = category.strip().lower(), term.strip().lower()
        if not sep or category not in CATEGORIES or not term:
            raise LexiconError(f"lexicon line {number}: expected 'drug: term' or 'condition: term'")
        found.setdefault(category, [])
        if term not in found[category]:
            found[category].append(term)
    return Lexicon(terms={c: tuple(found[c]) for c in CATEGORIES if c in found})


def default_lexicon() -> Lexicon:
    """The list shipped with the package (``services/asr/data/medical_terms.txt``)."""
    text = resources.files("services.asr").joinpath("data/medical_terms.txt").read_text(encoding="utf-8")
    return parse_lexicon(text)


def load_lexicon(path: str | Path | None) -> Lexicon:
    if path is None:
        return default_lexicon()
    return parse_lexicon(Path(path).read_text(encoding="utf-8"))


def decoder_prompt(terms: Sequence[str], *, budget: int = PROMPT_CHAR_BUDGET) -> str | None:
    """A short, natural prompt listing terms in the given order until the budget is spent.

    Whisper follows the style and spelling of its prompt, so a plain comma list of correctly spelled
    terms is what biases it towards them; sentences of context would invite the model to echo them."""
    picked: list[str] = []
    used = 0
    for term in terms:
        cost = len(term) + 2
        if used + cost > budget:
            break
        picked.append(term)
        used += cost
    return ("Medications: " + ", ".join(picked) + ".") if picked else None


_LETTERS = re.compile(r"[^a-z]")


def letters(text: str) -> str:
    """Lower-case letters only: the spelling a correction compares ("co-codamol" -> "cocodamol")."""
    return _LETTERS.sub("", text.lower())
