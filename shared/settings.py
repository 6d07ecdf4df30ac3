"""Settings: one class per service, all extending ``ServiceSettings``; values come from the environment
(prefix ``SCRIBESTREAM_``). Nothing here connects to anything."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRIBESTREAM_", extra="ignore")

    kafka_bootstrap: str = Field(description="Kafka bootstrap servers, host:port[,host:port]")
    redis_url: str = Field(description="redis://host:port/db")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=0, description="port for /health/live, /health/ready, /metrics; 0 = any free port")
    max_attempts: int = Field(default=3, ge=1, description="processing attempts before a message goes to the DLQ")
    dedupe_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    state_ttl_s: int = Field(default=24 * 3600, ge=60)
    otel_exporter: str = Field(default="none", pattern="^(none|otlp|console)$")
    otel_endpoint: str | None = None
    log_level: str = "INFO"
