"""Settings: one class per service, all extending ``ServiceSettings``; values come from the environment
(prefix ``SCRIBESTREAM_``). Nothing here connects to anything."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SecuritySettings(BaseSettings):
    """Payload encryption and connection security. Shared by the services and the CLI (``publish``,
    ``tail``, ``forget``), so every client of the bus reads the same variables. See docs/security.md."""

    # allow_inf_nan=False: "inf"/"nan" are no timeout, interval or TTL (inherited by every service's settings).
    model_config = SettingsConfigDict(env_prefix="SCRIBESTREAM_", extra="ignore", allow_inf_nan=False)

    # ---- payload encryption (shared.crypto): on unless explicitly turned off
    encryption: bool = Field(default=True, description="AES-256-GCM payload encryption; false only for debugging")
    keys: SecretStr | None = Field(default=None, description="key ring inline: ID=BASE64[,ID=BASE64...]")
    active_key_id: str | None = Field(default=None, description="key id new writes use (default: the only key)")
    keyring_dir: str | None = Field(default=None, description="mounted Secret folder: one file per key id, "
                                                              "holding base64; optional file 'active'")
    keyring_file: str | None = Field(default=None, description='JSON {"active": ID, "keys": {ID: BASE64}}')
    keyring_reload_s: float = Field(default=30.0, ge=0, description="re-read keyring_dir/file this often (rotation)")

    # ---- Kafka connection
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(default=None, description="CA bundle that signed the broker certificate")
    kafka_ssl_certfile: str | None = Field(default=None, description="client certificate (mutual TLS)")
    kafka_ssl_keyfile: str | None = Field(default=None, description="client private key (mutual TLS)")
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_check_hostname: bool = True

    # ---- Redis connection (the URL may also be rediss://user:password@host:port/db)
    redis_username: str | None = None
    redis_password: SecretStr | None = None
    redis_ssl_cafile: str | None = None
    redis_ssl_certfile: str | None = None
    redis_ssl_keyfile: str | None = None
    redis_ssl_check_hostname: bool = True

    @model_validator(mode="after")
    def _no_nul_bytes(self) -> SecuritySettings:
        # A NUL in a path or URL passes validation but fails at first use (mid-message); refuse it at start.
        for name, value in self:
            if isinstance(value, (str, PurePath)) and "\x00" in str(value):
                raise ValueError(f"{name} contains a NUL byte")
        return self


class ServiceSettings(SecuritySettings):
    model_config = SettingsConfigDict(env_prefix="SCRIBESTREAM_", extra="ignore", allow_inf_nan=False)

    kafka_bootstrap: str = Field(description="Kafka bootstrap servers, host:port[,host:port]")
    redis_url: str = Field(description="redis://host:port/db")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, ge=0, le=65535, description="port for /health/live, /health/ready, /metrics; 0 = any free port")
    max_attempts: int = Field(default=3, ge=1, le=100, description="processing attempts before a message goes to the DLQ")
    consumers: int = Field(
        default=1, ge=1, le=64,
        description="Kafka consumers in this replica, each owning distinct partitions and committing its own "
        "offsets: a slow call for one encounter holds only its own partitions, never the others",
    )
    dedupe_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    state_ttl_s: int = Field(default=24 * 3600, ge=60)
    otel_exporter: str = Field(default="none", pattern="^(none|otlp|console)$")
    otel_endpoint: str | None = None
    log_level: str = Field(default="INFO", pattern=r"(?i)^(debug|info|warning|error|critical)$")
