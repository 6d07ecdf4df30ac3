"""Live drafts: when a streaming visit has moved on enough to publish a new non-final note version.

Pure (stdlib + pydantic). The stage keeps one ``LiveState`` per encounter in the state store (Redis in the
distributed run), so a replica that takes the partition over continues the version sequence; this module
only decides. Every decision depends on stored state and the input event alone, so a redelivered input
gives the same outcome and the same version: versions never go backwards and never repeat.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import SoapNote


@dataclass(frozen=True)
class LivePolicy:
    """Debounce: a new draft needs at least ``min_new_turns`` turns AND ``min_new_seconds`` of transcript
    since the previous one (0 disables that limit), so a fast exchange of short turns does not flood the
    clinician's screen and a long monologue still shows up."""

    enabled: bool = True
    min_new_turns: int = 4
    min_new_seconds: float = 20.0

    def __post_init__(self) -> None:
        if self.min_new_turns < 1 or self.min_new_seconds < 0:
            raise ValueError("live drafts need min_new_turns >= 1 and min_new_seconds >= 0")


class LiveState(BaseModel):
    """What notegen remembers about an encounter's drafts. Ids and counts only, no note text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = Field(default=0, ge=0)  # last non-final version published (0: none yet)
    turns: int = Field(default=0, ge=0)  # turns stored when the last decision to draft was taken
    seconds: float = Field(default=0.0, ge=0)  # transcript time (end of turn) at that decision
    trigger_event_id: str = ""  # the input that published ``version``: its redelivery re-publishes it
    fingerprint: str = ""  # content of the last published version: an unchanged note is not re-published
    final_version: int = Field(default=0, ge=0)  # set when the close drafted the final note

    @property
    def closed(self) -> bool:
        return self.final_version > 0


def draft_due(policy: LivePolicy, state: LiveState, *, turns: int, seconds: float) -> bool:
    """Whether the transcript has grown enough since the last draft decision to try a new draft."""
    if not policy.enabled or state.closed:
        return False
    return turns - state.turns >= policy.min_new_turns and seconds - state.seconds >= policy.min_new_seconds


def final_version(state: LiveState) -> int:
    """The final note's version: after every live draft, and the same one once fixed (a redelivered or
    repeated close must not file a second final note)."""
    return state.final_version if state.closed else state.version + 1


def fingerprint(note: SoapNote) -> str:
    """Identity of a draft's content (statement texts, sections and support), not of its ids or timing."""
    digest = hashlib.sha256()
    for section in ("subjective", "objective", "assessment", "plan"):
        digest.update(section.encode())
        for st in getattr(note, section):
            digest.update(b"\x1e" + st.text.encode() + (b"+" if st.supported else b"-"))
    return digest.hexdigest()[:32]


def after_draft(state: LiveState, *, turns: int, seconds: float, event_id: str, note: SoapNote | None) -> LiveState:
    """The state after a due decision: a new version when ``note`` is new content, else only the moved
    baseline (``note`` None: no clinical content yet, which publishes nothing)."""
    if note is None or fingerprint(note) == state.fingerprint:
        return state.model_copy(update={"turns": turns, "seconds": seconds})
    return state.model_copy(update={"version": state.version + 1, "turns": turns, "seconds": seconds,
                                    "trigger_event_id": event_id, "fingerprint": fingerprint(note)})
