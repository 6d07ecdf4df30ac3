"""The one hypothesis budget of the hostile-input tests (tests/unit/test_fuzz_*.py): a bounded number of
examples and a per-example deadline, so the set stays fast in CI and a hang fails instead of stalling."""

from datetime import timedelta

from hypothesis import HealthCheck, settings

FUZZ = settings(max_examples=60, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
