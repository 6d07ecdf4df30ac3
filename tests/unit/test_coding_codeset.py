"""The simple-icd-10-cm adapter and its Excludes1 parsing."""

from __future__ import annotations

import pytest

from services.coding.codeset import (
    SimpleIcd10CmCodeSet,
    in_current_edition,
    in_ref,
    parse_refs,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def codeset() -> SimpleIcd10CmCodeSet:
    return SimpleIcd10CmCodeSet()


def test_parse_refs_reads_single_codes_wildcards_and_ranges() -> None:
    assert parse_refs("hypertensive disease complicating pregnancy (O10-O11, O13-O16)") == [("O10", "O11"), ("O13", "O16")]
    assert parse_refs("gestational diabetes (O24.4-)") == [("O24.4", "O24.4")]
    assert parse_refs("fever of unknown origin (R50.2-R50.9)") == [("R50.2", "R50.9")]
    assert in_ref("E11.22", ("E08", "E13")) and not in_ref("E14.1", ("E08", "E13"))


def test_validity_and_billability(codeset: SimpleIcd10CmCodeSet) -> None:
    assert codeset.is_valid("E11.22") and codeset.is_billable("E11.22")
    assert codeset.is_valid("I50") and not codeset.is_billable("I50")  # a category, not a billable leaf
    assert not codeset.is_valid("Z99.999") and not codeset.is_valid("")
    # A block without sub-blocks is a leaf of the library's tree but no code: "Malignant neoplasms (C00-C96)" once
    # read as a billable "code" (found when descriptions began to be read without their parentheses).
    assert codeset.is_valid("C00-C96") and not codeset.is_billable("C00-C96") and not codeset.is_billable("M00-M25")
    assert not any("-" in code for code, _ in codeset.billable_terms())
    assert all(codeset.is_billable(code) for code in ("B20", "R99", "Z66", "F99", "S72.002A"))  # blocks of one category
    assert codeset.description("R51.9") == "Headache, unspecified"
    assert codeset.description("not-a-code") == ""


def test_excludes1_is_inherited_from_ancestors(codeset: SimpleIcd10CmCodeSet) -> None:
    # E11 "Type 2 diabetes mellitus" Excludes1 type 1 diabetes (E10.-).
    assert codeset.excludes("E11.22", "E10.9")
    assert not codeset.excludes("E11.22", "I10")


def test_billable_terms_include_inclusion_terms(codeset: SimpleIcd10CmCodeSet) -> None:
    terms = codeset.billable_terms()
    assert ("J06.9", "Upper respiratory infection NOS") in terms
    assert all(codeset.is_billable(code) for code, _ in terms[:200])


@pytest.mark.parametrize(("old", "current"), [
    ("I10", "I10"),  # billable: unchanged
    ("r69", "R69"),  # case and dots as CodiEsp writes them
    ("T14.90", "T14.90XA"),  # 7th character added later: the initial encounter
    ("W19.XXX", "W19.XXXA"),  # placeholder X written without the 7th character
    ("T81.4XX", "T81.40XA"),
    ("T14.8", "T14.8XXA"),
    ("R51", None),  # subdivided by FY2026 (R51.0 / R51.9): which child is not known
    ("K56.60", None),
    ("XX9.99", None),
])
def test_earlier_edition_injury_codes_take_their_initial_encounter(codeset: SimpleIcd10CmCodeSet, old: str,
                                                                   current: str | None) -> None:
    assert in_current_edition(old, codeset) == current
