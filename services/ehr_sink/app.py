"""FastStream entry point of the ehr_sink service: declares the service, builds its stage at start-up."""

from __future__ import annotations

from services.ehr_sink.config import EhrSinkSettings
from services.ehr_sink.stage import make_stage
from shared.contracts import Topic
from shared.runtime import ServiceSpec, build_app, serve

SPEC = ServiceSpec(
    name="ehr_sink",
    consumes=Topic.SOAP_CODED,
    produces=Topic.EHR_SUBMITTED,
    description="Files the coded note as FHIR R4 resources (outbox folder or FHIR server).",
    make_stage=make_stage,
    also_produces=(Topic.AUDIT_EVENTS,),
)


def app():  # `faststream run --factory services.ehr_sink.app:app`
    return build_app(SPEC, EhrSinkSettings())


if __name__ == "__main__":
    serve(SPEC, EhrSinkSettings())
