"""Learned re-ranking of ICD-10-CM candidates: boosted trees (or a logistic model) over each candidate's evidence
features.

The rules decide what may be a candidate at all (billable, not negated, guarded by assertion, Excludes1 and
specificity resolution, evidence statements attached); the re-ranker only re-estimates how likely each candidate
is to be right, from how it was reached (curated term, description match, learned vote and how many phrases
agree, how many of the most similar training reports carry it), where its evidence sits, how many statements carry
it, how often professional coders used the code, and how close its description is in meaning to the note's
statements (a static sentence embedding behind the :class:`~services.coding.semantic.Embedder` port). Ranking metrics (MAP) depend on that order, and the suggestion cut applies to the re-estimated confidence.

Confidence scale: the model's probability ``p`` is mapped monotonically so that the F1-best cut learned by
cross-validation on the training split (``cut``) lands on the service's suggestion threshold
(``SUGGEST_MIN_CONFIDENCE``): ``p < cut`` maps below it, ``p >= cut`` at or above it; the order is the
probability's order.

Pure: numpy only (the embedder is injected); the parameters are a packaged gzipped JSON file (``services/coding/data/coding_reranker.json.gz``,
flat tree-node arrays and the codes' hit rates as candidates) built by :mod:`services.coding.train_reranker` from the CodiEsp train split; nothing is
downloaded or trained at run time.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from services.coding.codeset import CodeSet
from services.coding.domain import (
    BELOW_CUT,
    CONF_SYMPTOM,
    OUTPATIENT,
    SUGGEST_MIN_CONFIDENCE,
    exclusive,
    is_unspecified,
)
from services.coding.learned import AssociationTable
from services.coding.semantic import Embedder, description_similarity

if TYPE_CHECKING:
    from services.coding.domain import Finding

DEFAULT_MODEL = Path(__file__).with_name("data") / "coding_reranker.json.gz"
FORMAT = "scribestream-coding-reranker/4"

# Features of the candidate and its note, computed by :func:`features`.
CANDIDATE_FEATURES = (
    "rule", "curated", "description_match", "vote", "has_vote", "vote_phrases", "statements", "position",
    "code_prior", "category_prior", "code_seen", "symptom", "history", "unspecified", "specificity",
    "candidates", "description_x_vote", "learned_only_x_prior", "vote_total", "vote_documents", "vote_x_documents",
    "chapter_share", "demoted", "category_siblings", "category_best_vote",
    "knn", "knn_count", "knn_best", "knn_only", "evidence", "knn_x_prior", "excluded",
    "linear", "linear_category", "linear_rank", "category_linear_best",
    "coverage", "coverage_margin", "linear_margin", "distinct_coverage", "side", "partial",
    "component", "description_similarity",
)
# The code's record as a rule candidate on the training reports (:class:`HitRates`), appended by the re-ranker.
HIT_FEATURES = ("code_hit_rate", "code_candidate_share")
FEATURES = (*CANDIDATE_FEATURES, *HIT_FEATURES)
HIT_SMOOTHING = 10.0  # pseudo-candidates at the overall hit rate (chosen by train CV over 5, 10 and 20)


@dataclass(frozen=True)
class NoteContext:
    """What a candidate's features need from the rest of the note's candidates."""

    statements: int
    candidates: int
    per_category: dict[str, tuple[int, float]]  # 3-character category -> (candidates, best vote)
    linear_above: dict[str, int] = field(default_factory=dict)  # code -> candidates with a higher classifier score
    category_linear: dict[str, float] = field(default_factory=dict)  # category -> best classifier score of its codes
    category_coverage: dict[str, float] = field(default_factory=dict)  # category -> best description coverage
    similarity: dict[str, float] = field(default_factory=dict)  # code -> its description's best cosine to a statement

    @classmethod
    def of(
        cls, findings: Sequence[Finding], *, statements: int, texts: Sequence[str] = (), embedder: Embedder | None = None,
        codeset: CodeSet | None = None,
    ) -> NoteContext:
        """``texts``, ``embedder`` and ``codeset`` give the semantic feature (0 without them)."""
        per: dict[str, tuple[int, float]] = {}
        best_linear: dict[str, float] = {}
        best_coverage: dict[str, float] = {}
        for f in findings:
            best_coverage[f.code[:3]] = max(best_coverage.get(f.code[:3], f.coverage), f.coverage)
            n, v = per.get(f.code[:3], (0, 0.0))
            per[f.code[:3]] = (n + 1, max(v, f.vote))
            best_linear[f.code[:3]] = max(best_linear.get(f.code[:3], f.linear), f.linear)
        # Rank within the note: coders code a few findings per report, so how a candidate compares with the note's
        # other candidates says more than its score alone.
        ranked = sorted(findings, key=lambda f: -f.linear)
        above = {f.code: i for i, f in reversed(list(enumerate(ranked)))}
        similarity = (description_similarity([f.code for f in findings], texts, embedder=embedder, describe=codeset.description)
                      if embedder is not None and codeset is not None else {})
        return cls(statements=statements, candidates=len(findings), per_category=per, linear_above=above,
                   category_linear=best_linear, category_coverage=best_coverage, similarity=similarity)


def source(f: Finding) -> str:
    """How the candidate was reached: a curated term, a description match, or the learned associations only."""
    if f.learned:
        return "learned"
    return "curated" if f.rule_confidence >= CONF_SYMPTOM else "description"


def features(f: Finding, *, note: NoteContext, codeset: CodeSet, priors: Priors) -> list[float]:
    """One candidate -> its feature vector (order of :data:`CANDIDATE_FEATURES`)."""
    statements, candidates = note.statements, note.candidates
    siblings, category_vote = note.per_category.get(f.code[:3], (1, f.vote))
    learned_only = f.learned
    rule = 0.0 if learned_only else f.rule_confidence
    # Curated lexicon terms score at least CONF_SYMPTOM; description matches less.
    curated = float(source(f) == "curated")
    description = float(source(f) == "description")
    has_vote = float(f.vote > 0)
    code_prior = priors.code(f.code)
    return [
        rule,
        curated,
        description,
        f.vote,
        has_vote,
        math.log1p(f.vote_phrases),
        math.log1p(len(f.statement_ids)),
        f.order[0] / max(1, statements),
        code_prior,
        priors.category(f.code),
        float(priors.seen(f.code)),
        float(f.code.startswith("R")),
        float(f.category in ("history", "family_history")),
        float(is_unspecified(codeset, f.code)),
        float(len(f.code.replace(".", "")) - 3),
        math.log1p(candidates),
        description * f.vote,
        float(learned_only) * code_prior,
        math.log1p(f.vote_total),
        math.log1p(f.vote_documents),
        f.vote * math.log1p(f.vote_documents),
        priors.chapter(f.code),
        float(f.demoted),
        math.log(siblings),
        category_vote,
        f.knn,
        math.log1p(f.knn_count),
        f.knn_best,
        float(f.knn_only),
        min(f.evidence, 2.0),
        f.knn * code_prior,
        float(f.excluded),
        f.linear,
        f.linear_category,
        math.log1p(note.linear_above.get(f.code, 0)),
        note.category_linear.get(f.code[:3], f.linear),
        # Within a category: how the code compares with its best-described / best-scored sibling candidate.
        f.coverage,
        f.coverage - note.category_coverage.get(f.code[:3], f.coverage),
        f.linear - note.category_linear.get(f.code[:3], f.linear),
        f.distinct_coverage,
        f.side,
        float(f.partial),
        float(f.component),
        note.similarity.get(f.code, 0.0),
    ]


@dataclass
class Priors:
    """Log-frequencies of codes and 3-character categories among the training documents (smoothed)."""

    code_documents: dict[str, int]
    documents: int
    _categories: dict[str, int] = field(default_factory=dict)
    _letters: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, n in self.code_documents.items():
            key = code.replace(".", "")[:3]
            self._categories[key] = self._categories.get(key, 0) + n
            self._letters[code[0]] = self._letters.get(code[0], 0) + n

    @classmethod
    def of(cls, learned: AssociationTable | None) -> Priors:
        if learned is None:
            return cls(code_documents={}, documents=0)
        return cls(code_documents=learned.code_documents, documents=learned.documents)

    def code(self, code: str) -> float:
        return math.log((self.code_documents.get(code, 0) + 0.5) / (self.documents + 1))

    def category(self, code: str) -> float:
        return math.log((self._categories.get(code.replace(".", "")[:3], 0) + 0.5) / (self.documents + 1))

    def chapter(self, code: str) -> float:
        """Share of training codes in the code's first letter (chapter-ish): coders' habits differ by chapter."""
        if not self._letters:
            return 0.0
        return self._letters.get(code[0], 0) / sum(self._letters.values())

    def seen(self, code: str) -> bool:
        return code in self.code_documents


@dataclass(frozen=True)
class HitRates:
    """How often coders coded each code when the rules proposed it on the training reports (R52 "pain" is proposed
    for every pain and coded beside a site-specific pain about half the time). Rates are smoothed towards the
    overall rate with ``smoothing`` pseudo-candidates; the share is the log-fraction of the training reports where
    the rules proposed the code (comparable across training-set sizes). Counted by
    :mod:`services.coding.train_reranker` on the training reports, never on the notes being coded.

    Only the rules' proposals are counted: which codes the learned associations propose for a training report
    depends on the other reports' gold codes (cross-validated: on the held-out fold's), so their counts would leak
    labels into the features."""

    documents: int = 0
    codes: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (reports coded, reports proposed)
    smoothing: float = HIT_SMOOTHING

    @classmethod
    def count(cls, documents: Iterable[tuple[Sequence[str], Sequence[str], Iterable[str]]]) -> HitRates:
        """``(candidate codes, their sources, gold codes)`` of each training report -> the counts (codes compared
        without dots; a code proposed twice in a report counts once)."""
        codes: dict[str, list[int]] = {}
        n = 0
        for candidates, origins, gold in documents:
            n += 1
            right = {g.replace(".", "").upper() for g in gold}
            proposed = {code for code, origin in zip(candidates, origins) if origin != "learned"}
            for code in proposed:
                tally = codes.setdefault(code, [0, 0])
                tally[0] += int(code.replace(".", "").upper() in right)
                tally[1] += 1
        return cls(documents=n, codes={k: (v[0], v[1]) for k, v in codes.items()})

    @classmethod
    def from_dict(cls, data: dict) -> HitRates:
        return cls(documents=int(data["documents"]), smoothing=float(data["smoothing"]),
                   codes={k: (int(v[0]), int(v[1])) for k, v in data["codes"].items()})

    def to_dict(self) -> dict:
        return {"documents": self.documents, "smoothing": self.smoothing,
                "codes": {k: list(v) for k, v in sorted(self.codes.items())}}

    @cached_property
    def base(self) -> float:
        """The overall hit rate: what a code the rules never proposed in training is assumed to have."""
        proposed = sum(n for _, n in self.codes.values())
        return sum(h for h, _ in self.codes.values()) / proposed if proposed else 0.0

    def of(self, code: str) -> list[float]:
        """The :data:`HIT_FEATURES` of one candidate."""
        hit, proposed = self.codes.get(code, (0, 0))
        return [(hit + self.smoothing * self.base) / (proposed + self.smoothing),
                math.log((proposed + 0.5) / (self.documents + 1))]


def category_probabilities(scored: Iterable[tuple[str, float]]) -> dict[str, float]:
    """(code, probability) of a note's candidates -> the chance that each 3-character category is coded at all:
    noisy-OR of its codes' probabilities (a category is right when any of its codes is)."""
    miss: dict[str, float] = {}
    for code, p in scored:
        miss[code[:3]] = miss.get(code[:3], 1.0) * (1.0 - min(1.0, max(0.0, p)))
    return {c: 1.0 - m for c, m in miss.items()}


class Trees:
    """A boosted ensemble of binary regression trees (exported from scikit-learn's HistGradientBoostingClassifier by
    the trainer) evaluated with numpy: every tree at once, one level per step. Nodes of all trees share flat arrays;
    a leaf points to itself, so deeper steps leave finished walks in place."""

    def __init__(self, data: dict) -> None:
        self.feature = np.asarray(data["feature"], dtype=np.int64)
        self.threshold = np.asarray(data["threshold"], dtype=np.float64)
        self.left = np.asarray(data["left"], dtype=np.int64)
        self.right = np.asarray(data["right"], dtype=np.int64)
        self.value = np.asarray(data["value"], dtype=np.float64)
        self.roots = np.asarray(data["roots"], dtype=np.int64)
        self.depth = int(data["depth"])

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Rows of features -> the ensemble's summed leaf values (log-odds without the bias)."""
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.size)).copy()
        rows = np.arange(x.shape[0])[:, None]
        for _ in range(self.depth):
            go_left = x[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node].sum(axis=1)


@dataclass
class Reranker:
    weights: Sequence[float]  # logistic weights (standardised features); unused when ``trees`` is set
    bias: float  # log-odds offset (the trees' baseline prediction)
    mean: Sequence[float]
    scale: Sequence[float]
    cut: float  # probability at which a candidate becomes a suggestion (F1-best on train cross-validation)
    suggest_at: float = SUGGEST_MIN_CONFIDENCE  # the service's suggestion threshold the cut is mapped onto
    trees: Trees | None = None  # boosted trees instead of the logistic model (the shipped model)
    # All-findings mode: a category whose candidates together reach this probability gets its best code suggested
    # (None: off). Category-level F1 counts categories, and several weak codes of one category are strong evidence.
    category_cut: float | None = None
    rates: HitRates = field(default_factory=HitRates)  # the codes' record as candidates on the training reports
    # The semantic feature's model (services.coding.semantic); the service always gives it. Without it the feature
    # reads 0, as for a note with no text.
    embedder: Embedder | None = None
    _priors: dict[int, Priors] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL, *, embedder: Embedder | None = None) -> Reranker:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return cls.from_dict(data, embedder=embedder)

    @classmethod
    def from_dict(cls, data: dict, *, embedder: Embedder | None = None) -> Reranker:
        if data.get("format") != FORMAT or list(data.get("features", [])) != list(FEATURES):
            raise ValueError("unsupported re-ranker model format")
        n = len(FEATURES)
        return cls(weights=[float(w) for w in data.get("weights", [0.0] * n)], bias=float(data["bias"]),
                   mean=[float(m) for m in data.get("mean", [0.0] * n)], scale=[float(s) for s in data.get("scale", [1.0] * n)],
                   cut=float(data["cut"]), trees=Trees(data["trees"]) if data.get("trees") else None,
                   category_cut=float(data["category_cut"]) if data.get("category_cut") is not None else None,
                   rates=HitRates.from_dict(data["hit_rates"]) if data.get("hit_rates") else HitRates(),
                   embedder=embedder)

    def probabilities(self, xs: Sequence[Sequence[float]]) -> list[float]:
        if not xs:
            return []
        x = np.asarray(xs, dtype=np.float64)
        if self.trees is not None:
            z = self.bias + self.trees.raw(x)
        else:
            z = self.bias + ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.weights)
        return (1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))).tolist()

    def probability(self, x: Sequence[float]) -> float:
        return self.probabilities([x])[0]

    def confidence(self, p: float) -> float:
        """Monotone map of the probability onto the service's confidence scale: ``cut`` -> ``suggest_at``."""
        if p < self.cut:
            return self.suggest_at * p / self.cut
        return self.suggest_at + (1 - self.suggest_at) * (p - self.cut) / (1 - self.cut)

    def priors(self, learned: AssociationTable | None) -> Priors:
        key = id(learned)
        if key not in self._priors:
            self._priors = {key: Priors.of(learned)}  # one table per service: keep only the latest
        return self._priors[key]

    def rescore(
        self, findings: list[Finding], *, statements: int, mode: str, codeset: CodeSet, learned: AssociationTable | None,
        texts: Sequence[str] = (),
    ) -> list[Finding]:
        """The findings with re-estimated confidences, best first. In the outpatient product mode a code reached only
        by the learned associations stays below the suggestion cut (a statistical vote is not documentation), and so does
        an unspecified code beside its kept specific sibling."""
        priors = self.priors(learned)
        note = NoteContext.of(findings, statements=statements, texts=texts, embedder=self.embedder, codeset=codeset)
        probabilities = self.probabilities([
            features(f, note=note, codeset=codeset, priors=priors) + self.rates.of(f.code)
            for f in findings])
        for f, p in zip(findings, probabilities):
            # Outpatient (the product): the model was fitted on inpatient case reports, so there it only orders the
            # candidates; a rule match that was a suggestion stays one.
            floor = self.suggest_at if mode == OUTPATIENT and not f.learned and f.confidence >= self.suggest_at else 0.0
            confidence = self.confidence(p)
            if f.demoted or (mode == OUTPATIENT and (f.learned or f.excluded)):
                confidence = min(confidence, BELOW_CUT * self.suggest_at)
            f.confidence = max(confidence, floor)
        ordered = sorted(findings, key=lambda f: (-f.confidence, f.order, f.code))
        # Excludes1 again on the re-estimated order: of an excluding pair the more likely code may be suggested,
        # the other stays a ranked candidate below the cut.
        for f in ordered:
            f.excluded = False
        ranked = exclusive(ordered, codeset=codeset, cap=BELOW_CUT * self.suggest_at)
        if self.category_cut is not None and mode != OUTPATIENT:
            self._promote_categories(ranked, probabilities=dict(zip(map(id, findings), probabilities)))
        return sorted(ranked, key=lambda f: (-f.confidence, f.order, f.code))

    def _promote_categories(self, ranked: list[Finding], *, probabilities: dict[int, float]) -> None:
        """The best suggestable code of a category whose candidates together are likely enough (``category_cut``)
        becomes a suggestion at the cut, below every code suggested on its own. Excludes1 stays honoured: only codes
        that passed it (and are not demoted siblings) are promoted."""
        assert self.category_cut is not None
        chance = category_probabilities((f.code, probabilities[id(f)]) for f in ranked)
        have = {f.code[:3] for f in ranked if f.confidence >= self.suggest_at}
        for f in ranked:
            if f.excluded or f.demoted or f.code[:3] in have or chance[f.code[:3]] < self.category_cut:
                continue
            f.confidence = self.suggest_at
            have.add(f.code[:3])
