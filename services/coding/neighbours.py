"""Nearest-neighbour code propagation: codes that professional coders gave to the training reports most similar
to this note become candidates, each with the statement of the note that names it.

The association votes (:mod:`services.coding.learned`) see one word or word pair at a time; whole-report
similarity sees the case: reports about a renal colic share the catch-all codes coders add around it (R52 pain,
N28.9, R10.9) even when no single phrase is a strong enough vote. Similarity is cosine over TF-IDF vectors of the
same codable phrases the associations use (unigrams and adjacent pairs; negated clauses lend none of their words),
so a negated finding cannot make a note look like reports that had it.

A neighbour code is never a candidate on similarity alone: it needs an **evidence statement** in the note, one
whose codable words name the code (a content word of its ICD-10-CM description or inclusion terms, a clinical
synonym of one, or a phrase the association table links to it). No such statement, no candidate. The caller
applies every other guard (billable, admissible chapters, Excludes1, outpatient rules) as for the associations.

Pure: numpy only; the vectors are part of the packaged association file (built by
:mod:`services.coding.train_associations` from the TRAIN split: phrase weights and code lists, no text).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from services.coding.matcher import (
    _GENERIC,
    _STOP,
    LATERAL,
    ORGAN_PAIRS,
    Assertion,
    assertions,
    clauses,
    lends_no_words,
)

K = 40  # neighbours whose codes are proposed
RIDGE_LAMBDA = 1.0  # L2 strength of the per-code linear classifiers (kernel ridge over the same vectors; train CV)
MIN_DF = 2  # a phrase must occur in two training reports to be part of the similarity
TOP_TERMS = 120  # phrases kept per training report (the heaviest): the file stays small, similarity barely moves
MIN_SIMILARITY = 0.05

# Clinical adjectives and the nouns ICD-10-CM descriptions use, both directions evidence of each other: the organ
# pairs the description matcher uses, and a few more that are evidence but not description words.
_EXTRA_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pleural", ("pleura",)), ("pleura", ("pleural",)), ("venous", ("vein",)), ("vein", ("venous",)),
    ("arterial", ("artery",)), ("artery", ("arterial",)), ("abdominal", ("abdomen",)), ("abdomen", ("abdominal",)),
    ("vascular", ("vessel",)), ("trauma", ("injury",)), ("traumatism", ("injury",)), ("injury", ("trauma", "traumatism")),
    ("tumor", ("neoplasm", "mass")), ("neoplasm", ("tumor",)), ("mass", ("tumor",)), ("carcinoma", ("malignant",)),
    ("malignant", ("carcinoma",)), ("fever", ("febrile",)), ("febrile", ("fever",)), ("painful", ("pain",)),
    ("pain", ("painful",)), ("lumbar", ("back",)), ("thoracic", ("chest",)), ("chest", ("thoracic",)),
)


def _synonyms() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for adjective, noun in ORGAN_PAIRS:
        out.setdefault(adjective, []).append(noun)
        out.setdefault(noun, []).append(adjective)
    for word, others in _EXTRA_SYNONYMS:
        out.setdefault(word, []).extend(o for o in others if o not in out.get(word, ()))
    return {w: tuple(o) for w, o in out.items()}


_SYNONYMS: dict[str, tuple[str, ...]] = _synonyms()


def tfidf(counts: Counter[str], *, idf: dict[str, float]) -> dict[str, float]:
    """Sublinear tf x idf, L2-normalised; phrases outside the vocabulary are dropped."""
    weights = {p: (1.0 + math.log(n)) * idf[p] for p, n in counts.items() if p in idf}
    norm = math.sqrt(math.fsum(w * w for w in weights.values()))
    return {p: w / norm for p, w in weights.items()} if norm else {}


def build_neighbours(doc_phrases: Sequence[Counter[str]], doc_codes: Sequence[Sequence[str]]) -> dict:
    """Training reports' phrase counts and billable codes -> the JSON-able index (sorted, deterministic)."""
    df: Counter[str] = Counter()
    for counts in doc_phrases:
        df.update(counts.keys())
    vocab = sorted(p for p, n in df.items() if n >= MIN_DF)
    n_docs = len(doc_phrases)
    idf = {p: math.log((n_docs + 1) / (df[p] + 1)) + 1.0 for p in vocab}
    index = {p: i for i, p in enumerate(vocab)}
    docs = []
    for counts, codes in zip(doc_phrases, doc_codes):
        vec = tfidf(counts, idf=idf)
        top = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]
        docs.append([sorted(set(codes)), [[index[p], round(w, 4)] for p, w in sorted(top, key=lambda kv: index[kv[0]])]])
    return {"vocab": vocab, "idf": [round(idf[p], 4) for p in vocab], "docs": docs}


@dataclass(frozen=True)
class Similarity:
    """One note's cosine similarity to every training report, and what the index reads from it."""

    sims: np.ndarray
    votes: dict[str, NeighbourVote]
    _codes: np.ndarray | None = None  # the per-code linear classifiers' scores (column order of the index)
    _categories: np.ndarray | None = None
    _code_column: dict[str, int] | None = None
    _category_column: dict[str, int] | None = None

    def code_score(self, code: str) -> float:
        """Linear classifier score of ``code`` (about 1: the training reports that look like this note carry it;
        0: unknown code or no evidence)."""
        j = None if self._code_column is None else self._code_column.get(code)
        return 0.0 if j is None or self._codes is None else float(self._codes[j])

    def category_score(self, code: str) -> float:
        """The same for the code's 3-character category (any code of it)."""
        j = None if self._category_column is None else self._category_column.get(_category(code))
        return 0.0 if j is None or self._categories is None else float(self._categories[j])


def _category(code: str) -> str:
    return code.replace(".", "")[:3]


@dataclass(frozen=True)
class NeighbourVote:
    code: str
    score: float  # similarity-weighted share of the K neighbours that carry the code
    count: int  # neighbours that carry it
    best: float  # similarity of the closest neighbour that carries it


class NeighbourIndex:
    def __init__(self, data: dict, *, k: int | None = None, ridge_lambda: float | None = None) -> None:
        vocab = [str(p) for p in data["vocab"]]
        self._index = {p: i for i, p in enumerate(vocab)}
        self._idf = {p: float(w) for p, w in zip(vocab, data["idf"])}
        self._codes: list[tuple[str, ...]] = []
        rows, cols, vals = [], [], []
        for d, (codes, terms) in enumerate(data["docs"]):
            self._codes.append(tuple(str(c) for c in codes))
            for i, w in terms:
                rows.append(d)
                cols.append(int(i))
                vals.append(float(w))
        from scipy import sparse

        self._matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(self._codes), max(1, len(vocab))))
        self._k = k or K
        self._ridge_lambda = RIDGE_LAMBDA if ridge_lambda is None else ridge_lambda
        self._ridge: tuple[np.ndarray, np.ndarray, dict[str, int], dict[str, int]] | None = None
        self._dual()  # at load (tens of milliseconds), not on the first note

    def _dual(self) -> tuple[np.ndarray, np.ndarray, dict[str, int], dict[str, int]]:
        """One-vs-rest linear classifiers for every training code and category, fitted by regularised least squares
        on the same TF-IDF vectors (kernel form: ``A = (X Xt + lambda I)^-1 Y``, so a note's scores are its
        similarities times ``A``). Derived from the packaged vectors and code lists when the index loads: nothing more
        is shipped, and a fold's index (cross-validation) gets the classifiers of its own training reports only."""
        if self._ridge is None:
            codes = sorted({c for cs in self._codes for c in cs})
            categories = sorted({_category(c) for c in codes})
            code_column = {c: j for j, c in enumerate(codes)}
            category_column = {c: j for j, c in enumerate(categories)}
            n = len(self._codes)
            y = np.zeros((n, len(codes)))
            y_cat = np.zeros((n, len(categories)))
            for d, cs in enumerate(self._codes):
                for c in cs:
                    y[d, code_column[c]] = 1.0
                    y_cat[d, category_column[_category(c)]] = 1.0
            gram = (self._matrix @ self._matrix.T).toarray() + self._ridge_lambda * np.eye(n)
            solved = np.linalg.solve(gram, np.hstack([y, y_cat])) if n else np.zeros((0, len(codes) + len(categories)))
            self._ridge = (solved[:, : len(codes)], solved[:, len(codes):], code_column, category_column)
        return self._ridge

    def votes(self, counts: Counter[str]) -> dict[str, NeighbourVote]:
        """The note's codable phrase counts -> every code its K nearest training reports carry."""
        return self.similarity(counts).votes

    def similarity(self, counts: Counter[str]) -> Similarity:
        """The note's codable phrase counts -> its neighbours' code votes and the linear classifiers' scores."""
        q = tfidf(counts, idf=self._idf)
        if not q or not self._codes:
            return Similarity(sims=np.zeros(len(self._codes)), votes={})
        query = np.zeros(self._matrix.shape[1])
        for p, w in q.items():
            query[self._index[p]] = w
        sims = self._matrix @ query
        a_codes, a_categories, code_column, category_column = self._dual()
        return Similarity(sims=sims, votes=self._votes(sims), _codes=sims @ a_codes, _categories=sims @ a_categories,
                          _code_column=code_column, _category_column=category_column)

    def _votes(self, sims: np.ndarray) -> dict[str, NeighbourVote]:
        # Stable order: ties go to the earlier training report, whatever the platform's sort.
        order = [int(j) for j in np.argsort(-sims, kind="stable")[: self._k] if sims[j] >= MIN_SIMILARITY]
        total = math.fsum(float(sims[j]) for j in order)
        if not total:
            return {}
        acc: dict[str, list[float]] = {}
        for j in order:
            for code in self._codes[j]:
                acc.setdefault(code, []).append(float(sims[j]))
        return {c: NeighbourVote(code=c, score=math.fsum(s) / total, count=len(s), best=max(s)) for c, s in acc.items()}


def evidence_words(description_terms: Iterable[str]) -> frozenset[str]:
    """Content words of a code's description and inclusion terms (already tokenised), with their clinical
    synonyms; vague words ("disorder") and laterality are never evidence on their own."""
    words = {w for w in description_terms if w not in _STOP and w not in _GENERIC and w not in LATERAL and not w.isdigit()}
    return frozenset(words | {s for w in words for s in _SYNONYMS.get(w, ())})


def codable_words(text: str, *, codable: Collection[Assertion]) -> set[str]:
    """Words of a statement a coder may code from: clauses that negate anything lend none (as for the votes)."""
    out: set[str] = set()
    for toks in clauses(text):
        status = assertions(toks)
        if lends_no_words(status, codable=codable):
            continue
        out.update(t for t, a in zip(toks, status) if a in codable)
    return out
