"""All-findings candidate sources added in session 4: partial description matches and combination parts."""

from __future__ import annotations

import pytest

from scribestream.evals.coding import as_draft
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import (
    ALL_FINDINGS,
    OUTPATIENT,
    SUGGEST_MIN_CONFIDENCE,
    suggest_codes,
)
from services.coding.matcher import (
    DescriptionIndex,
    clear_note_caches,
    term_words,
    tokens,
    with_index_terms,
)

pytestmark = pytest.mark.unit

ENTRIES = [
    ("K90.9", "Intestinal malabsorption, unspecified"),
    ("K91.2", "Postsurgical malabsorption, not elsewhere classified"),
    ("H60.91", "Unspecified otitis externa, right ear"),
    ("J18.9", "Pneumonia, unspecified organism"),
    ("K90.49", "Malabsorption due to intolerance, not elsewhere classified"),
    ("A00.0", "Cholera due to Vibrio cholerae 01, biovar cholerae"),
    # Filler descriptions: only words rare among the descriptions (idf >= 3) nominate candidates, and "intestinal"
    # is a common word, as in the real code set.
    *((f"X{i:03d}", f"{'intestinal ' if i % 5 == 0 else ''}filler{i} condition{i}") for i in range(100)),
]


def words(text: str) -> set[str]:
    return set(tokens(text))


def test_partial_match_finds_a_description_the_full_matcher_misses() -> None:
    index = DescriptionIndex(ENTRIES)
    assert index.matches(words("mild malabsorption")) == []
    got = index.partial_matches(words("mild malabsorption"))
    # "malabsorption" is most of K90.9's weight ("intestinal" is common), too little of K91.2's or K90.49's (their
    # other words are rare).
    assert [m.code for m in got] == ["K90.9"]
    assert 0.5 <= got[0].coverage < 0.8 and got[0].matched == {"malabsorption"}


def test_partial_match_needs_a_word_besides_laterality_and_respects_limit_and_allow() -> None:
    index = DescriptionIndex(ENTRIES)
    assert index.partial_matches(words("right")) == []
    assert len(index.partial_matches(words("malabsorption"), limit=1)) == 1
    assert [m.code for m in index.partial_matches(words("malabsorption intolerance"), limit=1)] == ["K90.49"]
    assert [m.code for m in index.partial_matches(words("malabsorption"), allow=lambda c: c != "K90.9")] == []
    assert index.partial_matches(words("malabsorption"), min_coverage=0.95) == []


def test_the_matches_kept_for_repeated_words_are_read_only_and_cleared_with_the_note_caches() -> None:
    index = DescriptionIndex(ENTRIES)
    first = index.partial_matches(words("mild malabsorption"))
    found, weights = index._covered(words("malabsorption intolerance"), min_coverage=0.5)
    with pytest.raises(ValueError):
        found[0] = 0  # shared with every later caller of the same words
    assert index._covered_by.cache_info().currsize > 0
    clear_note_caches()
    assert index._covered_by.cache_info().currsize == 0
    again, weights_again = index._covered(words("malabsorption intolerance"), min_coverage=0.5)
    assert again.tolist() == found.tolist() and weights_again.tolist() == weights.tolist()
    assert index.partial_matches(words("mild malabsorption")) == first


def test_partial_matches_are_all_findings_candidates_below_the_cut_with_evidence(codeset: SimpleIcd10CmCodeSet) -> None:
    draft = as_draft("doc", "Fasting studies revealed mild malabsorption.")
    found = {s.code: s for s in suggest_codes(draft, codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0)}
    assert "K90.9" in found
    k90 = found["K90.9"]
    assert k90.confidence < SUGGEST_MIN_CONFIDENCE and k90.evidence_statement_ids == ["s0"]
    assert "partly matched" in k90.rationale
    # Never suggested on its own, and never in the outpatient product mode.
    assert "K90.9" not in [s.code for s in suggest_codes(draft, codeset=codeset, mode=ALL_FINDINGS)]
    assert suggest_codes(draft, codeset=codeset, mode=OUTPATIENT, min_confidence=0.0) == []


@pytest.mark.parametrize("text", ["There was no malabsorption.", "Malabsorption was ruled out.", "Denies nervousness."])
def test_negated_mentions_give_no_partial_match(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    assert suggest_codes(as_draft("doc", text), codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0) == []


def test_combination_parts_stay_candidates_in_all_findings_only(codeset: SimpleIcd10CmCodeSet) -> None:
    draft = as_draft("doc", "Hypertension and chronic kidney disease stage 3.")
    found = {s.code: s for s in suggest_codes(draft, codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0)}
    assert found["I12.9"].confidence >= SUGGEST_MIN_CONFIDENCE
    assert found["I10"].confidence < SUGGEST_MIN_CONFIDENCE and "part of a combination code" in found["I10"].rationale
    assert "I10" not in [s.code for s in suggest_codes(draft, codeset=codeset, mode=ALL_FINDINGS)]
    assert "I10" not in [s.code for s in suggest_codes(draft, codeset=codeset, mode=OUTPATIENT, min_confidence=0.0)]


def test_index_conventions_and_organ_adjectives_add_description_words() -> None:
    assert {"malignant", "neoplasm"} <= with_index_terms({"adenocarcinoma", "stomach"})
    assert {"secondary", "malignant", "neoplasm"} <= with_index_terms({"metastase", "liver"})
    assert "calculus" in with_index_terms({"lithiasis"}) and "kidney" in with_index_terms({"renal"})
    assert with_index_terms({"cough"}) == {"cough"}


def test_description_words_stop_at_without() -> None:
    assert term_words("Calculus of gallbladder without cholecystitis without obstruction") == tokens("Calculus of gallbladder")
    assert term_words("Pneumonia, unspecified organism") == tokens("Pneumonia, unspecified organism")


@pytest.mark.parametrize("mode", [ALL_FINDINGS, OUTPATIENT])
def test_clinical_wording_reaches_the_tabular_description(codeset: SimpleIcd10CmCodeSet, mode: str) -> None:
    # "cholelithiasis" is "Calculus of gallbladder" in the Index; the default code's "without ..." is not required.
    got = [s.code for s in suggest_codes(as_draft("doc", "Ultrasound showed cholelithiasis."), codeset=codeset, mode=mode)]
    assert got == ["K80.20"]
    adeno = [s.code for s in suggest_codes(as_draft("doc", "Adenocarcinoma of the stomach."), codeset=codeset, mode=mode)]
    assert adeno and adeno[0].startswith("C16")


def test_index_terms_never_code_negated_mentions(codeset: SimpleIcd10CmCodeSet) -> None:
    for text in ("No liver metastases.", "Cholelithiasis was ruled out.", "Denies renal stones."):
        assert suggest_codes(as_draft("doc", text), codeset=codeset, mode=ALL_FINDINGS, min_confidence=0.0) == []


@pytest.mark.parametrize("text", ["She had a common cold last week.", "Catarrhal symptoms for three days."])
def test_common_cold_and_catarrh_are_acute_nasopharyngitis(codeset: SimpleIcd10CmCodeSet, text: str) -> None:
    for mode in (ALL_FINDINGS, OUTPATIENT):
        assert [s.code for s in suggest_codes(as_draft("doc", text), codeset=codeset, mode=mode)][:1] == ["J00"]
