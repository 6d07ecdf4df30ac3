"""The AsyncAPI 3 document of the whole system, generated from the four FastStream apps."""

from __future__ import annotations

import warnings

import yaml
from faststream.specification import AsyncAPI


def render() -> str:
    from services.asr.app import SPEC as ASR, AsrSettings
    from services.coding.app import SPEC as CODING, CodingSettings
    from services.ehr_sink.app import SPEC as SINK, EhrSinkSettings
    from services.notegen.app import SPEC as NOTEGEN, NotegenSettings
    from shared.runtime import build_app

    # Placeholder addresses: building an app declares channels only, it connects to nothing.
    env = {"kafka_bootstrap": "kafka:9092", "redis_url": "redis://redis:6379/0"}
    brokers = [
        build_app(spec, settings_cls(**env)).broker
        for spec, settings_cls in ((ASR, AsrSettings), (NOTEGEN, NotegenSettings), (CODING, CodingSettings),
                                   (SINK, EhrSinkSettings))
    ]
    with warnings.catch_warnings():
        # Every service publishes to audit.events; FastStream warns that the channel is declared more than once.
        warnings.simplefilter("ignore", RuntimeWarning)
        return _render(brokers)


def _render(brokers: list) -> str:
    from shared.version import software_version

    spec = AsyncAPI(*brokers, title="scribestream", version=software_version(), schema_version="3.0.0",
                    description="audio.chunks → transcript.turns → soap.draft → soap.coded → ehr.submitted. "
                                "Partition key: encounter id. Schema name/version in x-schema/x-schema-version "
                                "headers and in each payload. audio.chunks values are raw PCM s16le 16 kHz.")
    # FastStream keeps publishers in a set: sort keys so the committed document is stable.
    return yaml.safe_dump(yaml.safe_load(spec.to_specification().to_yaml()), sort_keys=True, allow_unicode=True)
