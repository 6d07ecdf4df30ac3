"""The installed scribestream version: recorded on events, in FHIR Provenance and in the AsyncAPI document."""

from __future__ import annotations

from importlib import metadata


def software_version() -> str:
    try:
        return metadata.version("scribestream")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
