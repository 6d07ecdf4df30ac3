"""EHR sink settings (environment, prefix ``SCRIBESTREAM_``). With ``fhir_base_url`` set, notes go to that
FHIR server; without it they go to the outbox folder.

Auth to the FHIR server: SMART Backend Services when ``smart_token_url`` is set (client id + private key
required), else a static bearer token when ``fhir_token`` is set, else none. TLS certificates are always
verified, against ``fhir_ca_bundle`` when given (a private CA) or the system store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from shared.settings import ServiceSettings


class EhrSinkSettings(ServiceSettings):
    # A FHIR server call may wait (retries, Retry-After): several consumers keep other encounters moving.
    consumers: int = Field(default=3, ge=1, le=64, description="Kafka consumers in this replica (see ServiceSettings)")
    outbox_dir: Path = Field(default=Path("./out/outbox"), description="folder for document Bundles (outbox mode)")
    fhir_base_url: str | None = Field(default=None, description="FHIR server base URL; unset = outbox mode")
    fhir_token: SecretStr | None = Field(default=None, description="bearer token for the FHIR server")
    fhir_timeout_s: float = Field(default=15.0, gt=0, le=300, description="per HTTP call (connect, read, write)")
    fhir_ca_bundle: Path | None = Field(default=None, description="PEM CA bundle for the FHIR server's TLS")
    fhir_max_attempts: int = Field(default=4, ge=1, le=10, description="HTTP attempts per submission")
    fhir_deadline_s: float = Field(default=40.0, gt=0, le=600, description="time budget for one submission")

    smart_token_url: str | None = Field(default=None, description="SMART Backend Services token endpoint")
    smart_client_id: str | None = None
    smart_private_key: SecretStr | None = Field(default=None, description="PEM private key (RSA or P-384)")
    smart_private_key_file: Path | None = Field(default=None, description="PEM private key file (mounted Secret)")
    smart_key_id: str | None = Field(default=None, description="kid of the key in the registered JWKS")
    smart_alg: Literal["RS384", "ES384"] = "RS384"
    smart_scope: str = (
        "system/DocumentReference.crus system/Composition.cr system/Condition.cr system/ChargeItem.cr "
        "system/Provenance.cr"
    )

    note_type_code: str = Field(default="11506-3", description="LOINC document type (default: progress note)")
    note_type_display: str = "Progress note"
    combined_assessment_plan: bool = Field(default=False, description="one 51847-2 section instead of A and P")

    @field_validator("fhir_base_url", "smart_token_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _smart_complete(self) -> EhrSinkSettings:
        if self.smart_token_url and not (self.smart_client_id and (self.smart_private_key or self.smart_private_key_file)):
            raise ValueError("SMART backend auth needs smart_client_id and a private key")
        return self

    @property
    def mode(self) -> str:
        return "fhir" if self.fhir_base_url else "outbox"

    def private_key_pem(self) -> bytes | None:
        if self.smart_private_key is not None:
            return self.smart_private_key.get_secret_value().encode()
        if self.smart_private_key_file is not None:
            return self.smart_private_key_file.read_bytes()
        return None
