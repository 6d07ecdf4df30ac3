"""The outbox adapter: one file per encounter and note version, written atomically and idempotently."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from services.ehr_sink.destinations import OutboxDestination
from services.ehr_sink.fhir_builder import build_document_bundle
from shared.contracts import SoapNote, Statement
from tests.unit.test_ehr_sink_fhir import NOW, make_coded

pytestmark = pytest.mark.unit


def document(*, now=NOW, **kwargs):
    return build_document_bundle(make_coded(**kwargs), software_version="0.1.0", now=now)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_writes_one_file_per_note_version(tmp_path):
    outbox = OutboxDestination(tmp_path / "outbox")  # created on first write
    doc = document()
    sub = await outbox.submit(encounter_id="enc-42", note_version=1, document=doc)
    assert sub.mode == "outbox" and sub.status == "created"
    path = Path(sub.destination)
    assert path.parent == tmp_path / "outbox"
    assert json.loads(path.read_text()) == doc
    assert [(r.resource_type, r.id) for r in sub.resources] == [
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in doc["entry"]
    ]
    second = await outbox.submit(encounter_id="enc-42", note_version=2, document=document(note_version=2))
    assert second.destination != sub.destination
    assert len(files(tmp_path / "outbox")) == 2


async def test_identical_rewrite_is_unchanged(tmp_path):
    outbox = OutboxDestination(tmp_path)
    doc = document()
    first = await outbox.submit(encounter_id="enc-42", note_version=1, document=doc)
    before = Path(first.destination).stat()
    again = await outbox.submit(encounter_id="enc-42", note_version=1, document=doc)
    assert again.status == "unchanged" and again.destination == first.destination
    assert Path(first.destination).stat().st_mtime_ns == before.st_mtime_ns
    assert files(tmp_path) == [Path(first.destination).name]  # no temp files left behind


async def test_redelivery_built_later_keeps_the_first_file(tmp_path):
    outbox = OutboxDestination(tmp_path)
    first = await outbox.submit(encounter_id="enc-42", note_version=1, document=document())
    later = await outbox.submit(encounter_id="enc-42", note_version=1, document=document(now=NOW + timedelta(hours=1)))
    assert later.status == "unchanged"
    assert json.loads(Path(first.destination).read_text())["timestamp"] == document()["timestamp"]


async def test_changed_note_replaces_the_file(tmp_path):
    outbox = OutboxDestination(tmp_path)
    first = await outbox.submit(encounter_id="enc-42", note_version=1, document=document())
    changed = document(codes=[])
    again = await outbox.submit(encounter_id="enc-42", note_version=1, document=changed)
    assert again.status == "created"
    assert json.loads(Path(first.destination).read_text()) == changed


async def test_corrupt_existing_file_is_replaced(tmp_path):
    outbox = OutboxDestination(tmp_path)
    path = outbox.path_for(encounter_id="enc-42", note_version=1)
    path.write_bytes(b"{half a file")
    sub = await outbox.submit(encounter_id="enc-42", note_version=1, document=document())
    assert sub.status == "created"
    json.loads(path.read_text())


@pytest.mark.parametrize(
    "encounter_id", ["..", "a..b", "../../etc/passwd", "/abs/path", "a/b", "x" * 128, "C:\\evil", "enc\x00nul"]
)
def test_hostile_ids_stay_inside_the_folder(tmp_path, encounter_id):
    outbox = OutboxDestination(tmp_path)
    path = outbox.path_for(encounter_id=encounter_id, note_version=3)
    assert path.parent == tmp_path
    assert path.resolve().parent == tmp_path.resolve()
    assert path.name.startswith("note-") and path.name.endswith("-v3.fhir.json")
    assert len(path.name) < 100
    assert encounter_id not in path.name


async def test_hostile_but_contract_valid_ids_get_distinct_files(tmp_path):
    outbox = OutboxDestination(tmp_path)
    ids = ["..", "a..b", ".", "x" * 128, "x" * 127]
    paths = set()
    for encounter_id in ids:
        doc = document(encounter_id=encounter_id)
        sub = await outbox.submit(encounter_id=encounter_id, note_version=1, document=doc)
        paths.add(sub.destination)
    assert len(paths) == len(ids)
    assert len(files(tmp_path)) == len(ids)
    assert not list(tmp_path.parent.glob("note-*"))


def test_note_version_must_be_positive(tmp_path):
    outbox = OutboxDestination(tmp_path)
    for bad in (0, -1, True):
        with pytest.raises(ValueError):
            outbox.path_for(encounter_id="enc-42", note_version=bad)


async def test_readers_never_see_a_partial_file(tmp_path):
    """Two large versions of the same note are written in turn while a reader keeps reading the file;
    every read must parse as one of the two whole documents."""
    long_note = SoapNote(
        subjective=[Statement(statement_id=f"s{i}", text="word " * 200, evidence_turn_ids=["t1"]) for i in range(200)]
    )
    docs = [document(note=long_note), document(note=long_note, codes=[])]
    valid = [json.dumps(d, sort_keys=True) for d in docs]
    outbox = OutboxDestination(tmp_path)
    path = outbox.path_for(encounter_id="enc-42", note_version=1)
    await outbox.submit(encounter_id="enc-42", note_version=1, document=docs[0])
    stop = threading.Event()
    seen: list[bool] = []

    def reader() -> None:
        while not stop.is_set():
            data = path.read_text()
            try:
                seen.append(json.dumps(json.loads(data), sort_keys=True) in valid)
            except json.JSONDecodeError:
                seen.append(False)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            sub = await outbox.submit(encounter_id="enc-42", note_version=1, document=docs[(i + 1) % 2])
            assert sub.status == "created"
            await asyncio.sleep(0)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert seen and all(seen)
    assert files(tmp_path) == [path.name]
