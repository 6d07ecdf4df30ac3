"""Replace what the analyzer found. Dates move by the encounter's offset (so intervals within a visit stay
true), ages over 89 become "90 or older", everything else becomes its type in brackets ("[NAME]").

The offset comes from a keyed hash of the encounter id: the same key and encounter always give the same shift,
and without the key the shift cannot be recomputed from the id."""

from __future__ import annotations

import hashlib
import hmac

from scribestream.deid.dates import find_dates, shift
from scribestream.deid.spans import Found, PhiType, Span

MAX_SHIFT_DAYS = 365
AGE_REPLACEMENT = "90 or older"


def date_offset(*, key: bytes, encounter_id: str) -> int:
    """A non-zero shift in [-365, 365] days, fixed for (key, encounter)."""
    digest = hmac.new(key, encounter_id.encode("utf-8"), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big")
    days = 1 + value % MAX_SHIFT_DAYS
    return days if (value >> 63) & 1 else -days


def replacement_for(found: Found, text: str, *, offset_days: int) -> str:
    original = text[found.start:found.end]
    if found.type is PhiType.DATE:
        mentions = find_dates(original)
        if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(original):
            return shift(mentions[0], original, days=offset_days)
        return "[DATE]"
    if found.type is PhiType.AGE:
        return "90-or-older" if original.lower().endswith("-year-old") else AGE_REPLACEMENT
    return f"[{found.type.value}]"


def anonymize(text: str, found: list[Found], *, offset_days: int) -> tuple[str, list[Span]]:
    """The de-identified text and the spans (offsets in ``text``), for non-overlapping ``found``."""
    spans = [Span(f.type, f.start, f.end, replacement_for(f, text, offset_days=offset_days))
             for f in sorted(found, key=lambda f: f.start)]
    pieces, cursor = [], 0
    for span in spans:
        pieces += [text[cursor:span.start], span.replacement]
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces), spans
