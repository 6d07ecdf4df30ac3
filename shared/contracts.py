"""Event contracts: the single source of truth for every topic.

One pydantic model per event type. Each payload carries its schema name and major version
(``schema_name`` / ``schema_version``), and the same pair travels in Kafka headers. The partition key of
every event is its ``encounter_id`` so one encounter stays ordered.

Events are named for what happened (past tense). Nothing here does I/O.
"""

from __future__ import annotations

import struct
import uuid
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import from_json

from shared.crypto import ALGORITHM, DecryptError, Sealer, bus_aad


class Topic(StrEnum):
    AUDIO_CHUNKS = "audio.chunks"
    TRANSCRIPT_TURNS = "transcript.turns"
    SOAP_DRAFT = "soap.draft"
    SOAP_CODED = "soap.coded"
    EHR_SUBMITTED = "ehr.submitted"
    # Side topics: unstable live hypotheses for display (ASR) and the PHI-free audit trail (all services).
    TRANSCRIPT_PARTIALS = "transcript.partials"
    AUDIT_EVENTS = "audit.events"

    @property
    def dlq(self) -> str:
        return f"{self.value}.dlq"


ALL_TOPICS: tuple[Topic, ...] = tuple(Topic)

# Header names. Headers carry ids and schema facts only, never PHI.
H_SCHEMA = "x-schema"
H_VERSION = "x-schema-version"
H_EVENT_ID = "x-event-id"
H_ENCOUNTER = "x-encounter-id"
H_AUDIO_META = "x-audio-meta"
H_DLQ_ERROR = "x-dlq-error-class"
H_DLQ_REASON = "x-dlq-reason"
H_DLQ_SOURCE = "x-dlq-source"
H_KEY_ID = "x-key-id"  # set when the value is AES-256-GCM sealed (shared.crypto); names the key, not its material
H_CIPHER = "x-cipher"

# Topics whose values carry PHI (audio, transcript, note, codes with evidence) and are sealed when a key ring
# is configured. ehr.submitted carries ids, status and the destination only, so downstream consumers without
# the key can read it.
ENCRYPTED_TOPICS: frozenset[str] = frozenset(
    {"audio.chunks", "transcript.turns", "transcript.partials", "soap.draft", "soap.coded"}
)

SAMPLE_RATE = 16_000
SAMPLE_WIDTH = 2  # s16le

_NAMESPACE = uuid.UUID("7b0c1e52-4a8e-4f2e-9a53-5c3f0d6c2f11")


def derive_id(*parts: object) -> str:
    """Deterministic id: the same inputs always give the same id, so redelivery is idempotent."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


EncounterId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]


class Role(StrEnum):
    CLINICIAN = "clinician"
    PATIENT = "patient"
    OTHER = "other"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EncounterContext(Model):
    """What the producer (EHR, telehealth platform) tells us about the visit. References, not PHI text."""

    patient_ref: str | None = None  # e.g. "Patient/123"
    encounter_ref: str | None = None  # e.g. "Encounter/abc"
    practitioner_ref: str | None = None  # e.g. "Practitioner/9"
    specialty: str = "primary_care"
    telehealth: bool = False
    # Demographics and visit facts used by coding (E/M level, HCC risk); optional, never free text.
    patient_age: int | None = Field(default=None, ge=0, le=130)
    patient_sex: Literal["female", "male", "other", "unknown"] | None = None
    new_patient: bool | None = None
    total_minutes: float | None = Field(default=None, ge=0)


class Event(Model):
    schema_major: ClassVar[int] = 1

    event_id: str = Field(min_length=1, max_length=64)
    encounter_id: EncounterId

    @classmethod
    def name(cls) -> str:
        return cls.model_fields["schema_name"].default


# ---------------------------------------------------------------- audio.chunks
class AudioChunkReceived(Event):
    """One slice (typically 200 ms) of PCM s16le 16 kHz audio. On the wire the value is the raw PCM;
    everything else rides in the ``x-audio-meta`` header. Multichannel audio is interleaved."""

    schema_name: Literal["AudioChunkReceived"] = "AudioChunkReceived"
    schema_version: Literal[1] = 1
    seq: int = Field(ge=0)
    sample_rate: Literal[16000] = SAMPLE_RATE
    channels: int = Field(default=1, ge=1, le=8)
    # Declared on the encounter's first chunk (seq 0): which channel is which speaker.
    channel_roles: dict[int, Role] | None = None
    context: EncounterContext | None = None
    pcm: bytes = Field(exclude=True, repr=False)

    @model_validator(mode="after")
    def _whole_frames(self) -> "AudioChunkReceived":
        frame = SAMPLE_WIDTH * self.channels
        if len(self.pcm) == 0 or len(self.pcm) % frame:
            raise ValueError(f"truncated audio chunk: {len(self.pcm)} bytes is not a whole number of {frame}-byte frames")
        if self.channel_roles is not None and any(c >= self.channels or c < 0 for c in self.channel_roles):
            raise ValueError("channel_roles names a channel the audio does not have")
        return self

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.channels * self.sample_rate)


class AudioEnded(Event):
    """The visit is over: no more chunks will come for this encounter."""

    schema_name: Literal["AudioEnded"] = "AudioEnded"
    schema_version: Literal[1] = 1
    chunk_count: int = Field(ge=0)




# ---------------------------------------------------------------- transcript.turns
class QualityFlag(StrEnum):
    LOW_CONFIDENCE = "low_confidence"
    POSSIBLE_HALLUCINATION = "possible_hallucination"
    OVERLAP = "overlapping_speech"
    CORRECTED_TERM = "corrected_term"


class SpokenSpan(Model):
    """Who said what, when (seconds from the start of the audio): what a committed turn and a live hypothesis
    share, declared once so the two cannot drift apart."""

    speaker: Role
    channel: int | None = None
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str


class Turn(SpokenSpan):
    turn_id: str
    seq: int = Field(ge=0)
    confidence: float = Field(ge=0, le=1)
    flags: list[QualityFlag] = Field(default_factory=list)


class TurnTranscribed(Event):
    schema_name: Literal["TurnTranscribed"] = "TurnTranscribed"
    schema_version: Literal[1] = 1
    turn: Turn


class TranscriptClosed(Event):
    """All turns of the encounter have been published; ``turn_count`` says how many."""

    schema_name: Literal["TranscriptClosed"] = "TranscriptClosed"
    schema_version: Literal[1] = 1
    turn_count: int = Field(ge=0)
    audio_seconds: float = Field(ge=0)
    context: EncounterContext = Field(default_factory=EncounterContext)
    asr_model: str = ""


class PartialTranscribed(SpokenSpan, Event):
    """Live display only: the not-yet-final words after the last committed turn on one channel/speaker.
    Each revision replaces the previous one; nothing downstream may treat it as a transcript."""

    schema_name: Literal["PartialTranscribed"] = "PartialTranscribed"
    schema_version: Literal[1] = 1
    revision: int = Field(ge=0)


# ---------------------------------------------------------------- soap.draft
class Section(StrEnum):
    SUBJECTIVE = "subjective"
    OBJECTIVE = "objective"
    ASSESSMENT = "assessment"
    PLAN = "plan"


class Statement(Model):
    statement_id: str
    text: str
    evidence_turn_ids: list[str]
    supported: bool = True
    kind: str = "finding"  # chief_complaint, symptom, medication, vital, exam, diagnosis, plan, allergy, history...


class SoapNote(Model):
    subjective: list[Statement] = Field(default_factory=list)
    objective: list[Statement] = Field(default_factory=list)
    assessment: list[Statement] = Field(default_factory=list)
    plan: list[Statement] = Field(default_factory=list)

    def statements(self) -> list[Statement]:
        return [*self.subjective, *self.objective, *self.assessment, *self.plan]


class SummarySection(Model):
    """One heading of the after-visit summary and its statements (reworded, with their evidence)."""

    title: str
    statements: list[Statement]


class GeneratorInfo(Model):
    backend: str  # "grounded" | "llm"
    model: str = ""
    version: str = ""
    prompt_id: str = ""  # name@version of the prompt template (never the prompt text)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0
    fallback_reason: str = ""  # set when the llm backend was unavailable and grounded wrote the note


class NoteDrafted(Event):
    schema_name: Literal["NoteDrafted"] = "NoteDrafted"
    schema_version: Literal[1] = 1
    note_version: int = Field(ge=1)
    status: Literal["drafted", "no_note"]
    note: SoapNote
    needs_review: bool = False
    unsupported_statement_ids: list[str] = Field(default_factory=list)
    missing_elements: list[str] = Field(default_factory=list)
    generator: GeneratorInfo
    context: EncounterContext = Field(default_factory=EncounterContext)
    turns: list[Turn]  # the transcript the note cites, in order
    asr_model: str = ""
    # Live drafts: while the visit streams, notegen publishes non-final versions (increasing note_version)
    # for display; the version written after TranscriptClosed is final. Coding and the sink ignore non-final.
    final: bool = True
    # The template the note was laid out with and its LOINC document type (Composition/DocumentReference.type);
    # empty: the sink's configured default.
    template_id: str = ""
    loinc_code: str = Field(default="", pattern=r"^(?:\d{1,7}-\d)?$")
    loinc_display: str = ""
    # Patient-facing plain-language summary of the final note: the same checked statements reworded, each
    # citing its turns and re-checked; empty for live drafts and no-note outcomes.
    after_visit_summary: list[SummarySection] = Field(default_factory=list)


# ---------------------------------------------------------------- soap.coded
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"


class CodeSuggestion(Model):
    system: str
    code: str
    display: str
    confidence: float = Field(ge=0, le=1)
    rank: int = Field(ge=1)
    evidence_statement_ids: list[str]
    evidence_turn_ids: list[str]
    category: str = "diagnosis"  # diagnosis, symptom, history, family_history, status (Z79, Z99.2, Z68), em_level
    rationale: str = ""  # why this code (e.g. E/M decision-making elements); no transcript quotes
    query: str | None = None  # documentation that would allow a more specific code (a clinician query)
    tags: list[str] = Field(default_factory=list)  # chronic, acute, preventive, behavioral_health, telehealth
    hcc: str | None = None  # CMS-HCC V28 category, when the diagnosis maps to one
    modifiers: list[str] = Field(default_factory=list)  # e.g. CPT modifier 95 for telehealth


class NoteCoded(Event):
    schema_name: Literal["NoteCoded"] = "NoteCoded"
    schema_version: Literal[1] = 1
    draft: NoteDrafted
    codes: list[CodeSuggestion]
    code_set: str = ""  # e.g. "ICD-10-CM FY2026"
    risk_score: float | None = None  # CMS-HCC V28 risk score, when demographics are known
    place_of_service: str | None = None  # e.g. "02"/"10" for telehealth


# ---------------------------------------------------------------- ehr.submitted
class ResourceRef(Model):
    resource_type: str
    id: str
    version: str | None = None


class NoteSubmitted(Event):
    schema_name: Literal["NoteSubmitted"] = "NoteSubmitted"
    schema_version: Literal[1] = 1
    note_version: int = Field(ge=1)
    mode: Literal["outbox", "fhir"]
    destination: str  # FHIR base URL or outbox file path
    status: Literal["created", "unchanged", "no_note"]
    bundle_id: str
    resources: list[ResourceRef]


# ---------------------------------------------------------------- audit.events
class AuditRecorded(Event):
    """Who did what to which encounter, when: ids, versions and outcomes only, never PHI."""

    schema_name: Literal["AuditRecorded"] = "AuditRecorded"
    schema_version: Literal[1] = 1
    action: str = Field(pattern=r"^[a-z][a-z_.]{0,63}$")  # e.g. note.drafted, note.coded, ehr.submitted
    actor: str = Field(max_length=128)  # service name (and instance), or the CLI user for manual actions
    occurred_at: str  # ISO 8601 UTC
    subject_event_id: str = ""  # the event this records (e.g. the NoteDrafted event id)
    note_version: int | None = None
    outcome: str = Field(default="ok", max_length=32)
    resources: list[ResourceRef] = Field(default_factory=list)
    final: bool | None = None  # note.drafted: the final version (False: a live draft while the visit streams)
    count: int | None = Field(default=None, ge=0)  # how many items the subject carries (codes, statements)


# ---------------------------------------------------------------- registry and wire codec
TOPIC_EVENTS: dict[Topic, tuple[type[Event], ...]] = {
    Topic.AUDIO_CHUNKS: (AudioChunkReceived, AudioEnded),
    Topic.TRANSCRIPT_TURNS: (TurnTranscribed, TranscriptClosed),
    Topic.SOAP_DRAFT: (NoteDrafted,),
    Topic.SOAP_CODED: (NoteCoded,),
    Topic.EHR_SUBMITTED: (NoteSubmitted,),
    Topic.TRANSCRIPT_PARTIALS: (PartialTranscribed,),
    Topic.AUDIT_EVENTS: (AuditRecorded,),
}
_BY_NAME: dict[str, type[Event]] = {cls.name(): cls for classes in TOPIC_EVENTS.values() for cls in classes}


def topic_of(event: Event) -> Topic:
    for topic, classes in TOPIC_EVENTS.items():
        if isinstance(event, classes):
            return topic
    raise TypeError(f"{type(event).__name__} belongs to no topic")


class ContractViolation(ValueError):
    """An incoming message does not satisfy its contract. The message names no payload content."""


def is_tombstone(value: bytes | None, headers: dict[str, Any]) -> bool:
    """A null-value record without a schema: ``scribestream forget`` wrote it so compacted stores drop the
    encounter. Consumers skip it."""
    return value is None and H_SCHEMA not in headers


def _audio_plaintext(event: AudioChunkReceived) -> bytes:
    # Sealed audio carries its metadata (incl. the EncounterContext's patient refs) inside the ciphertext:
    # u32 length of the JSON metadata | metadata | PCM.
    meta = event.model_dump_json().encode()
    return struct.pack(">I", len(meta)) + meta + event.pcm


def encode(event: Event, *, keyring: Sealer | None = None) -> tuple[bytes, dict[str, str]]:
    """Event -> (Kafka value, headers). With a key ring, values of PHI-bearing topics are sealed with
    AES-256-GCM bound to topic + encounter id + event id + schema; headers then hold ids only."""
    topic = topic_of(event).value
    headers = {
        H_SCHEMA: event.name(),
        H_VERSION: str(event.schema_major),
        H_EVENT_ID: event.event_id,
        H_ENCOUNTER: event.encounter_id,
    }
    if keyring is not None and topic in ENCRYPTED_TOPICS:
        plaintext = (_audio_plaintext(event) if isinstance(event, AudioChunkReceived)
                     else event.model_dump_json().encode())
        aad = bus_aad(topic=topic, encounter_id=event.encounter_id, event_id=event.event_id, schema=event.name())
        key_id, blob = keyring.seal(plaintext, aad=aad)
        headers[H_KEY_ID] = key_id
        headers[H_CIPHER] = ALGORITHM
        return blob, headers
    if isinstance(event, AudioChunkReceived):
        headers[H_AUDIO_META] = event.model_dump_json()
        return event.pcm, headers
    return event.model_dump_json().encode(), headers


def _field_names() -> frozenset[str]:
    names: set[str] = set()
    for model in (*_BY_NAME.values(), EncounterContext, Turn, Statement, SoapNote, GeneratorInfo, CodeSuggestion,
                  ResourceRef):
        names.update(model.model_fields)
    return frozenset(names)


_FIELD_NAMES = _field_names()


def _loc(part: str | int) -> str:
    # A location names our own fields and list indexes; any other part is a key the sender chose (an
    # unexpected field, a dict key), which may itself be PHI: it is masked.
    return str(part) if isinstance(part, int) or part in _FIELD_NAMES else "<key>"


def _describe(err: ValidationError) -> str:
    # Location, type and pydantic's message, never ``input``: the messages of pydantic's own checks and
    # of our validators name constraints and sizes, not the offending value (which may be PHI).
    parts = [
        f"{'.'.join(_loc(p) for p in e['loc']) or '<root>'}: {e['msg']}"
        for e in err.errors(include_url=False, include_input=False)[:5]
    ]
    return "; ".join(parts)


def _json_object(raw: str | bytes, *, what: str) -> dict[str, Any]:
    """Parse a small JSON object with pydantic-core's parser: unlike ``json.loads`` it refuses deep
    nesting with an error instead of raising RecursionError, so hostile metadata cannot crash a consumer."""
    if len(raw) > MAX_AUDIO_META:
        raise ContractViolation(f"{what} is larger than {MAX_AUDIO_META} bytes")
    try:
        meta = from_json(raw)
    except ValueError:
        raise ContractViolation(f"{what} is not JSON") from None
    if not isinstance(meta, dict):
        raise ContractViolation(f"{what} is not an object")
    return meta


def _open(topic: Topic, value: bytes | None, hdr: dict[str, str], *, name: str,
          keyring: Sealer | None) -> tuple[bytes | None, dict[str, Any] | None]:
    """Sealed value -> (plaintext value, audio metadata or None). Plain values pass through."""
    key_id = hdr.get(H_KEY_ID)
    if key_id is None:
        if keyring is not None and topic.value in ENCRYPTED_TOPICS:
            raise ContractViolation(f"unencrypted {name} refused: {topic.value} requires sealed payloads")
        return value, None
    if keyring is None:
        raise ContractViolation(f"sealed {name} but no key ring is configured")
    if hdr.get(H_CIPHER, ALGORITHM) != ALGORITHM:
        raise ContractViolation(f"unsupported cipher for {name}")
    event_id, encounter_id = hdr.get(H_EVENT_ID), hdr.get(H_ENCOUNTER)
    if not event_id or not encounter_id:
        raise ContractViolation(f"sealed {name} without event and encounter id headers")
    aad = bus_aad(topic=topic.value, encounter_id=encounter_id, event_id=event_id, schema=name)
    try:
        plaintext = keyring.open(value or b"", key_id=key_id, aad=aad)
    except DecryptError as err:
        raise ContractViolation(f"cannot decrypt {name}: {err}") from None
    if name != AudioChunkReceived.name():
        return plaintext, None
    if len(plaintext) < 4:
        raise ContractViolation("sealed audio chunk is too short")
    (meta_len,) = struct.unpack(">I", plaintext[:4])
    if meta_len > min(len(plaintext) - 4, MAX_AUDIO_META):
        raise ContractViolation("sealed audio chunk metadata length is out of range")
    return plaintext[4 + meta_len:], _json_object(plaintext[4:4 + meta_len], what="sealed audio chunk metadata")


MAX_AUDIO_META = 64 * 1024
# Larger values are refused before parsing (bounded memory per message). The broker's default limit is 1 MiB;
# this leaves room for long visits where an operator raised it, and stops a hostile or misconfigured producer.
MAX_VALUE_BYTES = 8 * 1024 * 1024


def decode(topic: Topic | str, value: bytes | None, headers: dict[str, Any], *,
           keyring: Sealer | None = None) -> Event:
    """(Kafka value, headers) -> Event, or ContractViolation with a PHI-free reason.

    With a key ring, values on PHI-bearing topics must be sealed; a value that fails to open (unknown or
    retired key, tampering, or replayed into another topic/encounter/event) is a ContractViolation."""
    topic = Topic(topic)
    hdr = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in headers.items()}
    name, version = hdr.get(H_SCHEMA), hdr.get(H_VERSION)
    cls = _BY_NAME.get(name or "")
    if cls is None or cls not in TOPIC_EVENTS[topic]:
        raise ContractViolation(f"unknown schema {(name or '')[:64]!r} for topic {topic.value}")
    if version != str(cls.schema_major):
        raise ContractViolation(f"unsupported schema version {(version or '')[:16]!r} for {name} (supported: {cls.schema_major})")
    if value is not None and len(value) > MAX_VALUE_BYTES:
        raise ContractViolation(f"{name} of {len(value)} bytes exceeds the {MAX_VALUE_BYTES}-byte limit")
    value, sealed_meta = _open(topic, value, hdr, name=cls.name(), keyring=keyring)
    try:
        if cls is AudioChunkReceived:
            if sealed_meta is None and not hdr.get(H_AUDIO_META):
                raise ContractViolation("audio chunk without x-audio-meta header")
            meta = sealed_meta if sealed_meta is not None else _json_object(hdr[H_AUDIO_META], what="x-audio-meta header")
            event = AudioChunkReceived.model_validate({**meta, "pcm": value or b""})
        elif not value:
            raise ContractViolation(f"empty payload for {name}")
        else:
            event = cls.model_validate_json(value)
    except ValidationError as err:
        raise ContractViolation(f"invalid {name}: {_describe(err)}") from None
    if sealed_meta is not None or H_KEY_ID in hdr:
        # The AAD authenticated the header ids; the sealed body must name the same event.
        if event.event_id != hdr.get(H_EVENT_ID) or event.encounter_id != hdr.get(H_ENCOUNTER):
            raise ContractViolation(f"sealed {name} names another event or encounter than its headers")
    return event


def load_event(payload: dict[str, Any]) -> Event:
    """Build an event from its JSON form (payload carries ``schema_name``), e.g. when read back from a file."""
    cls = _BY_NAME[payload["schema_name"]]
    return cls.model_validate(payload)

