"""The one delivery mechanism every service uses: decode → dedupe → handle (with retries) → publish
(acks=all) → mark done. Dead-letters what can't be processed so the partition keeps moving.

It knows nothing about FastStream: the adapter (``shared.runtime``) hands it the record and a
``publish`` coroutine that returns only after the broker acknowledged the write, and commits the
input offset only after ``deliver`` returned. Hence at-least-once; deterministic output event ids plus
the dedupe mark make redelivery harmless downstream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from shared.audit import Clock, utc_now, with_audit
from shared.contracts import (
    H_DLQ_ERROR,
    H_DLQ_REASON,
    H_DLQ_SOURCE,
    H_ENCOUNTER,
    ContractViolation,
    Event,
    Topic,
    decode,
    encode,
    is_tombstone,
    topic_of,
)
from shared.crypto import Sealer
from shared.logging import get_logger
from shared.stage import Stage, StageError
from shared.state import StateStore
from shared.telemetry import DEAD_LETTERED, EMITTED, PROCESSED, STAGE_SECONDS

Publish = Callable[..., Awaitable[Any]]  # (topic, value, *, key, headers) -> awaits broker ack

log = get_logger("delivery")


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"
    TOMBSTONE = "tombstone"


def _retryable(err: BaseException) -> bool:
    """An error may say it won't get better by retrying (``retryable = False``, e.g. a FHIR 4xx or a
    contract violation found while processing): it goes to the DLQ at once instead of after N attempts."""
    return not isinstance(err, ContractViolation) and bool(getattr(err, "retryable", True))


def _safe_reason(err: BaseException) -> str:
    """Only our own error types promise PHI-free messages; for anything else, the class name."""
    if isinstance(err, (ContractViolation, StageError)):
        return str(err)[:500]
    return f"{type(err).__name__} raised while processing"


@dataclass
class Delivery:
    stage: Stage
    dedupe: StateStore
    publish: Publish
    max_attempts: int = 3
    dedupe_ttl_s: int = 7 * 24 * 3600
    retry_wait_s: float = 0.2
    keyring: Sealer | None = None  # None: payloads in clear (only when encryption is explicitly off)
    clock: Clock = utc_now  # audit record timestamps

    def _dedupe_key(self, event: Event) -> str:
        return f"done:{self.stage.name}:{event.event_id}"

    async def deliver(self, *, value: bytes | None, headers: Mapping[str, Any], source: str = "") -> Outcome:
        service = self.stage.name
        if is_tombstone(value, dict(headers)):  # `scribestream forget` marker for compacted stores: nothing to do
            PROCESSED.labels(service, Outcome.TOMBSTONE).inc()
            return Outcome.TOMBSTONE
        try:
            event = decode(self.stage.consumes, value, dict(headers), keyring=self.keyring)
        except Exception as err:  # noqa: BLE001 - ContractViolation, or a decoder bug hostile input found:
            # either way the record can never be read, so it is dead-lettered instead of redelivered forever.
            await self._dead_letter(value=value, headers=headers, err=err, source=source)
            return Outcome.DEAD_LETTERED

        if await self.dedupe.get(self._dedupe_key(event)) is not None:
            PROCESSED.labels(service, Outcome.DUPLICATE).inc()
            log.info("duplicate skipped", extra={"stage": service, "event_id": event.event_id})
            return Outcome.DUPLICATE

        started = time.perf_counter()
        try:
            outputs = await self._handle(event)
        except Exception as err:  # noqa: BLE001 - every failure ends in the DLQ, with its class
            await self._dead_letter(value=value, headers=headers, err=err, source=source)
            return Outcome.DEAD_LETTERED
        STAGE_SECONDS.labels(service).observe(time.perf_counter() - started)

        # Publishing failures propagate: the adapter does not commit, so the input is redelivered.
        # Each audited output (note versions, coding results, submissions) is followed by its audit record.
        for out in with_audit(outputs, actor=service, clock=self.clock):
            out_value, out_headers = encode(out, keyring=self.keyring)
            await self.publish(topic_of(out).value, out_value, key=out.encounter_id.encode(), headers=out_headers)
            EMITTED.labels(service).inc()
        await self.dedupe.set(self._dedupe_key(event), b"1", ttl_s=self.dedupe_ttl_s)
        PROCESSED.labels(service, Outcome.PROCESSED).inc()
        # Most audio chunks produce nothing: keep those at debug so the log shows the events that matter.
        log.log(
            logging.INFO if outputs else logging.DEBUG,
            "processed",
            extra={"stage": service, "event_id": event.event_id, "encounter_id": event.encounter_id,
                   "count": len(outputs), "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
        )
        return Outcome.PROCESSED

    async def _handle(self, event: Event):
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            retry=retry_if_exception(_retryable),
            wait=wait_exponential(multiplier=self.retry_wait_s, max=5),
            reraise=True,
        ):
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    log.warning("retrying", extra={"stage": self.stage.name, "event_id": event.event_id,
                                                   "attempt": attempt.retry_state.attempt_number})
                return list(await self.stage.handle(event))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _dead_letter(self, *, value: bytes | None, headers: Mapping[str, Any], err: BaseException,
                           source: str) -> None:
        topic = Topic(self.stage.consumes)
        clean = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in headers.items()}
        clean.update({H_DLQ_ERROR: type(err).__name__, H_DLQ_REASON: _safe_reason(err), H_DLQ_SOURCE: source})
        key = clean.get(H_ENCOUNTER, "").encode() or None
        await self.publish(topic.dlq, value or b"", key=key, headers=clean)
        reason_label = "contract" if isinstance(err, ContractViolation) else "processing"
        DEAD_LETTERED.labels(self.stage.name, reason_label).inc()
        PROCESSED.labels(self.stage.name, Outcome.DEAD_LETTERED).inc()
        log.warning("dead-lettered", extra={"stage": self.stage.name, "topic": topic.dlq,
                                            "error_class": type(err).__name__})
