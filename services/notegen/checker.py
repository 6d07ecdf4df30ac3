"""Checks each note statement against the turns it cites.

A statement is supported only if its numbers, doses, drug names, sides (left/right) and polarity
(said / denied) are all found in its own evidence turns, and every content word it uses comes from those
turns or from the small fixed vocabulary note templates add ("Reports", "Denies", "Follow up"...). The
checker knows nothing about how the statement was written, so it can judge any backend's output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.notegen.lexicon import LATERALITY, NEGATION_CUES, is_drug
from services.notegen.spoken import doses_in, numbers_in, stem, words
from shared.contracts import SoapNote, Statement, Turn

# Words a note template may add that no speaker needs to have said.
TEMPLATE_WORDS = frozenset(
    ["reports", "report", "reported", "denies", "deny", "takes", "take", "has", "have", "had", "is", "are", "was", "were", "does", "do", "did", "not", "no", "the", "a", "an", "their", "patient", "patient's", "chief", "complaint", "allergic", "to", "follow", "up", "in", "of", "and", "or", "with", "for", "on", "at", "by", "as", "be", "been", "cannot", "can", "feels", "gets", "says", "states", "that", "this", "it", "its", "impression", "taking", "themselves", "they", "them", "will", "would"]
)
STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "so", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that", "these", "those", "there", "here", "then", "than", "very", "just", "about", "also", "too", "um", "uh", "like", "well", "okay", "ok", "really", "some", "any"]
)
_NEGATIVE_ANSWER = re.compile(r"^\W*(?:no|nope|nah|not really|never|none|negative|nothing)\b", re.IGNORECASE)
_POSITIVE_ANSWER = re.compile(r"^\W*(?:yes|yeah|yep|yup|mm-hmm|uh-huh|i do|i have|i am|sometimes|correct|right)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CheckResult:
    supported: bool
    # Machine-readable failure reasons ("number", "negation", ...): safe to log, they carry no note text.
    reasons: tuple[str, ...] = ()


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text.strip()) if s]


def _negated(text: str) -> bool:
    return any(t in NEGATION_CUES or t.endswith("n't") for t in words(text))


def _content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and w not in NEGATION_CUES and not w[0].isdigit()}


def _is_cue(token: str) -> bool:
    return token in NEGATION_CUES or token.endswith("n't")


_CLAUSE_BREAK = frozenset({"yeah", "yes", "okay", "ok", "so", "but", "well", "because", "then", "that", "alright"})


def _scope(toks: list[str], *, start: int, width: int, concept: set[str]) -> list[str]:
    """The matched stretch (first to last concept word) and up to three words before it, not crossing a
    clause break ("yeah", "but", "so"): where a "no" that governs the concept would be."""
    hits = [i for i in range(start, min(start + width, len(toks))) if stem(toks[i]) in concept]
    first, last = hits[0], hits[-1]
    lead = first
    while lead > 0 and first - lead < 3 and toks[lead - 1] not in _CLAUSE_BREAK:
        lead -= 1
    return toks[lead : last + 1]


def _template_stems(vocabulary: frozenset[str]) -> set[str]:
    return {stem(w) for w in TEMPLATE_WORDS | vocabulary}


def _statement_negated(text: str, *, vocabulary: frozenset[str] = frozenset()) -> bool:
    """Polarity of a statement, judged over the same kind of scope as the evidence so both sides match."""
    toks = words(text)
    concept = _content_stems(text) - _template_stems(vocabulary)
    if not any(stem(t) in concept for t in toks):
        return _negated(text)
    return any(_is_cue(t) for t in _scope(toks, start=0, width=len(toks), concept=concept))


def _evidence_polarity(statement: Statement, evidence: Sequence[Turn], *,
                       vocabulary: frozenset[str] = frozenset()) -> bool | None:
    """True if the evidence negates what the statement talks about, False if it affirms it, None if unclear.

    Looks at the stretch of evidence that best matches the statement (plus a few words before it, where
    "no" / "denies" sit), not the whole turn: one long turn often denies one thing and reports another.
    """
    concept = _content_stems(statement.text) - _template_stems(vocabulary)
    if not concept:
        return None
    width = max(len(words(statement.text)) + 2, 4)
    best: tuple[int, int, list[str], Turn, str] | None = None  # (overlap, -start, window, turn, sentence)
    for turn in evidence:
        for sentence in _sentences(turn.text):
            toks = words(sentence)
            for start in range(max(len(toks) - width + 1, 1)):
                window = toks[start : start + width]
                overlap = len(concept & {stem(w) for w in window})
                if overlap and (best is None or overlap > best[0]):
                    best = (overlap, start, _scope(toks, start=start, width=width, concept=concept), turn, sentence)
    if best is None:
        return None
    _, _, window, turn, sentence = best
    if sentence.rstrip().endswith("?"):
        # The concept was asked about: polarity is the other party's short answer among the cited turns.
        for other in evidence:
            if other.turn_id == turn.turn_id:
                continue
            if _NEGATIVE_ANSWER.match(other.text):
                return True
            if _POSITIVE_ANSWER.match(other.text):
                return False
        return None
    return any(_is_cue(t) for t in window)


def check_statement(statement: Statement, evidence: Sequence[Turn], *, max_ungrounded: int = 0,
                    vocabulary: frozenset[str] = frozenset()) -> CheckResult:
    """Judge one statement against its evidence turns (those it cites, in transcript order).

    ``vocabulary``: extra fixed words a template's wording may add (e.g. the patient summary's "you",
    "high blood pressure"); like the built-in template words they need no speaker, but numbers, doses,
    drugs, sides and polarity are checked as always."""
    if not statement.evidence_turn_ids or len(evidence) != len(set(statement.evidence_turn_ids)):
        return CheckResult(False, ("no_evidence",))
    source = " ".join(t.text for t in evidence)
    source_words = set(words(source))
    source_stems = {stem(w) for w in source_words}
    reasons: list[str] = []

    if not set(numbers_in(statement.text)) <= set(numbers_in(source)):
        reasons.append("number")
    if not set(doses_in(statement.text)) <= set(doses_in(source)):
        reasons.append("dose")
    stmt_words = words(statement.text)
    if any(is_drug(w) and w not in source_words for w in stmt_words):
        reasons.append("drug")
    if any(w in LATERALITY and w not in source_words for w in stmt_words):
        reasons.append("laterality")
    polarity = _evidence_polarity(statement, evidence, vocabulary=vocabulary)
    if polarity is not None and polarity != _statement_negated(statement.text, vocabulary=vocabulary):
        reasons.append("negation")
    ungrounded = [
        w for w in stmt_words
        if not w[0].isdigit() and w not in STOPWORDS and w not in TEMPLATE_WORDS and w not in NEGATION_CUES
        and w not in vocabulary and w not in source_words and stem(w) not in source_stems
    ]
    if len(ungrounded) > max_ungrounded:
        reasons.append("ungrounded_words")
    return CheckResult(not reasons, tuple(reasons))


def check_statements(statements: Sequence[Statement], turns: Sequence[Turn], *,
                     vocabulary: frozenset[str] = frozenset()) -> list[Statement]:
    """The statements with ``supported`` set, each judged against the turns it cites (in transcript order)."""
    by_id = {t.turn_id: t for t in turns}
    order = {t.turn_id: i for i, t in enumerate(turns)}
    checked: list[Statement] = []
    for st in statements:
        cited = [by_id[i] for i in st.evidence_turn_ids if i in by_id]
        cited.sort(key=lambda t: order[t.turn_id])
        if len(cited) != len(st.evidence_turn_ids):
            result = CheckResult(False, ("unknown_turn",))
        else:
            result = check_statement(st, cited, vocabulary=vocabulary)
        checked.append(st.model_copy(update={"supported": result.supported}))
    return checked


def check_note(note: SoapNote, turns: Sequence[Turn]) -> tuple[SoapNote, list[str]]:
    """Return the note with ``supported`` set on every statement, and the ids of unsupported statements."""
    sections = {name: check_statements(getattr(note, name), turns)
                for name in ("subjective", "objective", "assessment", "plan")}
    checked = SoapNote(**sections)
    return checked, [st.statement_id for st in checked.statements() if not st.supported]
