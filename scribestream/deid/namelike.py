"""How much a word no lexicon knows looks like a person's name rather than an English or medical word: a character
n-gram naive Bayes model trained at load time on the name lists (given names and surnames of 105 countries, the
US Census surnames) against the English lexicon (spaCy's lemma tables) and the project's drug names.

Why: speech transcripts are full of names that no list holds ("Mosinmileoluwa", "Prachayaroch"); their spelling
still gives them away, while the out-of-vocabulary words of clinical speech are medical terms ("colectomy",
"hepatosplenomegaly"), comparatives ("stiffer") and misspellings, which look like English. The score is the mean
per-n-gram log-likelihood ratio (names vs words): > 0 leans name."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path

from shared.files import write_atomic

_ORDERS = (2, 3, 4)


def _grams(word: str) -> list[str]:
    w = f"^{word}$"
    return [w[i:i + k] for k in _ORDERS for i in range(len(w) - k + 1)]


class NameLikeness:
    """Naive Bayes over character 2–4-grams with word boundaries, add-one smoothing, equal class priors."""

    def __init__(self, *, names: Iterable[str] = (), words: Iterable[str] = ()) -> None:
        name_counts: Counter[str] = Counter()
        word_counts: Counter[str] = Counter()
        for name in names:
            name_counts.update(_grams(name.lower()))
        for word in words:
            word_counts.update(_grams(word.lower()))
        vocabulary = len(name_counts.keys() | word_counts.keys()) + 1
        name_total, word_total = sum(name_counts.values()) + vocabulary, sum(word_counts.values()) + vocabulary
        # one log-ratio per n-gram seen in training; an unseen one is uninformative under equal smoothing mass
        self._ratio = {g: math.log((name_counts[g] + 1) / name_total) - math.log((word_counts[g] + 1) / word_total)
                       for g in name_counts.keys() | word_counts.keys()}
        self._unseen = math.log(word_total / name_total)

    def score(self, word: str) -> float:
        grams = _grams(word.lower())
        return sum(self._ratio.get(g, self._unseen) for g in grams) / len(grams)

    @classmethod
    def cached(cls, *, names: Collection[str], words: Collection[str], cache_dir: Path) -> NameLikeness:
        """Trained once for these exact lists (training takes seconds; reading the table back, a fraction of it),
        kept in ``cache_dir``; trained in memory when that cannot be written."""
        digest = hashlib.sha256("\n".join(sorted(names)).encode() + b"\0" + "\n".join(sorted(words)).encode())
        path = cache_dir / f"deid-namelike-{digest.hexdigest()[:16]}.json"
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            model = cls(names=names, words=words)
            try:
                write_atomic(path, json.dumps({"ratio": model._ratio, "unseen": model._unseen}))
            except OSError:
                pass  # read-only: keep the model trained in memory
            return model
        model = cls()
        model._ratio, model._unseen = table["ratio"], table["unseen"]
        return model
