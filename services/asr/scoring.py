"""Scoring a transcript against a reference: WER, medical-term and drug-name error, speaker attribution.

Text normalizer: Whisper's ``EnglishTextNormalizer`` (the one the published PriMock57 figures use), from
the PyPI package ``whisper-normalizer`` (offline, no model). Before it, reference markup is removed:
``<UNSURE>…</UNSURE>`` keeps its words, ``<UNIN/>`` (unintelligible) and other tags are dropped.
After it, ``variants=True`` (the default) merges spelling variants that transcription conventions choose
freely and that are not recognition errors: ok/okay, alright/all right, and the fillers uhh/uhm/umm/mm-hmm
that the Whisper normalizer does not already drop. ``variants=False`` is the plain Whisper normalizer.

Term errors are counted on the alignment of the normalized word sequences (jiwer): a term occurrence in the
reference is right when every one of its words is aligned to an identical hypothesis word. Drug names that
appear in the hypothesis where the reference has no such word are counted separately ("inserted drugs"):
that is the error a vocabulary bias or a correction step must not make.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jiwer

_MARKUP = re.compile(r"<UNIN/>|<[^>]+>", re.IGNORECASE)


@lru_cache(maxsize=1)
def _normalizer():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


_VARIANTS = {"ok": "okay", "alright": "all right", "uhh": "", "uhm": "", "umm": "", "mhm": "", "mmhmm": ""}


def normalize(text: str, *, variants: bool = True) -> str:
    normalized = _normalizer()(_MARKUP.sub(" ", text)).strip()
    if not variants:
        return normalized
    return " ".join(w for w in (_VARIANTS.get(t, t) for t in normalized.split()) if w)


def tokens(text: str, *, variants: bool = True) -> list[str]:
    return normalize(text, variants=variants).split()


@dataclass(frozen=True)
class SpeakerWords:
    words: list[str]
    speakers: list[str | None]


def speaker_words(turns: Iterable[tuple[str | None, str]], *, variants: bool = True) -> SpeakerWords:
    words: list[str] = []
    speakers: list[str | None] = []
    for speaker, text in turns:
        toks = tokens(text, variants=variants)
        words += toks
        speakers += [speaker] * len(toks)
    return SpeakerWords(words=words, speakers=speakers)


@dataclass
class TermCounts:
    total: int = 0
    wrong: int = 0
    inserted: int = 0  # in the hypothesis, not aligned to the same word in the reference

    def add(self, other: TermCounts) -> None:
        self.total += other.total
        self.wrong += other.wrong
        self.inserted += other.inserted

    @property
    def error_rate(self) -> float | None:
        return self.wrong / self.total if self.total else None


@dataclass
class FileScore:
    ref_words: int
    errors: int  # substitutions + deletions + insertions
    substitutions: int
    deletions: int
    insertions: int
    medical: TermCounts = field(default_factory=TermCounts)
    drugs: TermCounts = field(default_factory=TermCounts)
    speaker_matched: int = 0  # correctly recognized words whose speaker is known on both sides
    speaker_right: int = 0

    @property
    def wer(self) -> float:
        return self.errors / self.ref_words if self.ref_words else 0.0


def _term_patterns(terms: Iterable[str]) -> list[tuple[str, ...]]:
    patterns = {tuple(tokens(t)) for t in terms}
    return sorted((p for p in patterns if p), key=len, reverse=True)


def _occurrences(words: Sequence[str], patterns: Sequence[tuple[str, ...]]) -> list[range]:
    """Non-overlapping occurrences, longest pattern first ("type 2 diabetes" before "diabetes")."""
    taken = [False] * len(words)
    found: list[range] = []
    for pattern in patterns:
        n = len(pattern)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == pattern and not any(taken[i : i + n]):
                found.append(range(i, i + n))
                for k in range(i, i + n):
                    taken[k] = True
    return found


def score(
    *,
    reference: SpeakerWords,
    hypothesis: SpeakerWords,
    medical_terms: Sequence[str],
    drug_terms: Sequence[str],
) -> FileScore:
    ref, hyp = reference.words, hypothesis.words
    if not ref:
        return FileScore(ref_words=0, errors=len(hyp), substitutions=0, deletions=0, insertions=len(hyp))
    if not hyp:
        result = FileScore(ref_words=len(ref), errors=len(ref), substitutions=0, deletions=len(ref), insertions=0)
        hyp_map: dict[int, int] = {}
    else:
        out = jiwer.process_words(" ".join(ref), " ".join(hyp))
        result = FileScore(
            ref_words=len(ref),
            errors=out.substitutions + out.deletions + out.insertions,
            substitutions=out.substitutions,
            deletions=out.deletions,
            insertions=out.insertions,
        )
        hyp_map = {}  # reference index -> hypothesis index, for words aligned as equal
        for chunk in out.alignments[0]:
            if chunk.type == "equal":
                for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                    hyp_map[chunk.ref_start_idx + k] = chunk.hyp_start_idx + k
    for counts, terms in ((result.medical, medical_terms), (result.drugs, drug_terms)):
        patterns = _term_patterns(terms)
        for occ in _occurrences(ref, patterns):
            counts.total += 1
            counts.wrong += not all(i in hyp_map for i in occ)
        matched_hyp = set(hyp_map.values())
        for occ in _occurrences(hyp, patterns):
            counts.inserted += not all(i in matched_hyp for i in occ)
    for r, h in hyp_map.items():
        rs, hs = reference.speakers[r], hypothesis.speakers[h]
        if rs is not None and hs is not None:
            result.speaker_matched += 1
            result.speaker_right += rs == hs
    return result


ROLE_ALIASES = {
    "d": "clinician",
    "doctor": "clinician",
    "dr": "clinician",
    "clinician": "clinician",
    "physician": "clinician",
    "p": "patient",
    "patient": "patient",
}


def canonical_speaker(label: str | None) -> str | None:
    if label is None:
        return None
    return ROLE_ALIASES.get(label.strip().lower(), label.strip().lower())
