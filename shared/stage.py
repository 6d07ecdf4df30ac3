"""The one interface every pipeline stage implements.

A stage turns one input event into zero or more output events. It knows nothing about Kafka: the
FastStream adapter (``shared.delivery``) and the in-process bus (``scribestream.embedded``) both drive
the same stage object, so each stage has exactly one implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from shared.contracts import Event, Topic


class Stage(Protocol):
    name: str  # service name, e.g. "asr"; also the consumer group
    consumes: Topic
    produces: Topic

    async def handle(self, event: Event) -> Sequence[Event]:
        """Process one input event. Must be idempotent: the same input gives the same outputs
        (deterministic event ids), because delivery is at-least-once."""
        ...


class StageError(RuntimeError):
    """A processing failure whose message holds ids and counts only (safe for DLQ headers and logs)."""
