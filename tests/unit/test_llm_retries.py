"""shared.llm.call_with_retries: which errors are retried, how long it waits, when it gives up."""

from __future__ import annotations

import pytest

from shared.llm import PermanentLlmError, RetryPolicy, TransientLlmError, call_with_retries

pytestmark = pytest.mark.unit

POLICY = RetryPolicy(max_attempts=3, backoff_initial_s=0.5, backoff_max_s=8.0, retry_after_cap_s=5.0)


class Script:
    """A call that raises the scripted errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_transient_errors_are_retried_with_backoff_and_retry_after_is_honoured_up_to_the_cap():
    call, sleep = Script(TransientLlmError("server_error"), TransientLlmError("rate_limited", retry_after=60)), Sleeps()
    assert await call_with_retries(call, policy=POLICY, sleep=sleep) == "answer"
    assert call.calls == 3
    assert 0 < sleep.waits[0] <= 8.0  # exponential backoff with jitter
    assert sleep.waits[1] == 5.0  # the server asked for 60 s: cut to the cap


async def test_gives_up_after_max_attempts_with_the_last_error():
    call = Script(*(TransientLlmError("timeout") for _ in range(5)))
    with pytest.raises(TransientLlmError, match="timeout"):
        await call_with_retries(call, policy=POLICY, sleep=Sleeps())
    assert call.calls == 3


async def test_permanent_errors_are_not_retried():
    call, sleep = Script(PermanentLlmError("http_401")), Sleeps()
    with pytest.raises(PermanentLlmError):
        await call_with_retries(call, policy=POLICY, sleep=sleep)
    assert call.calls == 1 and sleep.waits == []
