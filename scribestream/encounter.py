"""Turning an audio file into the ``audio.chunks`` events of one encounter (used by ``publish`` and the
embedded run, so both speak exactly the same contract)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from shared.audio import Audio, chunk_pcm
from shared.contracts import AudioChunkReceived, AudioEnded, EncounterContext, Event, Role, derive_id


def default_roles(channels: int) -> dict[int, Role] | None:
    """Telehealth convention: channel 0 clinician, channel 1 patient. Mono has no map (diarization)."""
    if channels == 2:
        return {0: Role.CLINICIAN, 1: Role.PATIENT}
    return None


def encounter_events(audio: Audio, *, encounter_id: str, context: EncounterContext,
                     channel_roles: Mapping[int, Role] | None = None, chunk_ms: int = 200) -> Iterator[Event]:
    roles = dict(channel_roles) if channel_roles is not None else default_roles(audio.channels)
    seq = -1
    for seq, pcm in enumerate(chunk_pcm(audio, ms=chunk_ms)):
        yield AudioChunkReceived(
            event_id=derive_id(encounter_id, "chunk", seq),
            encounter_id=encounter_id,
            seq=seq,
            channels=audio.channels,
            channel_roles=roles if seq == 0 else None,
            context=context if seq == 0 else None,
            pcm=pcm,
        )
    yield AudioEnded(event_id=derive_id(encounter_id, "end"), encounter_id=encounter_id, chunk_count=seq + 1)
