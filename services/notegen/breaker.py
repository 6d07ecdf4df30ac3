"""A small circuit breaker for the LLM server.

After ``threshold`` consecutive failures the circuit opens: calls are refused at once (the note falls back
to the grounded writer) instead of every encounter waiting out its own retries against a server that is
down. After ``reset_s`` one trial call is let through (half-open); its success closes the circuit, its
failure opens it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitOpen(RuntimeError):
    """The breaker refused the call; the message carries no content."""


class CircuitBreaker:
    def __init__(self, *, threshold: int = 5, reset_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self._threshold = threshold
        self._reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._reset_s:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Raise ``CircuitOpen`` unless a call may go out now."""
        state = self.state
        if state == "open" or (state == "half_open" and self._trial_running):
            raise CircuitOpen("circuit open")
        if state == "half_open":
            self._trial_running = True

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self._opened_at is not None or self._failures >= self._threshold:
            self._opened_at = self._clock()  # a failed trial re-opens for another full reset period
