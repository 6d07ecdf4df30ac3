"""Post-recognition correction: map a near-miss phrase to a lexicon term, only when the audio supports it.

A phrase ("meth form in") is replaced by a term ("metformin") only when ALL of these hold:
  * it sounds like the term: the Metaphone codes of the joined phrase and the term are close, and
  * it is spelled like the term: the normalized edit similarity of the joined letters is high, and
  * the recognizer itself was unsure of it: the mean word probability of the phrase is low.
The last rule is what keeps real words real: "I met four men" decoded with confidence stays as said,
however close it sounds to a drug. So a word is never turned into a drug the model heard clearly as
something else, and a confident recognition of the term is never needed in the first place.

Pure: works on ``Word`` lists; the phonetic and edit-distance functions come from jellyfish/rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import jellyfish
import numpy as np
from rapidfuzz.distance import Levenshtein

from services.asr.domain import Segment, Transcriber, Word
from services.asr.vocabulary import letters


@dataclass(frozen=True)
class CorrectionConfig:
    max_words: int = 4  # a drug name split by the decoder rarely spans more words ("Matt for me in")
    min_term_letters: int = 5  # short terms ("senna") collide with too many ordinary words
    max_probability: float = 0.55  # mean word probability above this = the model heard it clearly
    min_spelling: float = 0.72  # 1 - normalized Levenshtein distance of the joined letters
    min_sound: float = 0.70  # same on the Metaphone codes
    min_score: float = 0.80  # mean of spelling and sound
    # Re-scoring: the corrected transcript may fit the audio at most this much worse (total log-probability,
    # nats, per letter of the term) than what was decoded. A rare drug name costs its few, rare tokens a low
    # prior even when it was said (measured on espeak speech: "metformin" for "Matt for me in" -7.1 nats,
    # "rosuvastatin" for "Rossumastatin" -9.5, both ~0.8 per letter), so the budget grows with the term;
    # text the model heard clearly as something else scores far lower ("I metformin atorvastatin" for
    # "I met four men at the station": -45 nats, ~2 per letter).
    max_logprob_loss_per_letter: float = 1.0


@dataclass(frozen=True)
class Correction:
    start: int  # word index in the segment
    end: int  # exclusive
    term: str
    score: float


@dataclass(frozen=True)
class _Entry:
    term: str
    letters: str
    sound: str


class TermCorrector:
    def __init__(self, terms: Sequence[str], *, cfg: CorrectionConfig | None = None) -> None:
        self._cfg = cfg or CorrectionConfig()
        self._entries = [
            _Entry(term=t, letters=letters(t), sound=jellyfish.metaphone(letters(t)))
            for t in dict.fromkeys(terms)
            if len(letters(t)) >= self._cfg.min_term_letters
        ]
        self._known = {letters(t) for t in terms}

    @property
    def config(self) -> CorrectionConfig:
        return self._cfg

    def find(self, words: Sequence[Word]) -> list[Correction]:
        """Non-overlapping corrections, best-scoring first, then returned in word order."""
        cfg = self._cfg
        tokens = [letters(w.text) for w in words]
        candidates: list[Correction] = []
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + cfg.max_words) + 1):
                span = tokens[start:end]
                if not all(span):
                    break  # a number or punctuation-only token: never join across it
                if span[-1] in self._known:
                    break  # a term decoded as such is never merged into another one
                joined = "".join(span)
                if joined in self._known:
                    continue  # already a lexicon term as decoded, only split ("co codamol")
                probability = sum(w.probability for w in words[start:end]) / (end - start)
                if probability > cfg.max_probability:
                    continue
                best = self._best(joined)
                if best is not None:
                    candidates.append(Correction(start=start, end=end, term=best[0], score=best[1]))
        chosen: list[Correction] = []
        taken: set[int] = set()
        for c in sorted(candidates, key=lambda c: (-c.score, c.start)):
            if taken.isdisjoint(range(c.start, c.end)):
                chosen.append(c)
                taken.update(range(c.start, c.end))
        return sorted(chosen, key=lambda c: c.start)

    def mentions_term(self, text: str) -> bool:
        return any(letters(w) in self._known for w in text.split())

    def might_correct(self, text: str) -> bool:
        """Whether any phrase of ``text`` matches a term by sound and spelling alone (cheap: no audio).
        Only then are word probabilities worth an alignment pass."""
        return bool(self.find(_unsure_words(text)))

    def is_term(self, word: Word) -> bool:
        return letters(word.text) in self._known

    def sounds_like(self, term: str, heard: Sequence[Word]) -> bool:
        """Whether some run of ``heard`` words sounds and is spelled like ``term`` (no probability gate:
        used to confirm a term against a decode made without the vocabulary bias)."""
        cfg = self._cfg
        target = letters(term)
        target_sound = jellyfish.metaphone(target)
        tokens = [letters(w.text) for w in heard]
        for start in range(len(tokens)):
            joined = ""
            for end in range(start, min(len(tokens), start + cfg.max_words + 1)):
                joined += tokens[end]
                if joined == target:
                    return True
                spelling = Levenshtein.normalized_similarity(joined, target)
                heard_sound = Levenshtein.normalized_similarity(jellyfish.metaphone(joined), target_sound)
                if spelling >= cfg.min_spelling and heard_sound >= cfg.min_sound:
                    return True
        return False

    def unconfirmed_terms(self, biased: Sequence[Segment], plain: Sequence[Segment]) -> int:
        """Lexicon terms the model was unsure of in the ``biased`` (prompted) decode that the ``plain``
        (unprompted) decode of the same utterance did not hear anything like. Such a term came from the
        prompt, not from the audio. The whole utterance is searched: word times of two decodes of short
        speech differ by more than a word, and an utterance is a few seconds."""
        plain_words = [Word(text=w, start=0.0, end=0.0, probability=0.0) for s in plain for w in s.text.split()]
        count = 0
        for segment in biased:
            for word in segment.words:
                if not self.is_term(word) or word.probability > self._cfg.max_probability:
                    continue
                count += not self.sounds_like(letters(word.text), plain_words)
        return count

    def _best(self, joined: str) -> tuple[str, float] | None:
        cfg = self._cfg
        sound = jellyfish.metaphone(joined)
        best: tuple[str, float] | None = None
        for entry in self._entries:
            if abs(len(entry.letters) - len(joined)) > max(2, len(entry.letters) // 3):
                continue
            spelling = Levenshtein.normalized_similarity(joined, entry.letters)
            if spelling < cfg.min_spelling:
                continue
            heard = Levenshtein.normalized_similarity(sound, entry.sound)
            score = (spelling + heard) / 2
            if heard >= cfg.min_sound and score >= cfg.min_score and (best is None or score > best[1]):
                best = (entry.term, score)
        return best

    def correct_segment(self, segment: Segment) -> tuple[Segment, int]:
        """All candidate fixes applied, without audio verification (see ``CorrectingTranscriber``).
        Without word-level output there is no evidence to act on, so the segment is returned as is."""
        fixes = self.find(segment.words) if segment.words else []
        return apply_fixes(segment, fixes), len(fixes)


def apply_fixes(segment: Segment, fixes: Sequence[Correction]) -> Segment:
    if not fixes:
        return segment
    words = list(segment.words)
    for fix in sorted(fixes, key=lambda f: f.start, reverse=True):
        span = words[fix.start : fix.end]
        lead = re.match(r"\s*", span[0].text).group(0)
        trail = re.search(r"[^\w]*$", span[-1].text).group(0)
        words[fix.start : fix.end] = [
            Word(
                text=f"{lead}{fix.term}{trail}",
                start=span[0].start,
                end=span[-1].end,
                probability=min(w.probability for w in span),  # stays honest: the audio was unclear
            )
        ]
    return Segment(
        text="".join(w.text for w in words),
        start=segment.start,
        end=segment.end,
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        compression_ratio=segment.compression_ratio,
        words=tuple(words),
    )


def _unsure_words(text: str) -> list[Word]:
    return [Word(text=f" {w}", start=0.0, end=0.0, probability=0.0) for w in text.split()]


class Scorer(Protocol):
    def score(self, samples: np.ndarray, *, texts: Sequence[str]) -> list[float]:
        """Total log-probability of each text as the transcript of ``samples``."""
        ...

    def words(self, samples: np.ndarray, *, text: str) -> list[Word]:
        """The words of ``text`` with the decoder's probability for each, given ``samples``."""
        ...


@dataclass
class CorrectionStats:
    proposed: int = 0  # near-miss phrases that matched a term
    accepted: int = 0  # ...and that re-scoring supported
    unbiased: int = 0  # utterances re-decoded without the prompt because it made up a drug


class CorrectingTranscriber:
    """A ``Transcriber`` that corrects near-miss drug names in what ``inner`` decodes, each fix checked
    by re-scoring the segment's audio with the term forced (``scorer``)."""

    SAMPLE_RATE = 16000
    PAD_S = 0.2

    def __init__(self, inner: Transcriber, *, scorer: Scorer, corrector: TermCorrector) -> None:
        self._inner = inner
        self._scorer = scorer
        self._corrector = corrector
        self.stats = CorrectionStats()

    @property
    def corrector(self) -> TermCorrector:
        return self._corrector

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        return [self._verified(s, samples) for s in self._inner.transcribe(samples, prompt=prompt)]

    def _verified(self, segment: Segment, samples: np.ndarray) -> Segment:
        lo = max(0, int((segment.start - self.PAD_S) * self.SAMPLE_RATE))
        hi = min(len(samples), int((segment.end + self.PAD_S) * self.SAMPLE_RATE))
        if not segment.words:
            if not self._corrector.might_correct(segment.text):
                return segment  # the common case: nothing sounds like a term, no extra model pass
            words = tuple(self._scorer.words(samples[lo:hi], text=segment.text))
            segment = Segment(text="".join(w.text for w in words) or segment.text, start=segment.start,
                              end=segment.end, avg_logprob=segment.avg_logprob, no_speech_prob=segment.no_speech_prob,
                              compression_ratio=segment.compression_ratio, words=words)
        fixes = self._corrector.find(segment.words)
        if not fixes:
            return segment
        self.stats.proposed += len(fixes)
        texts = [segment.text] + [apply_fixes(segment, [fix]).text for fix in fixes]
        original, *fixed = self._scorer.score(samples[lo:hi], texts=texts)
        per_letter = self._corrector.config.max_logprob_loss_per_letter
        accepted = [
            fix for fix, score in zip(fixes, fixed) if score >= original - per_letter * len(letters(fix.term))
        ]
        self.stats.accepted += len(accepted)
        return apply_fixes(segment, accepted)
