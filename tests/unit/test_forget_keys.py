"""``scribestream forget`` finds every key the stages build, from the layouts they export, and no other
encounter's: the key builders and the patterns share one definition."""

from __future__ import annotations

import pytest

from scribestream.forget import _names_encounter
from services.asr import keys as asr
from services.notegen import keys as notegen

pytestmark = pytest.mark.unit


def built(encounter_id: str) -> list[str]:
    """Every key the stages build for the encounter, as the runtime stores it (``ss:<service>:`` prefix)."""
    return [
        *(f"ss:asr:{k}" for k in (
            asr.state_key(encounter_id), asr.out_key(encounter_id),
            asr.buf_key(encounter_id, channel=1, generation=12), asr.speakers_key(encounter_id, channel=0, generation=3),
        )),
        *(f"ss:notegen:{k}" for k in (notegen.turns_key(encounter_id), notegen.live_key(encounter_id))),
    ]


@pytest.mark.parametrize("encounter_id", ["enc-1", "asr", "notegen", "a.b_c:d"])
def test_every_built_key_and_its_companion_is_forgotten(encounter_id):
    for key in built(encounter_id):
        assert _names_encounter(key, encounter_id), key
        assert _names_encounter(key + "#o", encounter_id), key  # the encrypting store's companion key


def test_neighbours_and_unrelated_keys_are_left_alone():
    for neighbour in ("enc-12", "enc-1:x", "xenc-1"):
        for key in built(neighbour):
            assert not _names_encounter(key, "enc-1"), key
    for key in ("ss:asr:done:asr:enc-1", "ss:asr:asr:enc-1:buf:0", "ss:asr:asr:enc-1:state:x",
                "ss:notegen:notegen:other:enc-1", "asr:enc-1:state", "ss:asr:asr:enc-1:state#x"):
        assert not _names_encounter(key, "enc-1"), key
