"""KRaft cluster ids for the local stack: the storage tool's argument parser must never read one as an option."""

from __future__ import annotations

import re

import pytest

from scribestream.devstack import new_cluster_id

pytestmark = pytest.mark.unit


def test_cluster_ids_are_url_safe_uuids_that_never_start_with_a_dash():
    ids = [new_cluster_id() for _ in range(3000)]  # without the guard, ~47 of them would start with "-"
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", i) for i in ids)
    assert len(set(ids)) == len(ids)
