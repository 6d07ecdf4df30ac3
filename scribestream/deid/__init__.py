"""De-identification of transcripts and notes (HIPAA Safe Harbor identifiers that occur in speech and notes).

>>> deid = Deidentifier(key=b"secret")           # loads nothing yet
>>> result = deid.deidentify("Seen by Dr. Okafor on March 3rd.", encounter_id="enc-1")  # loads the model once
>>> result.text, [s.as_dict() for s in result.spans]

Importing this package does no I/O: the spaCy model, Presidio and the name lexicon load on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribestream.deid.anonymize import anonymize, date_offset
from scribestream.deid.spans import Found, PhiType, Span

if TYPE_CHECKING:  # pragma: no cover
    from scribestream.deid.engine import Analyzer

__all__ = ["Deidentified", "Deidentifier", "Found", "PhiType", "Span", "date_offset"]


@dataclass(frozen=True)
class Deidentified:
    text: str
    spans: list[Span]


class Deidentifier:
    """One per process: holds the (lazily loaded) analyzer and the key that fixes each encounter's date shift."""

    def __init__(self, *, key: bytes) -> None:
        if not key:
            raise ValueError("a de-identification key is required")
        self._key = key
        self._analyzer: Analyzer | None = None  # built on first use

    def _analyze(self, text: str) -> list[Found]:
        if self._analyzer is None:
            from scribestream.deid.engine import Analyzer

            self._analyzer = Analyzer().load()
        return self._analyzer.analyze(text)

    def deidentify(self, text: str, *, encounter_id: str = "") -> Deidentified:
        if not text.strip():
            return Deidentified(text=text, spans=[])
        found = self._analyze(text)
        clean, spans = anonymize(text, found, offset_days=date_offset(key=self._key, encounter_id=encounter_id))
        return Deidentified(text=clean, spans=spans)
