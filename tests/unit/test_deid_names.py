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
