"""Insurance tags on diagnosis codes and the risk-adjustment port. Pure: the CMS-HCC tables come in through
:class:`RiskModel` (adapter: :mod:`services.coding.hcc`).

Tags: ``chronic`` or ``acute`` on every diagnosis/symptom code, ``preventive`` (encounters for examination,
screening, immunisation, counselling), ``behavioral_health`` (mental, behavioural and neurodevelopmental disorders
and emotional-state symptoms) and ``telehealth`` on every code of a telehealth visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class HccInfo:
    hcc: str  # e.g. "HCC37"
    label: str
    chronic: bool


@dataclass(frozen=True)
class RiskScore:
    score: float  # demographic + disease + interaction terms of the model
    coefficients: dict[str, float]  # HCC -> coefficient, for the HCCs that survived the hierarchies
    dropped: dict[str, str]  # HCC -> the higher-ranked HCC that superseded it


class RiskModel(Protocol):
    name: str

    def hcc_of(self, code: str) -> HccInfo | None: ...

    def score(self, codes: Sequence[str], *, age: int, sex: str) -> RiskScore:
        """``sex`` is "female" or "male"."""
        ...


# Chronic conditions by ICD-10-CM category prefix (beyond what the description or the HCC table says).
_CHRONIC_PREFIXES = (
    "E0", "E10", "E11", "E13", "E66", "E78", "E03", "E05", "I1", "I25", "I48", "I50", "I70", "J44", "J45", "J84", "N18", "K21",
    "K50", "K51", "K58", "K70", "K74", "M05", "M06", "M15", "M16", "M17", "M19", "M32", "M45", "M81", "G20", "G30", "G35", "G40",
    "G43", "G47.3", "F01", "F02", "F03", "F10.2", "F11.2", "F17.2", "F20", "F25", "F31", "F33", "F41.1", "F42", "F84", "F90",
    "B18", "B20", "D57", "H40", "L40", "N40", "D63", "Z79", "Z94", "Z99",
)
_PREVENTIVE_PREFIXES = ("Z00", "Z01.4", "Z02", "Z11", "Z12", "Z13", "Z23", "Z30", "Z71", "Z76.2", "Z13")
_BEHAVIORAL_PREFIXES = ("F", "R45", "Z91.5", "T14.91")


def tags_for(*, code: str, description: str, category: str, chronic_hint: bool, telehealth: bool, hcc: HccInfo | None) -> list[str]:
    tags: list[str] = []
    d = description.lower()
    if category in ("diagnosis", "symptom"):
        chronic = chronic_hint or "chronic" in d or code.startswith(_CHRONIC_PREFIXES) or (hcc is not None and hcc.chronic)
        tags.append("chronic" if chronic and "acute" not in d.split(" on ")[0] else "acute")
    if code.startswith(_PREVENTIVE_PREFIXES):
        tags.append("preventive")
    if code.startswith(_BEHAVIORAL_PREFIXES):
        tags.append("behavioral_health")
    if telehealth:
        tags.append("telehealth")
    return tags
