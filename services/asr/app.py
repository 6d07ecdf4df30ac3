"""FastStream entry point of the asr service: declares the service, builds its stage at start-up."""

from __future__ import annotations

from services.asr.config import AsrSettings
from services.asr.stage import make_stage
from shared.contracts import Topic
from shared.runtime import ServiceSpec, build_app, serve

SPEC = ServiceSpec(
    name="asr",
    consumes=Topic.AUDIO_CHUNKS,
    produces=Topic.TRANSCRIPT_TURNS,
    description="Streams visit audio into finalized, speaker-attributed transcript turns (faster-whisper).",
    make_stage=make_stage,
    also_produces=(Topic.TRANSCRIPT_PARTIALS, Topic.AUDIT_EVENTS,),
)


def app():  # `faststream run --factory services.asr.app:app`
    return build_app(SPEC, AsrSettings())


if __name__ == "__main__":
    serve(SPEC, AsrSettings())
