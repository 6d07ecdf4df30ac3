"""EhrSinkStage: one NoteSubmitted per NoteCoded, with deterministic ids, through any destination."""

from __future__ import annotations

from typing import Any

import pytest

from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.destinations import (
    FhirDestination,
    Mode,
    OutboxDestination,
    Submission,
)
from services.ehr_sink.stage import EhrSinkStage
from shared.contracts import (
    NoteSubmitted,
    ResourceRef,
    SoapNote,
    Topic,
    TurnTranscribed,
    derive_id,
)
from shared.stage import Stage
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = pytest.mark.unit


class RecordingDestination:
    """A FhirDestination fake: remembers what it was given, answers "created" the first time."""

    mode: Mode = "fhir"
    location = "https://fhir.example.test/r4"

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    async def submit(self, *, encounter_id: str, note_version: int, document: dict[str, Any]) -> Submission:
        status = "unchanged" if any(c[0] == encounter_id and c[1] == note_version for c in self.calls) else "created"
        self.calls.append((encounter_id, note_version, document))
        return Submission(mode="fhir", destination=self.location, status=status,
                          resources=[ResourceRef(resource_type="Composition", id="77", version="1")])


def stage_with(destination: FhirDestination) -> EhrSinkStage:
    return EhrSinkStage(destination=destination, software_version="0.1.0", clock=lambda: NOW)


def test_stage_shape():
    stage: Stage = stage_with(RecordingDestination())
    assert (stage.name, stage.consumes, stage.produces) == ("ehr_sink", Topic.SOAP_CODED, Topic.EHR_SUBMITTED)


async def test_coded_note_becomes_one_submission():
    dest = RecordingDestination()
    coded = make_coded()
    (out,) = await stage_with(dest).handle(coded)
    assert isinstance(out, NoteSubmitted)
    assert out.event_id == derive_id(coded.event_id, "NoteSubmitted")
    assert out.encounter_id == "enc-42" and out.note_version == 1
    assert (out.mode, out.destination, out.status) == ("fhir", dest.location, "created")
    assert out.resources == [ResourceRef(resource_type="Composition", id="77", version="1")]
    (_, _, document), = dest.calls
    assert out.bundle_id == document["id"] and document["type"] == "document"


async def test_redelivery_gives_the_same_event_and_the_same_document():
    dest = RecordingDestination()
    stage = stage_with(dest)
    coded = make_coded()
    (first,) = await stage.handle(coded)
    (second,) = await stage.handle(coded)
    assert first.event_id == second.event_id and first.bundle_id == second.bundle_id
    assert second.status == "unchanged"
    assert dest.calls[0][2] == dest.calls[1][2]


async def test_no_note_submits_nothing(tmp_path):
    outbox = OutboxDestination(tmp_path / "outbox")
    coded = make_coded(note=SoapNote(), codes=[], status="no_note")
    (out,) = await stage_with(outbox).handle(coded)
    assert out.status == "no_note" and out.resources == [] and out.bundle_id == ""
    assert out.mode == "outbox" and out.destination == str(tmp_path / "outbox")
    assert not (tmp_path / "outbox").exists()


async def test_outbox_end_to_end(tmp_path):
    stage = stage_with(OutboxDestination(tmp_path))
    (out,) = await stage.handle(make_coded())
    assert out.mode == "outbox" and out.status == "created" and len(out.resources) == 6
    (again,) = await stage.handle(make_coded())
    assert again.status == "unchanged" and again.destination == out.destination


async def test_other_events_are_refused():
    turn = TurnTranscribed.model_validate(
        {"event_id": "e1", "encounter_id": "enc-1",
         "turn": {"turn_id": "t0", "seq": 0, "speaker": "patient", "start": 0, "end": 1, "text": "hi",
                  "confidence": 0.9}}
    )
    with pytest.raises(TypeError):
        await stage_with(RecordingDestination()).handle(turn)


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", "redis://redis:6379/0")
    settings = EhrSinkSettings()
    assert settings.mode == "outbox" and str(settings.outbox_dir) == "out/outbox"
    assert settings.fhir_token is None
    monkeypatch.setenv("SCRIBESTREAM_FHIR_BASE_URL", "https://fhir.example.test/r4/")
    monkeypatch.setenv("SCRIBESTREAM_FHIR_TOKEN", "s3cret")
    settings = EhrSinkSettings()
    assert settings.mode == "fhir" and settings.fhir_base_url == "https://fhir.example.test/r4"
    assert settings.fhir_token.get_secret_value() == "s3cret" and "s3cret" not in repr(settings)
    monkeypatch.setenv("SCRIBESTREAM_FHIR_BASE_URL", "ftp://nope")
    with pytest.raises(ValueError):
        EhrSinkSettings()


async def test_factories_pick_the_destination(tmp_path, monkeypatch):
    from services.ehr_sink.destinations import FhirServerDestination
    from services.ehr_sink.stage import build_ehr_sink_stage, make_stage
    from shared.state import MemoryStateStore

    outbox_stage = build_ehr_sink_stage(outbox_dir=tmp_path, fhir_base_url=None)
    (out,) = await outbox_stage.handle(make_coded())
    assert out.mode == "outbox" and out.status == "created"

    monkeypatch.setenv("SCRIBESTREAM_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("SCRIBESTREAM_REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("SCRIBESTREAM_FHIR_BASE_URL", "http://fhir.invalid/r4")
    stage = await make_stage(EhrSinkSettings(), MemoryStateStore())
    assert isinstance(stage.destination, FhirServerDestination)
    assert stage.destination.location == "http://fhir.invalid/r4"
