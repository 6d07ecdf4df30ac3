"""Fixtures the unit tests share."""

from __future__ import annotations

import pytest

from services.coding.codeset import SimpleIcd10CmCodeSet


@pytest.fixture(scope="session")
def codeset() -> SimpleIcd10CmCodeSet:
    """The real ICD-10-CM FY2026 code set, loaded once (about 2 s) for every coding test."""
    return SimpleIcd10CmCodeSet().load()
