"""docs/asyncapi.yaml is generated from the four FastStream apps; this fails when code and document drift."""

from pathlib import Path

import pytest
import yaml

from scribestream.asyncapi import render
from shared.contracts import Topic

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_committed_document_matches_the_apps():
    assert DOC.exists(), "run `scribestream asyncapi` to generate docs/asyncapi.yaml"
    assert render() == DOC.read_text(), "docs/asyncapi.yaml is stale: run `.venv/bin/scribestream asyncapi`"


def test_document_is_asyncapi_3_and_names_every_topic_and_dlq():
    doc = yaml.safe_load(render())
    assert doc["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert {t.value for t in Topic} <= addresses
    consumed = {Topic.AUDIO_CHUNKS, Topic.TRANSCRIPT_TURNS, Topic.SOAP_DRAFT, Topic.SOAP_CODED}
    assert {t.dlq for t in consumed} <= addresses
