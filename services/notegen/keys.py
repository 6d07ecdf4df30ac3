"""Notegen's Redis key layout, one definition for the stage that builds the keys (services.notegen.stage) and
``scribestream forget``, which must find them all again. A module of its own so the CLI need not import the
note writers to learn the layout.

Per encounter (ids only, never content in key names):
  ``notegen:turns:{enc}``   the collected turns, a hash keyed by turn id
  ``notegen:live:{enc}``    the live-draft state (services.notegen.live.LiveState)
"""

from __future__ import annotations

import re

_TURNS, _LIVE = "turns", "live"


def turns_key(encounter_id: str) -> str:
    return f"notegen:{_TURNS}:{encounter_id}"


def live_key(encounter_id: str) -> str:
    return f"notegen:{_LIVE}:{encounter_id}"


def state_keys_pattern(encounter_id: str) -> str:
    """A regex matching exactly the keys above for ``encounter_id`` (the caller anchors it: ``re.fullmatch``)."""
    return rf"notegen:(?:{_TURNS}|{_LIVE}):{re.escape(encounter_id)}"
