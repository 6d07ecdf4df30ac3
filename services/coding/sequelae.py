"""Sequelae of stroke: a past stroke with a deficit that remains is coded I69.3-, not as a history code.

ICD-10-CM codes a deficit that outlasts a cerebral infarction with one I69.3- combination code ("Hemiplegia and
hemiparesis following cerebral infarction affecting left non-dominant side"), and keeps Z86.73 (personal history of
cerebral infarction without residual deficits) for a stroke that left none; I63.- is the acute infarction. So
"history of stroke with residual left hemiparesis" is I69.354, not Z86.73, and neither I63.9 nor the bare G81.94.
The stroke must be past (a history, "old", "prior", "residual", "since the stroke"); an acute stroke with weakness
keeps its acute codes. The side follows guideline I.C.6.a (right: dominant, left: non-dominant, unless the note
says). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.coding.matcher import (
    Assertion,
    assertions,
    clauses,
    phrase_starts,
    tokens,
)

STROKE = frozenset({"stroke"})  # lexicon concept keys of a cerebral infarction
_PAST = frozenset(tokens("old prior previous remote residual residua sequela sequelae since post chronic following"))
_ACUTE = frozenset(tokens("acute new ongoing evolving"))
_LATE_EFFECT = tuple(tokens("late effect"))  # "as a late effect of ischemic stroke": a sequela


@dataclass(frozen=True)
class Deficit:
    words: tuple[str, ...]
    code: str | None  # None: by side (hemiplegia)


_DEFICITS: tuple[Deficit, ...] = (
    *(Deficit(tuple(tokens(w)), None) for w in ("hemiparesis", "hemiplegia", "sided weakness", "side weakness")),
    Deficit(tuple(tokens("aphasia")), "I69.320"), Deficit(tuple(tokens("dysphasia")), "I69.321"),
    Deficit(tuple(tokens("dysarthria")), "I69.322"), Deficit(tuple(tokens("dysphagia")), "I69.391"),
    Deficit(tuple(tokens("facial weakness")), "I69.392"), Deficit(tuple(tokens("facial droop")), "I69.392"),
    Deficit(tuple(tokens("ataxia")), "I69.393"), Deficit(tuple(tokens("apraxia")), "I69.390"),
    Deficit(tuple(tokens("memory deficit")), "I69.311"), Deficit(tuple(tokens("cognitive deficits")), "I69.319"),
    Deficit(tuple(tokens("cognitive deficit")), "I69.319"),
)
_GENERIC = (tuple(tokens("residual deficits")), tuple(tokens("residual deficit")), tuple(tokens("sequelae")))
# Hemiplegia by side: (side, dominance) -> code.
_HEMIPLEGIA = {("right", "dominant"): "I69.351", ("left", "dominant"): "I69.352", ("right", "nondominant"): "I69.353",
               ("left", "nondominant"): "I69.354"}
_DEFAULT_DOMINANCE = {"right": "dominant", "left": "nondominant"}  # guideline I.C.6.a


def _side(toks: list[str], i: int) -> str | None:
    # The side said right before the deficit is its own ("R hemiparesis from a L MCA stroke"); else one side near it.
    before = next((t for t in reversed(toks[max(0, i - 2) : i]) if t in ("right", "left")), None)
    if before is not None:
        return before
    near = toks[max(0, i - 3) : i + 4]
    sides = {t for t in near if t in ("right", "left")}
    return next(iter(sides)) if len(sides) == 1 else None


def _dominance(toks: list[str], side: str) -> str:
    if "nondominant" in toks:
        return "nondominant"
    if "dominant" in toks:
        return "dominant"
    # A handedness the note gives says which side dominates ("pt is left-handed": a left hemiplegia is dominant).
    handed = next((toks[j - 1] for j in phrase_starts(toks, ("handed",)) if j and toks[j - 1] in ("right", "left")), None)
    if handed is not None:
        return "dominant" if handed == side else "nondominant"
    return _DEFAULT_DOMINANCE[side]


def sequela_codes(text: str, *, stroke_assertion: Assertion) -> list[str]:
    """The I69.3- codes for a statement that names a stroke (its mention's assertion given) and what it left; [] when
    the stroke is acute or current, or no deficit remains (negated deficits do not count)."""
    parts = clauses(text)
    toks = [t for part in parts for t in part]
    past = (stroke_assertion is Assertion.HISTORY or not _PAST.isdisjoint(toks)
            or bool(phrase_starts(toks, _LATE_EFFECT)))
    if not past or not _ACUTE.isdisjoint(toks) or stroke_assertion is Assertion.NEGATED:
        return []
    codes: list[str] = []
    for part in parts:
        status = assertions(part)
        for deficit in _DEFICITS:
            for i in phrase_starts(part, deficit.words):
                if status[i] in (Assertion.NEGATED, Assertion.FAMILY, Assertion.OTHER):
                    continue
                if deficit.code is not None:
                    codes.append(deficit.code)
                    continue
                side = _side(part, i)
                codes.append(_HEMIPLEGIA[(side, _dominance(part, side))] if side else "I69.359")
        if not codes and any(status[i] not in (Assertion.NEGATED, Assertion.FAMILY, Assertion.OTHER)
                             for phrase in _GENERIC for i in phrase_starts(part, phrase)):
            codes.append("I69.30")
    return list(dict.fromkeys(codes))
