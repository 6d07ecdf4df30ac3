"""Spoken numbers, both ways: words a transcript uses for digits, ordinals and years ("five five five",
"double seven", "the twelfth", "nineteen fifty-two"), and rendering a shifted date back in those words."""

from __future__ import annotations

import re

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINAL_UNITS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                 "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                 "seventeenth", "eighteenth", "nineteenth"]
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}

# A digit said aloud; "oh" and "o" stand for zero inside a spoken number.
DIGIT_WORDS = {w: str(i) for i, w in enumerate(UNITS[:10])} | {"oh": "0", "o": "0", "nought": "0"}
CARDINAL = {w: i for i, w in enumerate(UNITS)} | {w: 10 * i for i, w in enumerate(TENS) if w}
ORDINAL = {w: i for i, w in enumerate(ORDINAL_UNITS) if i} | ORDINAL_TENS

_TENS_RE = "|".join(t for t in TENS if t)
_UNIT_RE = "|".join(UNITS[1:10])
_TEEN_RE = "|".join(UNITS[10:])
_ORD_UNIT_RE = "|".join(ORDINAL_UNITS[1:])
# 1..31 as an ordinal word: "third", "twenty-first", "twenty first", "thirtieth".
ORDINAL_WORD_RE = rf"(?:(?:twenty|thirty)[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|twentieth|thirtieth|{_ORD_UNIT_RE})"
# 1..99 as cardinal words: "seven", "fifteen", "ninety-two", "ninety two".
CARDINAL_WORD_RE = rf"(?:(?:{_TENS_RE})(?:[\s-]+(?:{_UNIT_RE}))?|{_TEEN_RE}|{_UNIT_RE})"
# Years said aloud: "nineteen fifty-two", "twenty twenty-one", "nineteen oh five", "two thousand and three".
YEAR_WORD_RE = (rf"(?:(?:nineteen|twenty)[\s-]+(?:oh[\s-]+(?:{_UNIT_RE})|{CARDINAL_WORD_RE}|hundred)"
                rf"|two[\s-]+thousand(?:(?:\s+and)?[\s-]+{CARDINAL_WORD_RE})?)")


def words_to_int(words: str) -> int | None:
    """"ninety-two" → 92, "twenty first" → 21, "seven" → 7; None when it is not a number under 100."""
    parts = [p for p in re.split(r"[\s-]+", words.lower()) if p]
    total = 0
    for i, part in enumerate(parts):
        value = CARDINAL.get(part, ORDINAL.get(part))
        if value is None:
            return None
        if i and (total % 10 or total < 20 or value >= 10):
            return None
        total += value
    return total if parts else None


def year_words_to_int(words: str) -> int | None:
    parts = [p for p in re.split(r"[\s-]+", words.lower()) if p and p != "and"]
    if parts[:2] == ["two", "thousand"]:
        rest = words_to_int(" ".join(parts[2:])) if parts[2:] else 0
        return None if rest is None else 2000 + rest
    if len(parts) < 2 or parts[0] not in ("nineteen", "twenty"):
        return None
    century = CARDINAL[parts[0]] * 100
    if parts[1:] == ["hundred"]:
        return century
    if parts[1] == "oh":
        unit = words_to_int(" ".join(parts[2:]))
        return None if unit is None else century + unit
    tail = words_to_int(" ".join(parts[1:]))
    return None if tail is None else century + tail


def int_to_words(n: int) -> str:
    """0..99 → "ninety-two"."""
    if n < 20:
        return UNITS[n]
    tens, unit = divmod(n, 10)
    return TENS[tens] + (f"-{UNITS[unit]}" if unit else "")


def int_to_ordinal_words(n: int) -> str:
    """1..31 → "twenty-first"."""
    if n < 20:
        return ORDINAL_UNITS[n]
    tens, unit = divmod(n, 10)
    return TENS[tens][:-1] + "ieth" if not unit else f"{TENS[tens]}-{ORDINAL_UNITS[unit]}"


def year_to_words(year: int, *, style: str) -> str:
    """Say a year the way the original did: "nineteen fifty-two" or "two thousand and three"."""
    if style == "thousand" and 2000 <= year < 2100:
        rest = year - 2000
        return "two thousand" + (f" and {int_to_words(rest)}" if rest else "")
    century, rest = divmod(year, 100)
    if rest == 0:
        return f"{int_to_words(century)} hundred"
    if rest < 10:
        return f"{int_to_words(century)} oh {UNITS[rest]}"
    return f"{int_to_words(century)} {int_to_words(rest)}"


def ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def match_case(template: str, text: str) -> str:
    """Render ``text`` in the capitalisation of ``template`` (lower, Title or UPPER)."""
    if template.isupper() and len(template) > 1:
        return text.upper()
    if template[:1].isupper():
        return text[:1].upper() + text[1:]
    return text
