"""FastStream entry point of the notegen service: declares the service, builds its stage at start-up."""

from __future__ import annotations

from services.notegen.config import NotegenSettings
from services.notegen.stage import make_stage
from shared.contracts import Topic
from shared.runtime import ServiceSpec, build_app, serve

SPEC = ServiceSpec(
    name="notegen",
    consumes=Topic.TRANSCRIPT_TURNS,
    produces=Topic.SOAP_DRAFT,
    description="Collects an encounter's turns and drafts a grounded SOAP note citing them.",
    make_stage=make_stage,
    also_produces=(Topic.AUDIT_EVENTS,),
)


def app():  # `faststream run --factory services.notegen.app:app`
    return build_app(SPEC, NotegenSettings())


if __name__ == "__main__":
    serve(SPEC, NotegenSettings())
