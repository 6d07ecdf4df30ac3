"""The ASR stage's Redis key layout, one definition for the code that builds the keys (services.asr.stage)
and the code that must find them all again (``scribestream forget``).

Per encounter (ids only, never content in key names; see services/asr/stage.py for what each holds):
  ``asr:{enc}:state``             the stream state, the commit point
  ``asr:{enc}:out``               the events of the last handled input (replayed on redelivery)
  ``asr:{enc}:buf:{ch}:{gen}``    a channel's buffered PCM, per cut generation
  ``asr:{enc}:spk:{ch}:{gen}``    a channel's speaker (diarization) state, per cut generation
"""

from __future__ import annotations

import re


def state_key(encounter_id: str) -> str:
    return f"asr:{encounter_id}:state"


def out_key(encounter_id: str) -> str:
    return f"asr:{encounter_id}:out"


def buf_key(encounter_id: str, *, channel: int, generation: int) -> str:
    return f"asr:{encounter_id}:buf:{channel}:{generation}"


def speakers_key(encounter_id: str, *, channel: int, generation: int) -> str:
    return f"asr:{encounter_id}:spk:{channel}:{generation}"


def state_keys_pattern(encounter_id: str) -> str:
    """A regex matching exactly the keys above for ``encounter_id`` (the caller anchors it: ``re.fullmatch``).
    The id is a whole ``:``-separated segment, so "enc-1" does not match the keys of "enc-12"."""
    return rf"asr:{re.escape(encounter_id)}:(?:state|out|(?:buf|spk):\d+:\d+)"
