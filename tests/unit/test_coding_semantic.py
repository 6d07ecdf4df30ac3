"""The re-ranker's semantic feature: the real WordLlama model from the installed wheel (no download, no network),
descriptions closer in meaning to what the note says score higher, and the feature reaches the re-ranker's vector."""

from __future__ import annotations

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import Finding
from services.coding.learned import AssociationTable
from services.coding.rerank import CANDIDATE_FEATURES, NoteContext, Priors, features
from services.coding.semantic import WordLlamaEmbedder, description_similarity

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def embedder() -> WordLlamaEmbedder:
    return WordLlamaEmbedder().load()


def test_the_bundled_model_loads_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedding model must not be downloaded")

    monkeypatch.setattr(requests, "get", refuse)
    vectors = WordLlamaEmbedder().embed(["chest pain", "shortness of breath"])
    assert vectors.shape == (2, WordLlamaEmbedder.DIMENSIONS)
    assert vectors[0] @ vectors[0] == pytest.approx(1.0, abs=1e-4)  # unit length


@pytest.mark.parametrize(("said", "closer", "farther"), [
    ("He smokes 20 cigarettes a day.", "F17.210", "E11.9"),
    ("Known high blood pressure on amlodipine.", "I10", "K35.80"),
    ("Fever of 39 degrees for three days.", "R50.9", "N18.9"),
])
def test_a_paraphrase_is_closer_to_its_code_than_to_an_unrelated_one(
    embedder: WordLlamaEmbedder, codeset: SimpleIcd10CmCodeSet, said: str, closer: str, farther: str,
) -> None:
    sims = description_similarity([closer, farther], ["The patient came in.", said], embedder=embedder,
                                  describe=codeset.description)
    assert sims[closer] > sims[farther]


def test_no_text_gives_no_similarity(embedder: WordLlamaEmbedder, codeset: SimpleIcd10CmCodeSet) -> None:
    assert description_similarity(["I10"], [], embedder=embedder, describe=codeset.description) == {}
    assert description_similarity(["I10"], ["  "], embedder=embedder, describe=codeset.description) == {}


def test_the_feature_reaches_the_reranker_vector(embedder: WordLlamaEmbedder, codeset: SimpleIcd10CmCodeSet) -> None:
    f = Finding(code="F17.210", category="diagnosis", confidence=0.9, order=(0, 0, 0), statement_ids=["s0"])
    priors = Priors.of(AssociationTable.load())
    column = CANDIDATE_FEATURES.index("description_similarity")
    with_text = NoteContext.of([f], statements=1, texts=["He smokes 20 cigarettes a day."], embedder=embedder,
                               codeset=codeset)
    without = NoteContext.of([f], statements=1)
    assert features(f, note=with_text, codeset=codeset, priors=priors)[column] > 0.3
    assert features(f, note=without, codeset=codeset, priors=priors)[column] == 0.0
