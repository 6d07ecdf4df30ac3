"""Semantic similarity between a candidate code's ICD-10-CM description and the note's statements: one more
feature for the re-ranker, from a pre-trained static sentence embedding.

The rules and the learned associations reach a candidate through words; how close its description sits in meaning
to what the note says ("smoker of 20 cigarettes a day" and "Nicotine dependence, cigarettes") is information they
do not carry, and it survives the paraphrases and translation artifacts that word matching misses. The feature never
makes a candidate: it only re-estimates candidates the rules admitted (negation and assertion stay theirs).

Port: :class:`Embedder` (texts -> unit-length vectors). Adapter: :class:`WordLlamaEmbedder`, the 256-dimension
WordLlama model whose weights and tokenizer ship inside the ``wordllama`` wheel on PyPI (MIT; token embeddings
distilled from Llama 2). It is loaded from the installed package with downloads disabled, on first use, never at
import time; nothing is fetched at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> one unit-length row per text."""
        ...

    def embed_codes(self, codes: Iterable[str], describe: Callable[[str], str]) -> dict[str, np.ndarray]:
        """Codes -> the unit-length vector of each one's description (``describe``), cached by code."""
        ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


class WordLlamaEmbedder:
    """WordLlama's bundled model (``l2_supercat``, 256 dimensions). Code descriptions are embedded once each and
    kept: a code set's candidates repeat from note to note."""

    DIMENSIONS = 256

    def __init__(self) -> None:
        self._model = None
        self._descriptions: dict[str, np.ndarray] = {}

    def load(self) -> WordLlamaEmbedder:
        if self._model is None:
            import wordllama
            from wordllama import WordLlama

            # The package's own directory holds weights/ and tokenizers/ in the layout of WordLlama's cache, so
            # pointing the cache there loads the wheel's files; disable_download makes a missing file an error.
            self._model = WordLlama.load(config="l2_supercat", dim=self.DIMENSIONS,
                                         cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.DIMENSIONS), dtype=np.float32)
        return _unit(self.load()._model.embed(list(texts)))  # type: ignore[union-attr]

    def embed_codes(self, codes: Iterable[str], describe: Callable[[str], str]) -> dict[str, np.ndarray]:
        codes = list(dict.fromkeys(codes))
        missing = [c for c in codes if c not in self._descriptions]
        if missing:
            self._descriptions.update(zip(missing, self.embed([describe(c) or c for c in missing])))
        return {c: self._descriptions[c] for c in codes}


def description_similarity(
    codes: Sequence[str], texts: Sequence[str], *, embedder: Embedder, describe: Callable[[str], str],
) -> dict[str, float]:
    """Each code -> the highest cosine between its description and any of the note's statements (0 with no text)."""
    texts = [t for t in texts if t.strip()]
    if not codes or not texts:
        return {}
    statements = embedder.embed(texts)
    by_code = embedder.embed_codes(codes, describe)
    matrix = np.stack([by_code[c] for c in codes])
    best = (matrix @ statements.T).max(axis=1)
    return {c: float(s) for c, s in zip(codes, best)}
