"""A past stroke with a remaining deficit is coded I69.3-, not its history code (session 5)."""

from __future__ import annotations

import pytest

from scribestream.evals.coding import as_draft
from services.coding.codeset import SimpleIcd10CmCodeSet
from services.coding.domain import (
    ALL_FINDINGS,
    OUTPATIENT,
    SUGGEST_MIN_CONFIDENCE,
    suggest_codes,
)
from services.coding.sequelae import _DEFICITS, _HEMIPLEGIA

pytestmark = pytest.mark.unit


def suggested(codeset: SimpleIcd10CmCodeSet, text: str, mode: str = OUTPATIENT) -> list[str]:
    got = suggest_codes(as_draft("t", text), codeset=codeset, mode=mode)
    return [s.code for s in got if s.confidence >= SUGGEST_MIN_CONFIDENCE]


def test_every_sequela_code_is_billable(codeset: SimpleIcd10CmCodeSet) -> None:
    codes = [d.code for d in _DEFICITS if d.code] + list(_HEMIPLEGIA.values()) + ["I69.359", "I69.30"]
    assert all(codeset.is_billable(c) for c in codes)


@pytest.mark.parametrize(("text", "codes"), [
    ("History of stroke with residual left hemiparesis.", ["I69.354"]),  # left: non-dominant by default
    ("Prior CVA with right-sided weakness and dysphagia.", ["I69.351", "I69.391"]),  # right: dominant
    ("Old stroke with residual aphasia.", ["I69.320"]),
    ("History of stroke with residual hemiparesis.", ["I69.359"]),
    ("History of stroke with residual deficits.", ["I69.30"]),
])
def test_a_deficit_left_by_a_past_stroke_is_one_sequela_code(
    codeset: SimpleIcd10CmCodeSet, text: str, codes: list[str],
) -> None:
    for mode in (OUTPATIENT, ALL_FINDINGS):
        got = suggested(codeset, text, mode)
        assert [c for c in got if c.startswith("I69")] == codes
        # The sequela code replaces the infarction, its history code and the deficit coded alone.
        assert not [c for c in got if c.startswith(("I63", "Z86.73", "G81", "R47", "R13.1"))]


@pytest.mark.parametrize(("text", "expected"), [
    ("History of stroke, no residual deficits.", "Z86.73"),  # nothing remains: the history code
    ("Acute stroke with left hemiparesis.", "I63.9"),  # the acute infarction and its current deficit
])
def test_no_sequela_without_a_remaining_deficit_of_a_past_stroke(
    codeset: SimpleIcd10CmCodeSet, text: str, expected: str,
) -> None:
    got = suggested(codeset, text)
    assert expected in got and not [c for c in got if c.startswith("I69")]
