"""Person names: the NER model's PERSON entities, plus rules that still work on lower-case speech, where a
tagger trained on news text is weak: titles ("Dr. Okafor", "doctor patel"), introductions ("my name is ...",
"this is ..."), and first names from a gazetteer (given names of many countries) with the surname after them.

A lexicon of common English words keeps "Will you ..." and "I hope ..." from being taken for names. Names that no
list holds ("Mosinmileoluwa") are found by their spelling (``namelike``) when no English lexicon knows the word."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from scribestream.deid.namelike import NameLikeness
from scribestream.deid.spans import Found, PhiType

# a word of any alphabet ("Anaïs", "Hans-Günther", "O'Neil"); apostrophes and hyphens only inside
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u0300-\u036f]|['’-](?=[^\W\d_]))*")  # with combining accents
# name particles that sit between given name and surname ("Ana da Costa", "Ludwig van Beethoven")
_PARTICLES = frozenset({"da", "de", "do", "dos", "das", "del", "della", "di", "du", "le", "la", "van", "von", "der",
                        "den", "ter", "bin", "ibn", "al", "el", "ben", "st", "mac", "y"})
_MAX_NAME_WORDS = 4
# INN stems of common drug classes (WHO "stems" list)
DRUG_STEM = re.compile(r"(?:mycin|cillin|pril|sartan|olol|statin|azole|prazole|tidine|dipine|semide|mide|thiazide|zide|"
                   r"gliptin|gliflozin|parin|xaban|oxacin|cycline|ciclovir|vir|mab|nib|sone|olone|azepam|zolam|"
                   r"profen|triptan|setron|afil|formin|glitazone|lukast|tropium|terol|pramine|oxetine|aline|"
                   r"apine|idone|codone|morphine|phylline|caine|adine|atadine|izine|amine|dronate|ium|amol|oprim|oate)$",
                       re.IGNORECASE)
_TITLE = re.compile(r"\b(?:dr|doctor|mr|mrs|ms|miss|mister|missus|mx|nurse|prof|professor|sister|nurse practitioner)"
                    r"\.?\s+$", re.IGNORECASE)
_INTRO = re.compile(r"\b(?:my name is|my name's|name is|name's|called|call me|i am|i'm|im|this is|it's|speaking with|"
                    r"speak to|talking to|spoke to|spoke with|patient|husband|wife|son|daughter|mother|father|mum|mom|"
                    r"dad|brother|sister|partner|friend|colleague|neighbou?r|carer|caregiver|referred by|seen by|"
                    r"hi|hello|hey|dear|thanks|thank you|bye|goodbye|morning|afternoon|evening|ask|asked|tell|told|"
                    r"let|see|saw|met|with|and),?\s+$", re.IGNORECASE)
# introductions whose next word is often not a name ("I'm fine", "this is painful"): a gazetteer name is needed
_WEAK_INTRO = re.compile(r"\b(?:i am|i'm|im|this is|it's|patient|hi|hello|hey|thanks|thank you|morning|afternoon|"
                         r"evening|dear|bye|goodbye|ask|asked|tell|told|let|see|saw|met|with|and),?\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    """Given names (lower case) and common English words (lower case) that should not be read as names."""

    given_names: frozenset[str]
    common_words: frozenset[str]
    stop_words: frozenset[str] = frozenset()
    # common words that are not nouns: a lower-case surname after a given name may be a noun ("adams"), rarely these
    non_nouns: frozenset[str] = frozenset()
    surname_blockers: frozenset[str] = frozenset()
    # US Census surnames (all, and the most frequent ones), given names that are otherwise only nouns, drug names
    surnames: frozenset[str] = frozenset()
    frequent_surnames: frozenset[str] = frozenset()
    noun_given: frozenset[str] = frozenset()
    usual_given: frozenset[str] = frozenset()  # usual in Britain, Ireland or the US
    drugs: frozenset[str] = frozenset()
    # spelling model for words no list knows ("Mosinmileoluwa"); None: such words are never names on their own
    namelike: NameLikeness | None = None

    def is_surname(self, word: str) -> bool:
        """A Census surname after a given name; a function word or adjective ("may", "brown") only if frequent."""
        low = word.lower()
        if low not in self.surnames or len(low) < 2:
            return False
        return low in self.frequent_surnames or (low not in self.stop_words and low not in self.surname_blockers
                                                 and not self.is_inflected(low))

    def is_inflected(self, word: str) -> bool:
        """"lives", "called": an inflected form of a common word, not a lemma the lexicon holds itself."""
        low = word.lower()
        return low not in self.common_words and self.is_common(low)

    def is_drug(self, word: str) -> bool:
        return word.lower() in self.drugs or DRUG_STEM.search(word) is not None

    def is_given(self, word: str) -> bool:
        low = word.lower()
        # "Hans-Günther", "paul-gerhard": double given names
        return low in self.given_names or ("-" in low and all(p in self.given_names for p in low.split("-") if p))

    def is_common(self, word: str) -> bool:
        low = word.lower().replace("’", "'").strip("'")
        if "'" in low:  # "it's", "she'll", "told'em": the word before the apostrophe decides
            low = low.split("'")[0]
        if low in self.common_words or low in self.stop_words:
            return True
        if low in self.given_names:
            return False  # "james" is not "jam" + "es"
        # the lexicon holds lemmas: "helps", "tried", "feeling" are inflections of common words
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""),
                             ("ing", "e")):
            if low.endswith(suffix) and len(low) - len(suffix) >= 3 and low[: -len(suffix)] + repl in self.common_words:
                return low not in self.given_names or low[: -len(suffix)] + repl in self.non_nouns
        return False


def _looks_like_name(word: str, lexicon: Lexicon, *, strong: bool) -> bool:
    if word.lower().replace("’", "'").split("'")[0] in lexicon.stop_words:
        return False
    if lexicon.is_common(word) and not (word[:1].isupper() and strong):
        return False
    if word[:1].isupper() and len(word) > 1:
        return True
    return lexicon.is_given(word) or (strong and len(word) > 2)


def _name_after(text: str, pos: int, lexicon: Lexicon, *, strong: bool,
                first_ok: bool = False) -> tuple[int, int] | None:
    """The name of up to four words starting at ``pos`` (after a title or an introduction), if any."""
    words: list[re.Match[str]] = []
    for m in _WORD.finditer(text, pos):
        word = m.group()
        if text[words[-1].end() if words else pos:m.start()].strip(" ") != "" or len(words) == _MAX_NAME_WORDS:
            break
        # after a cue and a sure given name, any Census surname that is no function word ("my son stéphane pottier")
        surname = bool(words) and (word[:1].isupper() or words[-1].group()[:1].islower()) and (
            lexicon.is_surname(word)
            or (strong and word.lower() in lexicon.surnames and word.lower() not in lexicon.stop_words
                and not lexicon.is_inflected(word)))
        if word.lower().replace("’", "'").split("'")[0] in lexicon.stop_words and word.lower() not in _PARTICLES \
                and not surname:
            break
        if words and words[-1].group()[:1].islower() and words[-1].group().lower() in lexicon.surnames \
                and words[-1].group().lower() not in _PARTICLES and word[:1].islower() \
                and len(words) > 1 and not surname and lexicon.is_common(word):
            break  # "pottier drives": after a given name and a Census surname, an English word ends the name
        if surname and words[-1].group().lower() not in _PARTICLES:
            pass  # "dr douglas brown", "my son stéphane pottier": a Census surname, though also an English word
        elif not words:
            if not first_ok and not _looks_like_name(word, lexicon, strong=strong) \
                    and not (strong and _given_then_surname(text, m, lexicon)):
                break
            strong = strong or lexicon.is_given(word)  # after a sure given name, a surname may be a noun
        elif word.lower() in _PARTICLES or (words and words[-1].group().lower() in _PARTICLES):
            if word.lower() in _PARTICLES and not _followed_by_name_word(text, m, lexicon):
                break
        elif (word[:1].islower() and (word.lower() in lexicon.surname_blockers
                                      or (lexicon.is_inflected(word) and word.lower() not in lexicon.surnames)
                                      or (lexicon.is_common(word) and not strong))) \
                or (word[:1].isupper() and word.lower() in lexicon.stop_words):
            break
        words.append(m)
    if not words:
        return None
    return words[0].start(), words[-1].end()


def _given_then_surname(text: str, m: re.Match[str], lexicon: Lexicon, *, census_only: bool = False) -> bool:
    """"i spoke to jack hunt": a given name that is also a common word, taken when a surname-like word follows
    (with no cue before it, ``census_only``: only a Census surname, "jade hayes" but not "son gaspard")."""
    if not lexicon.is_given(m.group()) or m.group().lower() in lexicon.stop_words:
        return False
    nxt = _WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
    if nxt is None or len(nxt.group()) <= 2 or lexicon.is_drug(nxt.group()):
        return False
    if census_only and (not lexicon.is_surname(nxt.group()) or _INTRO.fullmatch(m.group().lower() + " ")):
        return False  # a cue word itself ("son gaspard", "patient gray") is no given name
    if lexicon.is_common(m.group()) and m.group().lower() not in lexicon.noun_given:
        # a given name that is also a verb ("jade", "mark", "tell"): the surname must be unknown to the English
        # lexicon, or a frequent Census surname after a usual English given name ("jade hayes", not "tell young")
        return not lexicon.is_common(nxt.group()) or (m.group().lower() in lexicon.usual_given
                                                       and nxt.group().lower() in lexicon.frequent_surnames
                                                       and nxt.group().lower() not in lexicon.stop_words)
    if m.group()[:1].isupper() and not nxt.group()[:1].isupper():
        return False  # "Mark down": a capitalised given name wants a capitalised surname
    # the next word must look like a surname on its own: unknown to the lexicon ("ana luiza", not "gon na"), or a
    # Census surname that is no function word ("jade hayes", "mark wright")
    return not lexicon.is_common(nxt.group()) or (lexicon.is_surname(nxt.group())
                                                   and nxt.group().lower() not in lexicon.stop_words)


def _followed_by_name_word(text: str, m: re.Match[str], lexicon: Lexicon) -> bool:
    nxt = _WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
    return nxt is not None and nxt.group().lower() not in lexicon.non_nouns and nxt.group().lower() not in lexicon.stop_words


def find_names(text: str, *, lexicon: Lexicon, ner_persons: Iterable[tuple[int, int]] = ()) -> list[Found]:
    found = [Found(PhiType.NAME, *span, 0.75) for s, e in ner_persons if (span := _trim(text, s, e, lexicon))]
    for m in _WORD.finditer(text):
        before = text[max(0, m.start() - 40):m.start()]
        word = m.group()
        if _TITLE.search(before):
            span = _name_after(text, m.start(), lexicon, strong=True)
            if span:
                found.append(Found(PhiType.NAME, *span, 0.9))
            continue
        intro = _INTRO.search(before)
        if intro and (_intro_name(word, lexicon, weak=bool(_WEAK_INTRO.search(before)))
                      or _given_then_surname(text, m, lexicon) or _addressed(text, m, lexicon)):
            span = _name_after(text, m.start(), lexicon, strong=not _WEAK_INTRO.search(before), first_ok=True)
            if span:
                found.append(Found(PhiType.NAME, *span, 0.85))
            continue
        if _vocative(text, m, lexicon):
            found.append(Found(PhiType.NAME, m.start(), m.end(), 0.7))
            continue
        if (span := _opening_name(text, m, lexicon)) is not None:
            found.append(Found(PhiType.NAME, *span, 0.8))  # wider than the model's partial guesses
            continue
        if (span := _unknown_name(text, m, lexicon)) is not None:
            found.append(Found(PhiType.NAME, *span, 0.6))
            continue
        if lexicon.is_given(word) and len(word) > 2 and word.lower() not in lexicon.stop_words and not word.isupper() \
                and (_gazetteer_name(text, m, lexicon)
                     or (word.lower() in lexicon.usual_given
                         and _given_then_surname(text, m, lexicon, census_only=True))):
            end = m.end()
            for _ in range(_MAX_NAME_WORDS - 1):
                nxt = _WORD.match(text, end + 1) if text[end:end + 1] == " " else None
                if nxt is None:
                    break
                if nxt.group().lower() in _PARTICLES and _followed_by_name_word(text, nxt, lexicon):
                    end = _WORD.match(text, nxt.end() + 1).end()  # type: ignore[union-attr]  # "da costa"
                    continue
                if not _surname(nxt.group(), lexicon, cased=word[:1].isupper()):
                    break
                end = nxt.end()
            found.append(Found(PhiType.NAME, m.start(), end, 0.7))
    return found


def _opens_utterance(text: str, m: re.Match[str]) -> bool:
    return m.start() == 0 or text[:m.start()].rstrip().endswith((".", "?", "!", "]"))


def _vocative(text: str, m: re.Match[str], lexicon: Lexicon) -> bool:
    """"Nafile, can you hear me?" / "Dawn, can you ...": an utterance that opens by addressing someone with a word
    no lexicon knows, or with a usual given name that is also an English word (not a greeting such as "Hi")."""
    word, low = m.group(), m.group().lower()
    if not (_opens_utterance(text, m) and text[m.end():m.end() + 1] == "," and word[:1].isupper()
            and not word.isupper() and len(word) > 2 and not lexicon.is_drug(word)):
        return False
    if lexicon.is_given(word):
        return low in lexicon.usual_given and lexicon.is_common(word) and low not in lexicon.stop_words \
            and not _INTRO.fullmatch(low + " ")
    return not lexicon.is_common(word)


def _opening_name(text: str, m: re.Match[str], lexicon: Lexicon) -> tuple[int, int] | None:
    """"Ranieri called earlier", "Ísis Nunes, can you hear me?": a capitalised word that no lexicon knows (not
    English, no drug, no given name: the gazetteer rule has those) opening an utterance is a proper noun; places
    are the model's (GPE), so what remains is a person. The name runs on over capitalised words and particles."""
    word = m.group()
    if not (_opens_utterance(text, m) and word[:1].isupper() and not word.isupper() and len(word) > 2
            and not lexicon.is_common(word) and not lexicon.is_given(word) and not lexicon.is_drug(word)):
        return None
    end = m.end()
    for _ in range(_MAX_NAME_WORDS - 1):
        nxt = _WORD.match(text, end + 1) if text[end:end + 1] == " " else None
        if nxt is None:
            break
        w = nxt.group()
        if w.lower() in _PARTICLES and _followed_by_name_word(text, nxt, lexicon):
            end = nxt.end()
            continue
        low = w.lower()
        if not w[:1].isupper() or low in lexicon.stop_words or (lexicon.is_common(w) and low not in lexicon.surnames):
            break
        end = nxt.end()
    return m.start(), end


# Name-likeness a word unknown to every list needs to be taken as a name with no cue: lower, when it is capitalised
# mid-sentence (a proper noun: a name, or a place the model's GPE already has), higher in lower-case speech, where
# out-of-vocabulary words are also medical terms and misspellings.
NAMELIKE_CAPITALISED = -0.6
NAMELIKE_LOWER = 0.5
SURNAME_BONUS = 0.5  # a known surname needs less; so does a word continuing a name


def _unknown_word(word: str, lexicon: Lexicon) -> bool:
    """A word no lexicon knows: not English (lemma or inflection), no given name, no drug, letters only; in lower
    case at least four letters ("mrn", "cvs", "ast" are abbreviations)."""
    if len(word) < (3 if word[:1].isupper() else 4) or word.isupper() or lexicon.is_common(word) \
            or lexicon.is_given(word) or lexicon.is_drug(word):
        return False
    core = word.replace("'", "").replace("’", "") if word[:1].isupper() else word  # "S'fiso", not "didn't"
    return core.isalpha()


def _namelike(word: str, lexicon: Lexicon, *, bonus: float = 0.0) -> bool:
    if lexicon.namelike is None or not _unknown_word(word, lexicon):
        return False
    threshold = NAMELIKE_CAPITALISED if word[:1].isupper() else NAMELIKE_LOWER
    if word.lower() in lexicon.surnames:
        threshold -= SURNAME_BONUS  # a surname of the Census or of another country's lists, no English word
    return lexicon.namelike.score(word) > threshold - bonus


def _name_part(word: str, lexicon: Lexicon, *, cased: bool) -> bool:
    """A word that may continue a name found by its spelling: more such words, surnames, given names."""
    low = word.lower()
    if word[:1].isupper() != cased or lexicon.is_drug(word) or low in lexicon.stop_words:
        return False
    return _namelike(word, lexicon, bonus=SURNAME_BONUS) or lexicon.is_surname(word) or (
        lexicon.is_given(word) and low not in lexicon.surname_blockers and not lexicon.is_inflected(word))


def _unknown_name(text: str, m: re.Match[str], lexicon: Lexicon) -> tuple[int, int] | None:
    """"the referral came from durodola osuntokun", "My GP is Todsawun Pasuk": with no cue and no list that knows
    the name, a word no lexicon knows whose spelling looks like a name, or one followed by such a word; it runs on
    over surnames, given names and more such words. Capitalised words opening an utterance: ``_opening_name``."""
    word = m.group()
    if word[:1].isupper() and _opens_utterance(text, m):
        return None
    cased = word[:1].isupper()
    nxt = _WORD.match(text, m.end() + 1) if text[m.end():m.end() + 1] == " " else None
    unknown_pair = nxt is not None and _unknown_word(word, lexicon) and _unknown_word(nxt.group(), lexicon) \
        and nxt.group()[:1].isupper() == cased and lexicon.namelike is not None \
        and lexicon.namelike.score(word) + lexicon.namelike.score(nxt.group()) > 0
    if not (_namelike(word, lexicon) or unknown_pair or (_unknown_word(word, lexicon) and nxt is not None
                                                         and _name_part(nxt.group(), lexicon, cased=cased))):
        return None
    if unknown_pair and nxt is not None:  # two words no lexicon knows, together name-like: "jinjuta kitprapa"
        return m.start(), nxt.end()
    end = m.end()
    for _ in range(_MAX_NAME_WORDS - 1):
        nxt = _WORD.match(text, end + 1) if text[end:end + 1] == " " else None
        if nxt is None or not _name_part(nxt.group(), lexicon, cased=cased):
            break
        end = nxt.end()
    return m.start(), end


def _addressed(text: str, m: re.Match[str], lexicon: Lexicon) -> bool:
    """"good morning mark, how ...", "thanks, dawn.": after a cue, a usual given name that is also an English word
    is a name when the clause ends right after it (someone addressed), never a function word ("thanks, will.")."""
    low = m.group().lower()
    return text[m.end():m.end() + 1] in (",", ".", "?", "!") and low in lexicon.usual_given \
        and not m.group().isupper() and len(low) > 2 \
        and low not in lexicon.stop_words and not lexicon.is_drug(low) and not _INTRO.fullmatch(low + " ")


def _intro_name(word: str, lexicon: Lexicon, *, weak: bool) -> bool:
    if weak:  # "Thanks, Heinz" / "hi martha" / "ask laszlo": a word no English lexicon knows, or a given name
        return (not lexicon.is_common(word) and not word.isupper() and len(word) > 2 and not DRUG_STEM.search(word)
                and word.lower() not in lexicon.stop_words)
    # after a strong cue ("my daughter", "spoke to") a usual given name is a name even when also a word ("jade")
    return not lexicon.is_common(word) or word[:1].isupper() or (
        word.lower() in lexicon.usual_given and word.lower() not in lexicon.stop_words and not lexicon.is_drug(word))


def _gazetteer_name(text: str, m: re.Match[str], lexicon: Lexicon) -> bool:
    word = m.group()
    if lexicon.is_common(word):
        # "Will", "Hope", "Mark": a name only when capitalised mid-sentence
        sentence_start = re.search(r"(?:^|[.!?]\s+|\]\s*)$", text[:m.start()]) is not None
        return word[:1].isupper() and not sentence_start and not word.isupper()
    return True


def _surname(word: str, lexicon: Lexicon, *, cased: bool) -> bool:
    if cased:  # "John Smith": a capitalised word after a given name, unless a function word ("Sarah Is")
        return word[:1].isupper() and word.lower() not in lexicon.stop_words
    # "kerry smith": a noun may be a surname; verbs, adjectives and function words ("martha is", "john said") not,
    # unless the Census knows them as surnames ("natasha brown", "jason may")
    if lexicon.is_drug(word):
        return False
    low = word.lower()
    # a noun may be a surname ("albuquerque"), not an inflected verb ("called") or a function word ("here")
    return lexicon.is_surname(word) or (low not in lexicon.surname_blockers and low not in lexicon.stop_words
                                        and len(word) > 2 and (low in lexicon.common_words or not lexicon.is_common(word)))


def _trim(text: str, start: int, end: int, lexicon: Lexicon) -> tuple[int, int] | None:
    """The model's PERSON span without common words at its edges ("daughter sarah" → "sarah"); a lone common
    word ("Mark it down") is dropped: the title and introduction rules catch the real ones."""
    words = list(_WORD.finditer(text, start, end))

    def edge_noise(word: str) -> bool:
        return word.lower() in lexicon.stop_words or (word[:1].islower() and lexicon.is_common(word))

    while words and edge_noise(words[0].group()):
        words.pop(0)
    while words and edge_noise(words[-1].group()):
        words.pop()
    if not words or (len(words) == 1 and lexicon.is_common(words[0].group())):
        return None
    if len(words) == 1 and words[0].group()[:1].islower() and not lexicon.is_given(words[0].group()):
        return None  # the small model's lower-case guesses ("emollients") need a given name to stand
    if len(words) == 1 and DRUG_STEM.search(words[0].group()) and not lexicon.is_given(words[0].group()):
        return None  # "Furosemide": drug names look like surnames to the model
    return words[0].start(), words[-1].end()
