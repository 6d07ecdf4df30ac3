"""Name rules on synthetic sentences written for these tests (no real person): US Census surnames that are also
English words, given names that are also verbs, cue + surname, and drug names kept out of names. The real
lexicon is used (loaded once per process: spaCy's lemma tables, the gazetteer, the Census list)."""

from __future__ import annotations

import pytest

from scribestream.deid.engine import load_lexicon
from scribestream.deid.names import Lexicon, find_names
from scribestream.deid.sources import census_surnames, drug_names

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def _names(text: str, lexicon: Lexicon) -> list[str]:
    found = sorted(find_names(text, lexicon=lexicon), key=lambda f: (f.start, -f.end))
    merged: list[tuple[int, int]] = []
    for f in found:  # overlapping finds count as one span, as resolve_overlaps merges them
        if merged and f.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], f.end))
        else:
            merged.append((f.start, f.end))
    return [text[s:e] for s, e in merged]


def test_sources_are_the_census_list_and_the_project_drug_lexicons():
    surnames = census_surnames()
    assert len(surnames) > 80_000 and surnames[0] == "smith"
    drugs = drug_names()
    assert {"eliquis", "ventolin", "lipitor", "metformin"} <= drugs


@pytest.mark.parametrize(("text", "name"), [
    ("i saw jason may yesterday about the rash", "jason may"),          # function word, frequent surname
    ("natasha brown here, i'm calling about the results", "natasha brown"),  # adjective, frequent surname
    ("the referral went to dr douglas brown last week", "douglas brown"),
    ("please tell mark wright the scan was fine", "mark wright"),      # verb given name, noun surname
    ("jade hayes called earlier about her inhaler", "jade hayes"),     # utterance start, no cue
    ("Mark Wright phoned this morning.", "Mark Wright"),                # capitalised, sentence start
    ("my son gaspard pottier drives me in", "gaspard pottier"),        # cue + rare Census surname (also adj.)
])
def test_census_surnames_complete_names(lexicon, text, name):
    assert name in _names(text, lexicon)


@pytest.mark.parametrize("text", [
    "tell young people to wear sunscreen",       # "tell" is in the gazetteer, but no usual English given name
    "will smith the dose be enough",              # "will" a function word: never a given name here
    "mark down the time you took it",
    "the pain was gross and sharp",
    "it called for a long rest",
])
def test_english_words_stay_words(lexicon, text):
    assert _names(text, lexicon) == []


@pytest.mark.parametrize("text", ["Eliquis, can you refill it?", "thanks, ventolin helps", "my wife lipitor",
                                  "I'm on Crestor now"])
def test_brand_drug_names_are_not_names(lexicon, text):
    assert _names(text, lexicon) == []


def test_frequent_surname_after_a_name_is_masked_but_not_alone(lexicon):
    assert _names("you may go home, i told karen may", lexicon) == ["karen may"]


@pytest.mark.parametrize(("text", "name"), [
    ("Okonkwo-Batey called about the referral.", "Okonkwo-Batey"),       # opens the utterance, no cue
    ("Fine. Zyndrel Ostapczuk, can you hear me now?", "Zyndrel Ostapczuk"),
    ("Haukur van der Quist rang the surgery.", "Haukur van der Quist"),
    ("Dawn, could you step on the scale?", "Dawn"),                        # usual given name, also a noun
])
def test_names_opening_an_utterance(lexicon, text, name):
    assert name in _names(text, lexicon)


@pytest.mark.parametrize("text", ["Hi, could you step on the scale?", "Okay, so the swelling went down.",
                                  "Metformin makes me queasy.", "Sure. Paracetamol helps a bit."])
def test_greetings_words_and_drugs_opening_an_utterance_stay(lexicon, text):
    assert _names(text, lexicon) == []


@pytest.mark.parametrize(("text", "name"), [("i spoke to jade yesterday about it", "jade"),
                                            ("my daughter dawn brings me in", "dawn")])
def test_usual_given_name_that_is_a_word_after_a_strong_cue(lexicon, text, name):
    assert name in _names(text, lexicon)


@pytest.mark.parametrize("text", ["he called back later", "my name is will be on the form"])
def test_cue_followed_by_plain_words_stays(lexicon, text):
    assert _names(text, lexicon) == []


# --- round 6: names no list holds, found by their spelling; name lists of 105 countries -------------------------

def test_name_likeness_separates_name_spellings_from_english_words():
    from scribestream.deid.namelike import NameLikeness

    model = NameLikeness(names=["adebayo", "oluwaseun", "babatunde", "adeyemi", "olumide", "ayodele", "kehinde"],
                         words=["kitchen", "walking", "thinking", "station", "painful", "swelling", "medication"])
    assert model.score("adetokunbo") > 0 > model.score("stationing")


def test_name_likeness_table_is_cached_and_read_back(tmp_path):
    from scribestream.deid.namelike import NameLikeness

    names, words = ["oluwaseun", "babatunde"], ["kitchen", "walking"]
    trained = NameLikeness.cached(names=names, words=words, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("deid-namelike-*.json"))) == 1
    read_back = NameLikeness.cached(names=names, words=words, cache_dir=tmp_path)
    assert read_back.score("tunde") == pytest.approx(trained.score("tunde"))


@pytest.mark.parametrize(("text", "name"), [
    ("the letter came from obiageli nwachukwu last week", "obiageli nwachukwu"),  # lower case, no cue, no list
    ("My GP is Kwabena Ofosuhene.", "Kwabena Ofosuhene"),                        # capitalised mid-sentence
    ("was that tunde okonjo on the phone", "tunde okonjo"),
])
def test_names_no_list_knows_are_found_by_spelling(lexicon, text, name):
    assert name in _names(text, lexicon)


@pytest.mark.parametrize("text", [
    "the scan showed hepatosplenomegaly and a colectomy scar",   # out-of-vocabulary medical terms
    "she had a cholecystectomy and a sacroiliac injection",
    "my mrn is on the form",                                     # lower-case abbreviation
    "the cats and the photos",                                   # plurals that profile-scraped name lists hold
    "okay, gosh, that hurts",
])
def test_unknown_medical_words_and_abbreviations_stay(lexicon, text):
    assert _names(text, lexicon) == []


def test_world_name_lists_add_given_names_but_no_english_words(lexicon):
    from scribestream.deid.worldnames import world_names

    given, surnames = world_names()
    assert len(given) > 50_000 and len(surnames) > 100_000
    assert lexicon.is_given("nkechi") and not lexicon.is_given("cats")
    assert _names("i came in with nkechi today", lexicon) == ["nkechi"]


@pytest.mark.parametrize(("text", "name"), [("good morning mark, how are you feeling?", "mark"),
                                            ("thanks, dawn. see you next week", "dawn")])
def test_usual_given_name_addressed_after_a_greeting(lexicon, text, name):
    assert name in _names(text, lexicon)


@pytest.mark.parametrize("text", ["thanks, will.", "thank you, OK.", "hi, sure, go ahead"])
def test_greeting_then_a_word_stays(lexicon, text):
    assert _names(text, lexicon) == []


@pytest.mark.parametrize(("text", "name"), [
    ("okay chanthira wongsakul, come on in", "chanthira wongsakul"),  # two unknown words, together name-like
    ("the message came from dzenbay mehmet today", "dzenbay mehmet"),  # unknown word, then a listed given name
])
def test_unknown_word_pairs_make_one_name(lexicon, text, name):
    assert name in _names(text, lexicon)


def test_two_unknown_medical_words_stay(lexicon):
    assert _names("she had sternoclavicular hepatosplenomegaly", lexicon) == []
