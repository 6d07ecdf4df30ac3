"""One decoder per process, shared by every encounter the process handles: who decodes next.

CTranslate2 already spreads one decode over all its threads, so two decodes at once only contend for the
same cores; the gate lets one run at a time and picks the next by age: the request whose audio has been
waiting longest goes first (a lagging encounter catches up before a fresh one is served). Live drafts
(``transcript.partials``) are best effort: they run only when the decoder is idle and nobody waits, so
they can never make a final turn late.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class DecodeGate:
    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.served = 0
        self.drafts_skipped = 0

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._waiting)

    @asynccontextmanager
    async def final(self, *, since: float) -> AsyncIterator[None]:
        """Hold the decoder for a final decode; ``since``: monotonic time the oldest audio it covers
        arrived (smaller = served first)."""
        if self._busy or self._waiting:
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
            self._busy = True
        try:
            yield
        finally:
            self.served += 1
            self._release()

    @asynccontextmanager
    async def draft(self) -> AsyncIterator[bool]:
        """Yields True with the decoder held when it is idle, else False (skip this draft)."""
        if self._busy or self._waiting:
            self.drafts_skipped += 1
            yield False
            return
        self._busy = True
        try:
            yield True
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.cancelled():
                future.set_result(None)  # the decoder passes straight to the oldest waiter
                return
        self._busy = False
