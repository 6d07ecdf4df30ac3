"""Medical lexicon, decoder prompt, and near-miss correction (with a fake scorer standing in for the model)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from services.asr.correction import CorrectingTranscriber, TermCorrector
from services.asr.domain import Segment, Word
from services.asr.vocabulary import (
    LexiconError,
    decoder_prompt,
    default_lexicon,
    parse_lexicon,
)

pytestmark = pytest.mark.unit

DRUGS = default_lexicon().drugs


def words(text: str, probability: float) -> list[Word]:
    return [Word(text=f" {w}", start=i * 0.3, end=i * 0.3 + 0.3, probability=probability)
            for i, w in enumerate(text.split())]


def segment(text: str, probability: float) -> Segment:
    ws = tuple(words(text, probability))
    return Segment(text="".join(w.text for w in ws), start=0.0, end=len(ws) * 0.3, avg_logprob=-0.3,
                   no_speech_prob=0.01, compression_ratio=1.2, words=ws)


def test_default_lexicon_has_drugs_and_conditions():
    lexicon = default_lexicon()
    assert {"metformin", "lisinopril", "rosuvastatin", "paracetamol"} <= set(lexicon.drugs)
    assert {"asthma", "hypertension", "type 2 diabetes"} <= set(lexicon.conditions)
    assert not set(lexicon.drugs) & set(lexicon.conditions)


def test_lexicon_file_errors_name_the_line_only():
    with pytest.raises(LexiconError, match="line 2") as err:
        parse_lexicon("drug: metformin\nsecret patient name\n")
    assert "secret" not in str(err.value)
    assert parse_lexicon("# c\n\nDrug: Metformin\ndrug: metformin\n").drugs == ("metformin",)


def test_prompt_respects_its_budget_and_order():
    prompt = decoder_prompt(["metformin", "lisinopril", "x" * 100], budget=40)
    assert prompt == "Medications: metformin, lisinopril."
    assert decoder_prompt([]) is None


@pytest.mark.parametrize(
    ("heard", "term"),
    [
        ("I take meth form in daily", "metformin"),
        ("rosy vastatin and", "rosuvastatin"),
        ("started on lizinopril", "lisinopril"),
        ("a moxy sillin three times", "amoxicillin"),
    ],
)
def test_unsure_near_misses_become_the_term(heard, term):
    fixes = TermCorrector(DRUGS).find(words(heard, 0.3))
    assert [f.term for f in fixes] == [term]


@pytest.mark.parametrize(
    "heard",
    [
        "I met four men at the station",  # sounds like metformin, but heard clearly
        "I went to the pharmacy yesterday",
        "some water please",
        "the pain is sharp",
        "my asthma is worse",
    ],
)
def test_clear_or_unrelated_words_are_never_made_into_drugs(heard):
    assert TermCorrector(DRUGS).find(words(heard, 0.9)) == []
    # Unrelated words stay even when the recognizer was unsure of them.
    if "met four" not in heard:
        assert TermCorrector(DRUGS).find(words(heard, 0.2)) == []


def test_correct_terms_are_left_alone():
    assert TermCorrector(DRUGS).find(words("atorvastatin and metformin", 0.2)) == []


class FakeScorer:
    """Scores texts by a fixed table (what the audio 'supports'); every word gets ``probability``."""

    def __init__(self, table: dict[str, float], *, probability: float = 0.3) -> None:
        self.table = table
        self.probability = probability
        self.calls: list[Sequence[str]] = []
        self.aligned: list[str] = []

    def score(self, samples: np.ndarray, *, texts: Sequence[str]) -> list[float]:
        self.calls.append(list(texts))
        return [self.table[t] for t in texts]

    def words(self, samples: np.ndarray, *, text: str) -> list[Word]:
        self.aligned.append(text)
        return words(text, self.probability)


class FixedTranscriber:
    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments

    def transcribe(self, samples: np.ndarray, *, prompt: str | None = None) -> list[Segment]:
        return self.segments


def test_fix_is_kept_only_when_rescoring_supports_it():
    heard = segment("I take meth form in daily", 0.3)
    fixed_text = " I take metformin daily"
    audio = np.zeros(16000 * 3, dtype=np.float32)

    supported = FakeScorer({heard.text: -12.0, fixed_text: -13.0})
    engine = CorrectingTranscriber(FixedTranscriber([heard]), scorer=supported, corrector=TermCorrector(DRUGS))
    (out,) = engine.transcribe(audio)
    assert out.text == fixed_text
    assert [w.text for w in out.words] == [" I", " take", " metformin", " daily"]
    assert engine.stats.proposed == engine.stats.accepted == 1

    unsupported = FakeScorer({heard.text: -12.0, fixed_text: -40.0})
    engine = CorrectingTranscriber(FixedTranscriber([heard]), scorer=unsupported, corrector=TermCorrector(DRUGS))
    (out,) = engine.transcribe(audio)
    assert out.text == heard.text
    assert (engine.stats.proposed, engine.stats.accepted) == (1, 0)


def test_without_word_output_probabilities_come_from_alignment_only_when_a_phrase_could_match():
    audio = np.zeros(16000 * 3, dtype=np.float32)
    ordinary = Segment(text=" the pain is sharp", start=0, end=1, avg_logprob=-0.3, no_speech_prob=0.1,
                       compression_ratio=1)
    scorer = FakeScorer({})
    engine = CorrectingTranscriber(FixedTranscriber([ordinary]), scorer=scorer, corrector=TermCorrector(DRUGS))
    assert engine.transcribe(audio) == [ordinary]
    assert scorer.aligned == [] and scorer.calls == []  # no extra model pass for ordinary speech

    heard = Segment(text=" I take meth form in daily", start=0, end=2, avg_logprob=-0.6, no_speech_prob=0.1,
                    compression_ratio=1)
    scorer = FakeScorer({" I take meth form in daily": -12.0, " I take metformin daily": -14.0})
    engine = CorrectingTranscriber(FixedTranscriber([heard]), scorer=scorer, corrector=TermCorrector(DRUGS))
    (out,) = engine.transcribe(audio)
    assert out.text == " I take metformin daily"
    assert scorer.aligned == [heard.text]

    confident = FakeScorer({}, probability=0.95)  # the aligner says the words were heard clearly
    engine = CorrectingTranscriber(FixedTranscriber([heard]), scorer=confident, corrector=TermCorrector(DRUGS))
    (out,) = engine.transcribe(audio)
    assert out.text == heard.text and confident.calls == []
