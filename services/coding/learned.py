"""Learned phrase -> code associations: a statistical complement to the curated lexicon and description matcher.

The table is learned from professionally coded case reports (CodiEsp train split, see
:mod:`services.coding.train_associations`): for every word and word pair ("renal colic", "brucella") and every
code, how often documents using the phrase carry the code. A phrase votes for a code with the smoothed share
``n(phrase, code) / (n(phrase) + alpha)``, an estimate of the precision of that vote; a code's score is its
best vote, and the statement holding that phrase is its evidence.

Only words a coder may code from feed the table: negated mentions never do, and uncertain or historical ones
only in the inpatient-style evaluation mode (the caller passes the assertions it accepts); a clause that negates
anything (or doubts it, where doubt is not codable) votes with none of its words, because an association's
phrase need not be the finding itself. Assertion cue words ("no", "history", "possible") are never features. Pure: stdlib only; the table is
a packaged data file, nothing is downloaded.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from services.coding.matcher import (
    _STOP,
    Assertion,
    assertions,
    clauses,
    cue_tokens,
    lends_no_words,
    phrase_starts,
    tokens,
)
from services.coding.neighbours import NeighbourIndex

DEFAULT_TABLE = Path(__file__).with_name("data") / "codiesp_associations.json.gz"
FORMAT = "scribestream-coding-associations/1"

# Description stop words that professional coders still code from: a bare "disease" ("the disease progressed",
# "underlying disease") is coded R69 (Index: Illness, see also Disease) in 79 of the 99 CodiEsp train reports that
# carry R69, and only 44 of the other 401 use the word. The matcher keeps it a stop word (it names no code by itself).
_LEARNED_STOP = _STOP - {"disease"}
# A procedure told as uneventful names no finding: "the patient was intubated without complications" lends none of its
# words to a statistical vote (the negation test set's sentence; "intubated" alone had voted for J39.8).
_UNEVENTFUL = tuple(tuple(tokens(p)) for p in ("without complications", "without complication", "uneventful",
                                               "uneventfully"))


def phrases(text: str, *, codable: Collection[Assertion]) -> Iterator[str]:
    """Unigrams (content words) and adjacent word pairs of the codable part of ``text``; the trainer and the
    scorer share this function, so both see exactly the same features."""
    for toks in clauses(text):
        status = assertions(toks)
        if lends_no_words(status, codable=codable) or any(phrase_starts(toks, p) for p in _UNEVENTFUL):
            continue
        prev: str | None = None
        # The words read as a cue in this clause ("history of", "not well controlled") are context, never evidence.
        for word, assertion, cue in zip(toks, status, cue_tokens(toks)):
            if assertion not in codable or word.isdigit() or cue:
                prev = None
                continue
            if word not in _LEARNED_STOP:
                yield word
            if prev is not None:
                yield f"{prev}_{word}"
            prev = word


@dataclass(frozen=True)
class Vote:
    code: str
    score: float  # estimated precision of the best phrase voting for the code
    statement_ids: tuple[str, ...]  # statements holding that phrase
    phrases: int = 1  # (statement, phrase) pairs voting for the code: agreeing evidence, a re-ranking feature
    total: float = 0.0  # sum of those votes
    documents: int = 0  # co-occurrence count behind the best vote (how much evidence the estimate rests on)


class AssociationTable:
    def __init__(self, *, table: dict[str, tuple[int, list[tuple[str, int]]]], alpha: float, min_score: float,
                 code_documents: dict[str, int] | None = None, documents: int = 0,
                 neighbours: NeighbourIndex | None = None) -> None:
        self._table = table
        self._alpha = alpha
        self.min_score = min_score
        # How many training documents carry each code: the prior a re-ranker weighs a vote against.
        self.code_documents = code_documents or {}
        self.documents = documents
        # Whole-report similarity to the training reports (None: an older table without the vectors).
        self.neighbours = neighbours
        self._phrases_of: dict[str, frozenset[str]] | None = None

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> AssociationTable:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != FORMAT:
            raise ValueError("unsupported association table format")
        return cls.from_build(data)

    @classmethod
    def from_build(cls, data: dict) -> AssociationTable:
        """From the trainer's output: the packaged file as read (``load``) or a build in memory (cross-validation
        builds one per fold)."""
        table = {p: (int(df), [(str(c), int(n)) for c, n in pairs]) for p, (df, pairs) in data["phrases"].items()}
        return cls(table=table, alpha=float(data["alpha"]), min_score=float(data["min_score"]),
                   code_documents={str(c): int(n) for c, n in data.get("code_documents", {}).items()},
                   documents=int(data.get("documents", 0)),
                   neighbours=NeighbourIndex(data["neighbours"]) if data.get("neighbours") else None)

    @property
    def codes(self) -> set[str]:
        return {c for _, pairs in self._table.values() for c, _ in pairs}

    def phrases_of(self, code: str) -> frozenset[str]:
        """Phrases of the table that vote for ``code`` at all: evidence for a neighbour code."""
        if self._phrases_of is None:
            rev: dict[str, set[str]] = {}
            for p, (_, pairs) in self._table.items():
                for c, _n in pairs:
                    rev.setdefault(c, set()).add(p)
            self._phrases_of = {c: frozenset(ps) for c, ps in rev.items()}
        return self._phrases_of.get(code, frozenset())

    def votes(self, statements: Iterable[tuple[str, str]], *, codable: Collection[Assertion]) -> list[Vote]:
        """(statement id, text) pairs -> one vote per code, best first."""
        best: dict[str, tuple[float, list[str]]] = {}
        support: dict[str, int] = {}
        total: dict[str, float] = {}
        count: dict[str, int] = {}
        for statement_id, text in statements:
            # Sorted: the vote sums and tie-breaks must not depend on the process's string hashing.
            for phrase in sorted(set(phrases(text, codable=codable))):
                entry = self._table.get(phrase)
                if entry is None:
                    continue
                df, pairs = entry
                for code, n in pairs:
                    score = n / (df + self._alpha)
                    if score < self.min_score:
                        continue
                    support[code] = support.get(code, 0) + 1
                    total[code] = total.get(code, 0.0) + score
                    current = best.get(code)
                    if current is None or score > current[0] + 1e-12:
                        best[code] = (score, [statement_id])
                        count[code] = n
                    elif abs(score - current[0]) <= 1e-12:
                        # Ties (2/4 and 3/6 both vote 0.5) keep the better-supported count, whatever the set order.
                        count[code] = max(count[code], n)
                        if statement_id not in current[1]:
                            current[1].append(statement_id)
        return sorted((Vote(code=c, score=s, statement_ids=tuple(ids), phrases=support[c], total=total[c],
                                    documents=count[c]) for c, (s, ids) in best.items()),
                      key=lambda v: (-v.score, v.code))
