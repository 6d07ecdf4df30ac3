"""Dates in notes and speech, found and shifted in place, keeping the way each was written.

"03/14/2021", "2021-03-14", "March 14th, 2021", "14 Mar 2021", "March fourteenth", "the twelfth of May",
"March 2021", "nineteen fifty-two" after a month... Each part (day, month, year) is re-rendered in its original
style: zero padding, ordinal suffix, spelled-out words, abbreviation, capitalisation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from scribestream.deid.numbers import (
    CARDINAL_WORD_RE,
    ORDINAL_WORD_RE,
    YEAR_WORD_RE,
    int_to_ordinal_words,
    int_to_words,
    match_case,
    ordinal_suffix,
    words_to_int,
    year_to_words,
    year_words_to_int,
)

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
_MONTH_BY_NAME = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
             r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY_DIGITS = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_YEAR = rf"(?:(?:19|20)\d\d|'\d\d|{YEAR_WORD_RE})"
_B = r"(?<![\w'])"
_E = r"(?![\w])"

# The day must be present next to a name month, except with a year ("March 2021"), so that "may" the verb and
# "march" the verb are left alone.
_PATTERNS = [
    re.compile(rf"{_B}(?P<month>{_MONTH_RE})\.?,?\s+(?:the\s+)?(?P<day>{ORDINAL_WORD_RE}|{_DAY_DIGITS}|{CARDINAL_WORD_RE}){_E}"
               rf"(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}){_E})?", re.IGNORECASE),
    re.compile(rf"{_B}(?:the\s+)?(?P<day>{ORDINAL_WORD_RE}|{_DAY_DIGITS})(?:\s+of)?\s+(?P<month>{_MONTH_RE})\.?{_E}"
               rf"(?:,?\s+(?P<year>{_YEAR}){_E})?", re.IGNORECASE),
    re.compile(rf"{_B}(?P<month>{_MONTH_RE})\.?,?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d|{YEAR_WORD_RE}){_E}", re.IGNORECASE),
    re.compile(r"(?<![\w/.-])(?P<n1>\d{1,2})(?P<sep>[/.-])(?P<n2>\d{1,2})(?P=sep)(?P<nyear>\d{4}|\d{2})(?![\w/]|\.\d)"),
    re.compile(r"(?<![\w/.-])(?P<nyear>(?:19|20)\d\d)(?P<sep>[/.-])(?P<n1>\d{1,2})(?P=sep)(?P<n2>\d{1,2})(?![\w/]|\.\d)"),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    year: int | None
    month: int
    day: int | None
    # where each part sits inside the mention, and how it was written, to re-render it
    parts: tuple[tuple[str, int, int, str], ...]  # (role, start, end, original text)


def _year_value(text: str) -> int | None:
    if text.startswith("'"):
        return 1900 + int(text[1:]) if int(text[1:]) > 30 else 2000 + int(text[1:])
    if text.isdigit():
        n = int(text)
        return n if len(text) == 4 else (1900 + n if n > 30 else 2000 + n)
    return year_words_to_int(text)


def _day_value(text: str) -> int | None:
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits else words_to_int(text)


def _valid(year: int | None, month: int, day: int | None) -> bool:
    try:
        dt.date(year or 2000, month, day or 1)
    except ValueError:
        return False
    return True


def find_dates(text: str) -> list[DateMention]:
    # Every pattern proposes; the longest reading wins ("the 3rd of jan two thousand and three", not "jan two").
    candidates = [c for pattern in _PATTERNS for m in pattern.finditer(text) if (c := _mention(m)) is not None]
    mentions: list[DateMention] = []
    for c in sorted(candidates, key=lambda d: (d.start - d.end, d.start)):
        if not any(c.start < k.end and k.start < c.end for k in mentions):
            mentions.append(c)
    return sorted(mentions, key=lambda d: d.start)


def _mention(m: re.Match[str]) -> DateMention | None:
    groups = m.groupdict()
    parts: list[tuple[str, int, int, str]] = []
    if groups.get("n1") is not None:
        a, b = int(groups["n1"]), int(groups["n2"])
        month, day = (b, a) if a > 12 and b <= 12 else (a, b)  # month first unless only day-first can be right
        year = _year_value(groups["nyear"])
        parts += [("nmonth" if month == a else "nday", *m.span("n1"), groups["n1"]),
                  ("nday" if month == a else "nmonth", *m.span("n2"), groups["n2"])]
        parts.append(("year", *m.span("nyear"), groups["nyear"]))
    else:
        month = _MONTH_BY_NAME.get(groups["month"].lower().rstrip("."))
        if month is None:
            month = _MONTH_BY_NAME.get(groups["month"].lower()[:3])
        day = _day_value(groups["day"]) if groups.get("day") else None
        year = _year_value(groups["year"]) if groups.get("year") else None
        # "may one" / "march two": only a date when the day is unmistakably an ordinal
        if (groups.get("day") and groups["month"].lower() in ("may", "march") and groups["month"].islower()
                and not re.search(r"\d|st$|nd$|rd$|th$", groups["day"], re.IGNORECASE)):
            return None
        parts.append(("month", *m.span("month"), groups["month"]))
        if groups.get("day"):
            parts.append(("day", *m.span("day"), groups["day"]))
        if groups.get("year"):
            parts.append(("year", *m.span("year"), groups["year"]))
    if month is None or (day is not None and not 1 <= day <= 31) or not _valid(year, month, day):
        return None
    return DateMention(m.start(), m.end(), year, month, day, tuple(parts))


def _render_year(original: str, year: int) -> str:
    if original.startswith("'"):
        return f"'{year % 100:02d}"
    if original.isdigit():
        return str(year) if len(original) == 4 else f"{year % 100:02d}"
    style = "thousand" if "thousand" in original.lower() else "century"
    return match_case(original, year_to_words(year, style=style))


def _render_day(original: str, day: int) -> str:
    if original[:1].isdigit():
        digits = re.match(r"\d+", original).group()  # type: ignore[union-attr]
        text = f"{day:02d}" if len(digits) == 2 and digits.startswith("0") else str(day)
        return text + (ordinal_suffix(day) if len(original) > len(digits) else "")
    words = int_to_ordinal_words(day) if words_to_int(original) is not None and not _is_cardinal(original) \
        else int_to_words(day)
    if " " in original.strip():
        words = words.replace("-", " ")
    return match_case(original, words)


def _is_cardinal(text: str) -> bool:
    return re.search(r"(st|nd|rd|th)$", text.strip(), re.IGNORECASE) is None


def _render_month(original: str, month: int) -> str:
    name = MONTHS[month - 1]
    bare = original.rstrip(".")
    if len(bare) <= 4 and bare.lower() != MONTHS[_MONTH_BY_NAME[bare.lower()] - 1]:
        name = "sept" if bare.lower() == "sept" and month == 9 else name[:3]
    return match_case(bare, name) + original[len(bare):]


def shift(mention: DateMention, text: str, *, days: int) -> str:
    """The mention re-written ``days`` later (or earlier), every part in its original style."""
    base = dt.date(mention.year or 2000, mention.month, mention.day or 15)  # 2000 is a leap year: Feb 29 stays valid
    new = base + dt.timedelta(days=days)
    out = text[mention.start:mention.end]
    for role, start, end, original in sorted(mention.parts, key=lambda p: -p[1]):
        if role == "year":
            value = _render_year(original, new.year) if mention.year else original
        elif role == "month":
            value = _render_month(original, new.month)
        elif role == "day":
            value = _render_day(original, new.day)
        elif role == "nmonth":
            value = f"{new.month:0{len(original)}d}"
        else:  # nday
            value = f"{new.day:0{len(original)}d}"
        out = out[: start - mention.start] + value + out[end - mention.start:]
    return out
