"""EHR sink settings (environment, prefix ``SCRIBESTREAM_``). With ``fhir_base_url`` set, notes go to that
FHIR server; without it they go to the outbox folder."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from shared.settings import ServiceSettings


class EhrSinkSettings(ServiceSettings):
    outbox_dir: Path = Field(default=Path("./out/outbox"), description="folder for document Bundles (outbox mode)")
    fhir_base_url: str | None = Field(default=None, description="FHIR server base URL; unset = outbox mode")
    fhir_token: SecretStr | None = Field(default=None, description="bearer token for the FHIR server")
    fhir_timeout_s: float = Field(default=15.0, gt=0, le=300)

    @field_validator("fhir_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("fhir_base_url must be an http(s) URL")
        return value.rstrip("/")

    @property
    def mode(self) -> str:
        return "fhir" if self.fhir_base_url else "outbox"
