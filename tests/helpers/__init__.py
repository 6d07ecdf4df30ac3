"""Test helpers shared by unit, integration and e2e tests (fakes, builders, broker readers)."""
