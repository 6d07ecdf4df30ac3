"""What the LLM backend asks for and how it reads the answer. Pure: no client, no settings, no I/O.

The model answers with a JSON object of the ``LlmNote`` shape (asked for through ``response_format``);
``parse_answer`` validates it on receipt and repairs only what is mechanical (code fences, prose around
the object, trailing commas). Anything else is ``MalformedAnswer``, which the caller retries: a malformed
or partial answer never reaches the note. Long transcripts are split into chunks that fit the context
budget (``chunk_turns``) and the per-chunk answers merged (``merge_notes``), never truncated.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts import Role, Section, SoapNote, Statement, Turn, derive_id

PROMPT_NAME = "soap-grounded"
PROMPT_VERSION = 1
PROMPT_ID = f"{PROMPT_NAME}@{PROMPT_VERSION}"

KINDS = (
    "chief_complaint", "symptom", "pertinent_negative", "history", "medication", "medication_change", "allergy",
    "vital", "exam", "result", "diagnosis", "plan", "follow_up", "finding",
)


class LlmStatement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=400, description="one clinical statement, third person")
    turn_ids: list[str] = Field(min_length=1, max_length=12, description="ids of the transcript turns it rests on")
    kind: str = Field(description="one of: " + ", ".join(KINDS))


# Bounds the answer: a grammar-constrained server (llama.cpp, vLLM) cannot loop on statements forever.
MAX_PER_SECTION = 40


class LlmNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    no_clinical_content: bool = Field(description="true when the transcript has no clinical content at all")
    subjective: list[LlmStatement] = Field(max_length=MAX_PER_SECTION)
    objective: list[LlmStatement] = Field(max_length=MAX_PER_SECTION)
    assessment: list[LlmStatement] = Field(max_length=MAX_PER_SECTION)
    plan: list[LlmStatement] = Field(max_length=MAX_PER_SECTION)


def response_schema(turn_ids: Sequence[str] = ()) -> dict:
    """JSON schema for ``response_format`` (strict mode: every property required, no extras).

    With ``turn_ids`` the citations are an enum of the ids in this request and ``kind`` an enum of
    ``KINDS``: a server that decodes under the schema (llama.cpp, vLLM, OpenAI strict mode) then cannot cite
    a turn that does not exist. ``parse_answer`` still checks, for servers that only take JSON mode.
    """
    schema = copy.deepcopy(_BASE_SCHEMA)
    statement = schema["$defs"]["LlmStatement"]["properties"]
    statement["kind"]["enum"] = list(KINDS)
    if turn_ids:
        statement["turn_ids"]["items"]["enum"] = list(dict.fromkeys(turn_ids))
    return {"name": "soap_note", "strict": True, "schema": schema}


_BASE_SCHEMA = LlmNote.model_json_schema()

SYSTEM_PROMPT = """You are a clinical documentation assistant. From a doctor-patient transcript you write \
the SOAP note the clinician will sign.

Rules:
- State only what the transcript says. Never add facts, doses, numbers, diagnoses or plans that were not said.
- Every statement cites the ids of the transcript turns it rests on (turn_ids). Cite only ids shown in the \
transcript.
- Keep negations ("Denies chest pain."), numbers, medication names with dose and frequency, laterality, vital \
signs and exam findings exactly as said.
- Write concise clinical third-person statements ("Reports 3 days of sore throat."), one fact per statement.
- subjective: chief complaint, history of present illness, review of systems, medications, allergies, history.
  objective: vital signs, exam findings, test results. assessment: diagnoses and impressions. plan: orders, \
prescriptions, referrals, instructions, follow-up.
- kind is one of: {kinds}.
- If the transcript has no clinical content (silence, small talk, a dropped call), set no_clinical_content to \
true and leave every section empty.
- Answer with the JSON object only."""


def build_messages(turns: Sequence[Turn], *, specialty: str, part: int = 1, parts: int = 1) -> list[dict[str, str]]:
    """Chat messages for one chunk of the transcript. The prompt is versioned by ``PROMPT_ID``."""
    header = f"Specialty: {specialty}."
    if parts > 1:
        header += (
            f" This is part {part} of {parts} of one long visit: write statements for this part only; the parts' "
            "notes are merged afterwards."
        )
    lines = [f"[{t.turn_id}] {_speaker(t.speaker)}: {t.text.strip()}" for t in turns if t.text.strip()]
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(kinds=", ".join(KINDS))},
        {"role": "user", "content": header + "\n\nTranscript:\n" + "\n".join(lines)},
    ]


def repair_message(error: str) -> dict[str, str]:
    """Follow-up asking the model to answer again; ``error`` names locations and problems, not content."""
    return {
        "role": "user",
        "content": f"Your answer was not a valid JSON object of the required shape ({error}). "
        "Answer again with the complete JSON object only.",
    }


def _speaker(role: Role) -> str:
    return {Role.CLINICIAN: "Doctor", Role.PATIENT: "Patient"}.get(role, "Other")


class MalformedAnswer(ValueError):
    """The answer is not a valid ``LlmNote``. The message names locations and problems, never content."""


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def parse_answer(raw: str | None) -> LlmNote:
    """Validate an answer; repair code fences, surrounding prose and trailing commas, nothing more."""
    if not raw or not raw.strip():
        raise MalformedAnswer("empty answer")
    text = _FENCE.sub("", raw.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise MalformedAnswer("no JSON object")
    candidate = text[start : end + 1]
    for attempt in (candidate, _TRAILING_COMMA.sub(r"\1", candidate)):
        try:
            data = json.loads(attempt)
            break
        except json.JSONDecodeError as err:
            last = err
    else:
        raise MalformedAnswer(f"invalid JSON at char {last.pos}")
    try:
        return LlmNote.model_validate(data)
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
            for e in err.errors(include_url=False, include_input=False)[:5]
        ]
        raise MalformedAnswer("; ".join(problems)) from None


def estimate_tokens(text: str) -> int:
    """Rough token count (about 3.5 characters per token for English BPE vocabularies), erring high so a
    chunk fits servers whose tokenizer we do not have."""
    return math.ceil(len(text) / 3.5) + 1


def chunk_turns(turns: Sequence[Turn], *, budget_tokens: int) -> list[list[Turn]]:
    """Split the transcript into consecutive chunks whose turn lines fit ``budget_tokens``. Whole turns only;
    a single turn longer than the budget is its own chunk (the server says if it is still too long)."""
    chunks: list[list[Turn]] = []
    current: list[Turn] = []
    used = 0
    for turn in turns:
        cost = estimate_tokens(turn.text) + 8  # id and speaker tag
        if current and used + cost > budget_tokens:
            chunks.append(current)
            current, used = [], 0
        current.append(turn)
        used += cost
    if current:
        chunks.append(current)
    return chunks


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def merge_notes(
    notes: Sequence[LlmNote], *, turns: Sequence[Turn], encounter_id: str
) -> tuple[SoapNote, int]:
    """Merge per-chunk answers into one note, in chunk order.

    Citations are kept only where the turn exists; a statement left citing no real turn is dropped (it rests
    on nothing the clinician can check). Duplicate statements (same words, same section) are merged, their
    citations united. Returns the note and how many statements were dropped.
    """
    known = {t.turn_id for t in turns}
    order = {t.turn_id: i for i, t in enumerate(turns)}
    dropped = 0
    sections: dict[str, list[Statement]] = {s.value: [] for s in Section}
    seen: dict[tuple[str, str], int] = {}
    for note in notes:
        if note.no_clinical_content:
            continue
        for section in Section:
            for st in getattr(note, section.value):
                cited = sorted({i for i in st.turn_ids if i in known}, key=order.__getitem__)
                text = " ".join(st.text.split())
                if not cited or not text:
                    dropped += 1
                    continue
                bucket = sections[section.value]
                key = (section.value, _norm(text))
                if key in seen:
                    prior = bucket[seen[key]]
                    merged = sorted(set(prior.evidence_turn_ids) | set(cited), key=order.__getitem__)
                    bucket[seen[key]] = prior.model_copy(update={"evidence_turn_ids": merged})
                    continue
                seen[key] = len(bucket)
                bucket.append(
                    Statement(
                        statement_id=derive_id(encounter_id, "stmt", section.value, len(bucket)),
                        text=text,
                        evidence_turn_ids=cited,
                        kind=st.kind if st.kind in KINDS else "finding",
                    )
                )
    return SoapNote(**sections), dropped
