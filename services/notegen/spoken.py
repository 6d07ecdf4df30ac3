"""Spoken-language normalization shared by the note writer and the checker.

Both sides must see the same text: the writer turns "ten milligrams" into "10 mg", and the checker has to
find "10 mg" in the very turn that said "ten milligrams". Pure functions, stdlib only.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | {"hundred", "thousand"}

# Spoken unit -> written abbreviation. Only units whose abbreviation is unambiguous in a note.
UNIT_ABBREVIATIONS = {
    "milligrams": "mg", "milligram": "mg", "micrograms": "mcg", "microgram": "mcg", "grams": "g", "gram": "g",
    "milliliters": "mL", "milliliter": "mL", "millilitres": "mL", "kilograms": "kg", "kilogram": "kg",
    "percent": "%", "per cent": "%",
}
# Words after which a bare "one" is a quantity ("one tablet"), not a pronoun ("the left one").
_QUANTITY_NOUNS = (
    "mg|mcg|g|ml|kg|%|tablets?|pills?|capsules?|puffs?|drops?|units?|doses?|times?|days?|weeks?|months?|years?|"
    "hours?|minutes?|seconds?|nights?|mornings?|episodes?|out of|over|a day|a week|daily|pounds?|lbs?|inch(?:es)?|"
    "feet|foot|centimeters?|cm|millimeters?|mm|beats?|breaths?|cigarettes?|packs?|drinks?|glasses|servings?|"
    "hundred|thousand"
)


def _parse_number_words(words: list[str]) -> int | None:
    """"one hundred sixty two" -> 162. ``words`` are lower-case number words; None if not a well-formed number."""
    total, current, last = 0, 0, ""
    for w in words:
        if w in _UNITS:
            if last in _UNITS or (last in _TENS and _UNITS[w] >= 10):
                return None  # "six two" is two numbers, not one
            current += _UNITS[w]
        elif w in _TENS:
            if last in _UNITS or last in _TENS:
                return None
            current += _TENS[w]
        elif w == "hundred":
            if current == 0 or current >= 100:
                return None
            current *= 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
        last = w
    return total + current


def _split_number_runs(words: list[str]) -> list[list[str]]:
    """Split a run like ["ninety", "eight", "seventy", "two"] into well-formed numbers, greedily."""
    runs: list[list[str]] = []
    i = 0
    while i < len(words):
        j = len(words)
        while j > i + 1 and _parse_number_words(words[i:j]) is None:
            j -= 1
        runs.append(words[i:j])
        i = j
    return runs


def numbers_to_digits(text: str) -> str:
    """Replace spoken numbers with digits where that is safe.

    "one hundred sixty two over ninety eight" -> "162 over 98"; a lone "one" stays a word unless a quantity
    follows, because "the left one" and "one of them" are not numbers.
    """
    out: list[str] = []
    tokens = list(re.finditer(r"[A-Za-z]+|[^A-Za-z]+", text))
    i = 0
    while i < len(tokens):
        tok = tokens[i].group(0)
        if tok.lower() not in _NUMBER_WORDS:
            out.append(tok)
            i += 1
            continue
        # Collect a run of number words joined by spaces, hyphens or "and" inside a hundred ("one hundred and five").
        run_idx = [i]
        k = i + 1
        while k + 1 < len(tokens):
            if tokens[k].group(0) in (" ", "-") and tokens[k + 1].group(0).lower() in _NUMBER_WORDS:
                run_idx.append(k + 1)
                k += 2
            elif (  # "one hundred and five": the "and" belongs to the number
                tokens[run_idx[-1]].group(0).lower() == "hundred"
                and k + 3 < len(tokens)
                and tokens[k].group(0) == " "
                and tokens[k + 1].group(0).lower() == "and"
                and tokens[k + 2].group(0) == " "
                and tokens[k + 3].group(0).lower() in set(_UNITS) | set(_TENS)
            ):
                run_idx.append(k + 3)
                k += 4
            else:
                break
        words = [tokens[j].group(0).lower() for j in run_idx]
        parts = _split_number_runs(words)
        rendered: list[str] = []
        for part in parts:
            value = _parse_number_words(part)
            rendered.append(str(value) if value is not None else " ".join(part))
        rest = text[tokens[run_idx[-1]].end():]
        if words == ["one"] and not re.match(rf"\s*(?:{_QUANTITY_NOUNS})\b", rest, re.IGNORECASE):
            rendered = [tok]
        out.append(" ".join(rendered))
        i = run_idx[-1] + 1
    return "".join(out)


def tidy(text: str) -> str:
    """Undo transcript quirks ("ca n't", " ,", "gon na", stutters like "i i") so rewriting sees plain English."""
    s = text.replace("’", "'")
    s = re.sub(r"\bca n't\b", "can't", s, flags=re.IGNORECASE)
    s = re.sub(r"\bwo n't\b", "won't", s, flags=re.IGNORECASE)
    s = re.sub(r"\s+n't\b", "n't", s)
    s = re.sub(r"\s+'(s|re|ve|ll|d|m)\b", r"'\1", s)
    s = re.sub(r"\bgon na\b", "going to", s, flags=re.IGNORECASE)
    s = re.sub(r"\bwan na\b", "want to", s, flags=re.IGNORECASE)
    s = re.sub(r"\blem me\b", "let me", s, flags=re.IGNORECASE)
    s = re.sub(r"\s+([,.?!;:])", r"\1", s)
    s = re.sub(r"\b(\w+(?:'\w+)?)(?:,?\s+\1\b)+", r"\1", s, flags=re.IGNORECASE)  # "i i", "if if if"
    return re.sub(r"\s+", " ", s).strip()


def normalize_spoken(text: str) -> str:
    """Digits for numbers, "162 over 98" -> "162/98", "6 out of 10" -> "6/10", "10 milligrams" -> "10 mg"."""
    s = numbers_to_digits(tidy(text))
    # Blood pressure is spoken without "hundred": "one eighteen over seventy two" is 118/72.
    s = re.sub(r"\b([12]) ([1-9]\d)\b(?=\s+over\b)", r"\1\2", s)
    s = re.sub(r"(?<=\bover )([12]) ([1-9]\d)\b", r"\1\2", s)
    s = re.sub(r"\b(\d+)\s+over\s+(\d+)\b", r"\1/\2", s)
    s = re.sub(r"\b(\d+)\s+out\s+of\s+(\d+)\b", r"\1/\2", s)
    s = re.sub(r"\b(\d+)\s+point\s+(\d+)\b", r"\1.\2", s)
    for spoken, abbr in sorted(UNIT_ABBREVIATIONS.items(), key=lambda kv: -len(kv[0])):
        s = re.sub(rf"\b(\d+(?:\.\d+)?)\s*{spoken}\b", rf"\1 {abbr}" if abbr != "%" else r"\1%", s, flags=re.IGNORECASE)
    return s


def numbers_in(text: str) -> list[str]:
    """Numeric tokens after normalization; "162/98" counts as one token, so "162/96" cannot pass for it."""
    return re.findall(r"\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?", normalize_spoken(text))


def doses_in(text: str) -> list[tuple[str, str]]:
    """(number, unit) pairs such as ("10", "mg")."""
    s = normalize_spoken(text)
    return [(m.group(1), m.group(2).lower()) for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(mg|mcg|g|mL|kg|units?)\b", s, re.IGNORECASE)]


def words(text: str) -> list[str]:
    """Lower-case word tokens of the normalized text; digits and "162/98" kept as tokens."""
    s = normalize_spoken(text).lower().replace("’", "'")
    return re.findall(r"\d+(?:\.\d+)?(?:/\d+)?%?|[a-z]+(?:'[a-z]+)?", s)


def stem(word: str) -> str:
    """Crude suffix stripping so "headaches"/"headache" and "increased"/"increase" match. Not a linguist."""
    w = word.lower()
    for suffix in ("ing", "ies", "ied", "es", "ed", "s", "ly"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w
