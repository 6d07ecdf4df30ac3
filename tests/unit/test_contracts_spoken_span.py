"""Turn and PartialTranscribed declare their spoken-span fields once (SpokenSpan); schema v1 is unchanged:
messages written before the refactor still decode to the same values, and the span's checks hold on both."""

from __future__ import annotations

import json

import pytest

from shared.contracts import (
    H_EVENT_ID,
    H_SCHEMA,
    H_VERSION,
    ContractViolation,
    PartialTranscribed,
    Topic,
    Turn,
    decode,
    encode,
)

pytestmark = pytest.mark.unit

# Written by the code before SpokenSpan existed (field order as it was then).
TURN_V1 = (b'{"event_id":"e1","encounter_id":"enc-1","schema_name":"TurnTranscribed","schema_version":1,"turn":'
           b'{"turn_id":"t1","seq":3,"speaker":"patient","channel":1,"start":1.5,"end":2.25,"text":"my knee hurts",'
           b'"confidence":0.9,"flags":["low_confidence"]}}')
PARTIAL_V1 = (b'{"event_id":"e2","encounter_id":"enc-1","schema_name":"PartialTranscribed","schema_version":1,'
              b'"revision":2,"speaker":"clinician","channel":null,"start":0.0,"end":1.0,"text":"and how"}')


def headers(schema: str, event_id: str) -> dict[str, str]:
    return {H_SCHEMA: schema, H_VERSION: "1", H_EVENT_ID: event_id}


@pytest.mark.parametrize(("topic", "value", "schema", "event_id"), [
    (Topic.TRANSCRIPT_TURNS, TURN_V1, "TurnTranscribed", "e1"),
    (Topic.TRANSCRIPT_PARTIALS, PARTIAL_V1, "PartialTranscribed", "e2"),
])
def test_messages_written_before_still_decode_to_the_same_values(topic, value, schema, event_id):
    event = decode(topic, value, headers(schema, event_id))
    encoded, _ = encode(event)
    assert json.loads(encoded) == json.loads(value)
    assert decode(topic, encoded, headers(schema, event_id)) == event


def test_the_span_fields_and_their_checks_are_the_same_on_both():
    span = {"speaker", "channel", "start", "end", "text"}
    assert span <= set(Turn.model_fields) and span <= set(PartialTranscribed.model_fields)
    for name in span:
        turn_field, partial_field = Turn.model_fields[name], PartialTranscribed.model_fields[name]
        assert (turn_field.annotation, turn_field.default, turn_field.metadata) == \
            (partial_field.annotation, partial_field.default, partial_field.metadata)
    assert set(Turn.model_json_schema()["required"]) == {
        "turn_id", "seq", "speaker", "start", "end", "text", "confidence"}
    assert set(PartialTranscribed.model_json_schema()["required"]) == {
        "event_id", "encounter_id", "revision", "speaker", "start", "end", "text"}


@pytest.mark.parametrize("change", [{"start": -0.1}, {"end": -1}, {"speaker": "nurse"}, {"extra": 1}])
def test_a_bad_span_is_refused_on_the_partials_topic(change):
    payload = {**json.loads(PARTIAL_V1), **change}
    with pytest.raises(ContractViolation):
        decode(Topic.TRANSCRIPT_PARTIALS, json.dumps(payload).encode(), headers("PartialTranscribed", "e2"))
