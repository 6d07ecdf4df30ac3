"""What a recognizer finds: a typed span of the original text. Spans never carry the text they cover, so a
span list can be logged, exported or counted without leaking the identifier itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PhiType(str, Enum):
    """The HIPAA Safe Harbor identifiers that can occur in a spoken visit or its note."""

    NAME = "NAME"
    DATE = "DATE"
    AGE = "AGE"  # ages over 89 only
    PHONE = "PHONE"
    FAX = "FAX"
    EMAIL = "EMAIL"
    ADDRESS = "ADDRESS"  # street address, PO box
    LOCATION = "LOCATION"  # city, town, county (states and countries are allowed by Safe Harbor)
    ZIP = "ZIP"
    ID = "ID"  # MRN, account, member, policy, licence, device and other identifying numbers
    SSN = "SSN"
    URL = "URL"
    IP = "IP"


@dataclass(frozen=True)
class Found:
    """A recognizer's hit before anonymization: where, what, how sure."""

    type: PhiType
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Span:
    """One replaced identifier: offsets in the ORIGINAL text and what was written in its place."""

    type: PhiType
    start: int
    end: int
    replacement: str

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type.value, "start": self.start, "end": self.end, "replacement": self.replacement}


def resolve_overlaps(found: list[Found]) -> list[Found]:
    """Keep a non-overlapping subset: the surest hit wins, then the longer one, then the earlier one.

    Whatever a discarded hit covered beyond the winner is still PHI-suspect, so a loser that sticks out on
    one side is not dropped silently: the winner is widened to cover it when both are of the same type."""
    ordered = sorted(found, key=lambda f: (-f.score, -(f.end - f.start), f.start))
    kept: list[Found] = []
    for hit in ordered:
        clash = [k for k in kept if hit.start < k.end and k.start < hit.end]
        if not clash:
            kept.append(hit)
            continue
        if len(clash) == 1 and clash[0].type == hit.type:
            winner = clash[0]
            merged = Found(winner.type, min(winner.start, hit.start), max(winner.end, hit.end), winner.score)
            others = [k for k in kept if k is not winner]
            if not any(merged.start < k.end and k.start < merged.end for k in others):
                kept = others + [merged]
    return sorted(kept, key=lambda f: f.start)
