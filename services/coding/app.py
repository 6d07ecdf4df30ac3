"""FastStream entry point of the coding service: declares the service, builds its stage at start-up."""

from __future__ import annotations

from services.coding.config import CodingSettings
from services.coding.stage import make_stage
from shared.contracts import Topic
from shared.runtime import ServiceSpec, build_app, serve

SPEC = ServiceSpec(
    name="coding",
    consumes=Topic.SOAP_DRAFT,
    produces=Topic.SOAP_CODED,
    description="Suggests ICD-10-CM codes for the draft, each with its evidence.",
    make_stage=make_stage,
    also_produces=(Topic.AUDIT_EVENTS,),
)


def app():  # `faststream run --factory services.coding.app:app`
    return build_app(SPEC, CodingSettings())


if __name__ == "__main__":
    serve(SPEC, CodingSettings())
