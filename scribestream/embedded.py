"""The embedded pipeline: the same four stages, wired through an in-process bus instead of Kafka.

Every event still crosses the wire contract (encode → decode) between stages, so the embedded run
exercises exactly what the distributed one does, minus the broker and Redis. That includes payload
encryption: the run seals every payload and every state value under an ephemeral AES-256 key that exists
only in this process's memory (nothing is written unencrypted, nothing needs configuring, and nothing
sealed outlives the run). The output files the user asked for are written in clear.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from shared.audit import Clock, utc_now, with_audit
from shared.contracts import Event, Topic, decode, encode, topic_of
from shared.crypto import KeyRing, Sealer
from shared.stage import Stage
from shared.state import EncryptingStateStore, MemoryStateStore, StateStore

Progress = Callable[[Event], None]


class InProcessBus:
    def __init__(self, stages: Sequence[Stage], *, keyring: Sealer | None = None, clock: Clock = utc_now) -> None:
        self._routes = {Topic(s.consumes): s for s in stages}
        self._keyring = keyring
        self._clock = clock

    async def run(self, events: Iterable[Event], *, on_event: Progress | None = None) -> dict[Topic, list[Event]]:
        produced: dict[Topic, list[Event]] = defaultdict(list)
        queue: deque[Event] = deque(events)
        while queue:
            event = queue.popleft()
            topic = topic_of(event)
            produced[topic].append(event)
            if on_event is not None:
                on_event(event)
            stage = self._routes.get(topic)
            if stage is not None:
                value, headers = encode(event, keyring=self._keyring)
                outputs = await stage.handle(decode(topic, value, headers, keyring=self._keyring))
                # The same audit records the services publish (shared.audit), on produced[AUDIT_EVENTS].
                queue.extend(with_audit(outputs, actor=stage.name, clock=self._clock))
        return produced


def ephemeral_keyring() -> KeyRing:
    """The embedded run's key: random, in memory only, gone when the process exits."""
    return KeyRing.generate("ephemeral")


def build_stages(*, outbox_dir: Path, model_path: str | None = None, vocabulary: Sequence[str] = (),
                 keyring: Sealer | None = None) -> list[Stage]:
    """The four stages with in-memory state and an outbox sink: no Kafka, Redis, network or API key.
    With a key ring, state values are sealed as in the distributed run."""
    from services.asr.stage import build_asr_stage
    from services.coding.stage import build_coding_stage
    from services.ehr_sink.stage import build_ehr_sink_stage
    from services.notegen.stage import build_notegen_stage

    def store() -> StateStore:
        return MemoryStateStore() if keyring is None else EncryptingStateStore(MemoryStateStore(), keyring=keyring)

    return [
        build_asr_stage(state=store(), model_path=model_path, vocabulary=vocabulary),
        build_notegen_stage(state=store()),
        build_coding_stage(),
        build_ehr_sink_stage(outbox_dir=outbox_dir, fhir_base_url=None),
    ]
