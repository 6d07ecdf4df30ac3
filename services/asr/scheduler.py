"""One model per process, shared by every encounter the process handles: who decodes next.

The gate lets ``slots`` decodes run at once (the engine's CTranslate2 workers, ``SCRIBESTREAM_DECODERS``; more
than the workers would only contend for the same cores) and picks the next by age: the request whose audio has been
waiting longest goes first (a lagging encounter catches up before a fresh one is served). Live drafts
(``transcript.partials``) are best effort: they run only when the decoder is idle and nobody waits, so
they can never make a final turn late. Speculative decodes (an utterance decoded while its closing pause is
still being confirmed) likewise start only on an idle gate.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class DecodeGate:
    """``slots``: decodes that may run at once (the engine's CTranslate2 workers; 1 = strictly one at a time)."""

    def __init__(self, *, slots: int = 1) -> None:
        self._slots = max(1, slots)
        self._active = 0
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.served = 0
        self.drafts_skipped = 0

    @property
    def busy(self) -> bool:
        return self._active >= self._slots or bool(self._waiting)

    @asynccontextmanager
    async def final(self, *, since: float) -> AsyncIterator[None]:
        """Hold the decoder for a final decode; ``since``: monotonic time the oldest audio it covers
        arrived (smaller = served first)."""
        if self.busy:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (since, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # it was handed the decoder just as it was cancelled
                else:
                    self._waiting = [w for w in self._waiting if w[2] is not future]
                    heapq.heapify(self._waiting)
                raise
        else:
            self._active += 1
        try:
            yield
        finally:
            self.served += 1
            self._release()

    @asynccontextmanager
    async def draft(self) -> AsyncIterator[bool]:
        """Yields True with the decoder held when it is idle, else False (skip this draft)."""
        if self.busy:
            self.drafts_skipped += 1
            yield False
            return
        self._active += 1
        try:
            yield True
        finally:
            self._release()

    @property
    def idle(self) -> bool:
        """No decode runs and nobody waits."""
        return not self._active and not self._waiting

    def hold_if_idle(self) -> bool:
        """Take a slot for a speculative decode only when idle, so speculation never delays a final turn by
        more than the one decode it started first; ``release`` it after."""
        if not self.idle:
            return False
        self._active += 1
        return True

    def release(self) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.cancelled():
                future.set_result(None)  # the slot passes straight to the oldest waiter
                return
        self._active -= 1
