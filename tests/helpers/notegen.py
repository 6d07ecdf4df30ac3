"""Notegen test wiring: the short sore-throat visit, its turns and events, the note a scripted LLM answers
with for it, and an ``LlmWriter`` wired the way the tests use it (grounded fallback, version "test")."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from services.notegen.llm_writer import LlmPolicy, LlmWriter
from services.notegen.writers import GroundedWriter
from shared.contracts import Role, Turn, TurnTranscribed, derive_id
from shared.llm import ChatModel, CircuitBreaker
from tests.helpers.llm_server import Reply, completion

SORE_THROAT = [
    (Role.CLINICIAN, "What brings you in today?"),
    (Role.PATIENT, "I have had a sore throat for three days."),
    (Role.CLINICIAN, "Any fever?"),
    (Role.PATIENT, "No."),
    (Role.CLINICIAN, "Your temperature is ninety eight point six. Your throat is red but your lungs are clear."),
    (Role.CLINICIAN, "I think this is a viral sore throat. Come back in one week if it is not better."),
]


def transcript(lines: Sequence[tuple[Role, str]] = SORE_THROAT, *, prefix: str = "t", spacing_s: float = 4.0,
               length_s: float = 3.0) -> list[Turn]:
    """Turns ``{prefix}0``, ``{prefix}1``... starting every ``spacing_s`` seconds."""
    return [
        Turn(turn_id=f"{prefix}{i}", seq=i, speaker=role, start=i * spacing_s, end=i * spacing_s + length_s,
             text=text, confidence=0.9)
        for i, (role, text) in enumerate(lines)
    ]


def turn_events(encounter_id: str, lines: Sequence[tuple[Role, str]] = SORE_THROAT, *, spacing_s: float = 4.0,
                length_s: float = 3.0) -> list[TurnTranscribed]:
    """The visit's turns as ``transcript.turns`` events (turn ids ``{encounter_id}-t{i}``)."""
    turns = transcript(lines, prefix=f"{encounter_id}-t", spacing_s=spacing_s, length_s=length_s)
    return [TurnTranscribed(event_id=derive_id(encounter_id, "turn", i), encounter_id=encounter_id, turn=turn)
            for i, turn in enumerate(turns)]


def turn_ids(request: dict) -> list[str]:
    """The turn ids a notegen request shows the model, in prompt order."""
    user = request["messages"][-1]["content"] if request["messages"][-1]["role"] == "user" else ""
    text = "\n".join(m["content"] for m in request["messages"] if m["role"] == "user")
    return re.findall(r"^\[([^\]]+)\]", text, re.MULTILINE) or re.findall(r"^\[([^\]]+)\]", user, re.MULTILINE)


def good_note(ids: list[str]) -> dict:
    """A note for the sore-throat transcript, citing turns by position in the prompt."""
    by_pos = dict(enumerate(ids))

    def cite(*positions: int) -> list[str]:
        return [by_pos[p] for p in positions if p in by_pos] or ids[:1]

    return {
        "no_clinical_content": False,
        "subjective": [
            {"text": "Sore throat for 3 days.", "turn_ids": cite(1), "kind": "chief_complaint"},
            {"text": "Denies fever.", "turn_ids": cite(2, 3), "kind": "pertinent_negative"},
        ],
        "objective": [
            {"text": "Temperature 98.6.", "turn_ids": cite(4), "kind": "vital"},
            {"text": "Throat is red; lungs are clear.", "turn_ids": cite(4), "kind": "exam"},
        ],
        "assessment": [{"text": "Viral sore throat.", "turn_ids": cite(5), "kind": "diagnosis"}],
        "plan": [{"text": "Come back in 1 week if not better.", "turn_ids": cite(5), "kind": "follow_up"}],
    }


def valid(request: dict) -> Reply:
    """A scripted reply: the good note for whatever turns the request shows."""
    return Reply(body=completion(json.dumps(good_note(turn_ids(request)))))


def llm_writer(model: ChatModel, *, policy: LlmPolicy, breaker: CircuitBreaker | None = None) -> LlmWriter:
    return LlmWriter(model=model, fallback=GroundedWriter(version="test"), breaker=breaker or CircuitBreaker(),
                     version="test", policy=policy)
