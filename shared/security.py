"""Security wiring from settings: the payload key ring, and Kafka/Redis connection security.

Kafka: PLAINTEXT, SSL (server TLS, plus a client certificate for mutual TLS), SASL_PLAINTEXT or SASL_SSL with
SCRAM-SHA-256/512 (or PLAIN), built as FastStream ``faststream.security`` objects so the broker and the raw
aiokafka clients of the CLI share one mapping. Redis: AUTH (username/password) and TLS (``rediss://`` or
a CA file), with redis-py's ssl parameters.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from pathlib import Path
from typing import Any

from shared.crypto import KeyRing, KeyRingError
from shared.logging import get_logger
from shared.settings import SecuritySettings

log = get_logger("security")


# ------------------------------------------------------------------ key ring
def _ring_from_dir(folder: Path, *, active_id: str | None) -> KeyRing:
    """A mounted Kubernetes Secret: one file per key id (base64 content), plus an optional ``active`` file.
    Kubernetes' own ``..data`` entries and dotfiles are skipped."""
    if not folder.is_dir():
        raise KeyRingError(f"key ring folder {folder} does not exist")
    texts: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == "active" or not path.is_file():
            continue
        texts[path.name] = path.read_text()
    active_file = folder / "active"
    if active_id is None and active_file.is_file():
        active_id = active_file.read_text().strip()
    return KeyRing.from_texts(texts, active_id=active_id)


def _ring_from_settings(settings: SecuritySettings) -> KeyRing:
    if settings.keyring_file:
        ring = KeyRing.from_json(Path(settings.keyring_file).read_text())
        if settings.active_key_id:
            ring = KeyRing(keys=ring.keys, active_id=settings.active_key_id)
        return ring
    if settings.keyring_dir:
        return _ring_from_dir(Path(settings.keyring_dir), active_id=settings.active_key_id)
    if settings.keys is not None:
        texts = {}
        for item in settings.keys.get_secret_value().split(","):
            key_id, sep, text = item.strip().partition("=")
            if not sep:
                raise KeyRingError("SCRIBESTREAM_KEYS takes ID=BASE64[,ID=BASE64...]")
            texts[key_id.strip()] = text
        return KeyRing.from_texts(texts, active_id=settings.active_key_id)
    raise KeyRingError(
        "encryption is on but no key ring is configured: set SCRIBESTREAM_KEYRING_DIR (mounted Secret), "
        "SCRIBESTREAM_KEYRING_FILE or SCRIBESTREAM_KEYS, or SCRIBESTREAM_ENCRYPTION=false to run unencrypted"
    )


class ReloadingKeyRing:
    """The configured ring, re-read from its folder/file at most every ``reload_s`` seconds, so a rotated
    Secret takes effect without a restart (Kubernetes updates mounted Secrets in place). A failed reload
    keeps the last good ring and logs the (PHI-free) reason."""

    def __init__(self, settings: SecuritySettings) -> None:
        self._settings = settings
        self._ring = _ring_from_settings(settings)
        self._loaded = time.monotonic()
        self._lock = threading.Lock()
        self._reloads = bool(settings.keyring_dir or settings.keyring_file) and settings.keyring_reload_s > 0

    @property
    def ring(self) -> KeyRing:
        if self._reloads and time.monotonic() - self._loaded >= self._settings.keyring_reload_s:
            with self._lock:
                self._loaded = time.monotonic()
                try:
                    fresh = _ring_from_settings(self._settings)
                except (KeyRingError, OSError) as err:
                    log.error("key ring reload failed; keeping the previous ring",
                              extra={"error_class": type(err).__name__})
                else:
                    if fresh.active_id != self._ring.active_id or set(fresh.keys) != set(self._ring.keys):
                        log.warning("key ring changed", extra={"key_id": fresh.active_id, "count": len(fresh.keys)})
                    self._ring = fresh
        return self._ring

    @property
    def active_id(self) -> str:
        return self.ring.active_id

    def seal(self, plaintext: bytes, *, aad: bytes) -> tuple[str, bytes]:
        return self.ring.seal(plaintext, aad=aad)

    def open(self, blob: bytes, *, key_id: str, aad: bytes) -> bytes:
        return self.ring.open(blob, key_id=key_id, aad=aad)

    def seal_frame(self, plaintext: bytes, *, aad: bytes) -> bytes:
        return self.ring.seal_frame(plaintext, aad=aad)

    def open_frames(self, data: bytes, *, aad: bytes) -> bytes:
        return self.ring.open_frames(data, aad=aad)


def load_keyring(settings: SecuritySettings, *, component: str) -> ReloadingKeyRing | None:
    """The key ring to seal/open payloads with, or None when encryption is explicitly off (logged loudly).
    Raises KeyRingError when encryption is on and no usable ring is configured: refuse to start."""
    if not settings.encryption:
        log.warning(
            "PAYLOAD ENCRYPTION IS OFF: PHI travels through Kafka and Redis in clear "
            "(SCRIBESTREAM_ENCRYPTION=false). Never run like this with real patient data.",
            extra={"service": component},
        )
        return None
    ring = ReloadingKeyRing(settings)
    log.info("payload encryption on (AES-256-GCM)",
             extra={"service": component, "key_id": ring.active_id, "count": len(ring.ring.keys)})
    return ring


# ------------------------------------------------------------------ Kafka
def kafka_ssl_context(settings: SecuritySettings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.kafka_ssl_cafile)
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile:
        password = settings.kafka_ssl_key_password.get_secret_value() if settings.kafka_ssl_key_password else None
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile, password=password)
    return context


def kafka_security(settings: SecuritySettings) -> Any:
    """A ``faststream.security`` object for ``KafkaBroker(security=...)``, or None for PLAINTEXT."""
    from faststream.security import (
        BaseSecurity,
        SASLPlaintext,
        SASLScram256,
        SASLScram512,
    )

    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = kafka_ssl_context(settings) if protocol.endswith("SSL") else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
        raise ValueError(f"{protocol} needs SCRIBESTREAM_KAFKA_SASL_USERNAME and SCRIBESTREAM_KAFKA_SASL_PASSWORD")
    sasl = {"SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512, "PLAIN": SASLPlaintext}[
        settings.kafka_sasl_mechanism]
    return sasl(settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value(),
                ssl_context=context, use_ssl=protocol == "SASL_SSL")


def kafka_client_kwargs(settings: SecuritySettings) -> dict[str, Any]:
    """The same security as keyword arguments for raw aiokafka producers/consumers/admin clients."""
    from faststream.kafka.security import parse_security

    kwargs = parse_security(kafka_security(settings))
    if kwargs.get("ssl_context") is None:
        kwargs.pop("ssl_context", None)
    return kwargs


# ------------------------------------------------------------------ Redis
def redis_kwargs(settings: SecuritySettings) -> dict[str, Any]:
    """Keyword arguments for ``redis.asyncio.from_url``: AUTH and TLS from settings (the URL may carry them
    too; explicit settings win)."""
    kwargs: dict[str, Any] = {}
    if settings.redis_username:
        kwargs["username"] = settings.redis_username
    if settings.redis_password is not None:
        kwargs["password"] = settings.redis_password.get_secret_value()
    if settings.redis_ssl_cafile or settings.redis_ssl_certfile:
        kwargs.update(ssl_ca_certs=settings.redis_ssl_cafile, ssl_certfile=settings.redis_ssl_certfile,
                      ssl_keyfile=settings.redis_ssl_keyfile, ssl_cert_reqs="required",
                      ssl_check_hostname=settings.redis_ssl_check_hostname)
    return kwargs


def open_redis(url: str, settings: SecuritySettings) -> Any:
    """A ``redis.asyncio.Redis`` for ``url`` with AUTH/TLS from settings. A CA file turns TLS on even for a
    ``redis://`` URL, so a misspelt scheme cannot silently downgrade to plaintext."""
    import redis.asyncio as redis

    kwargs = redis_kwargs(settings)
    if "ssl_ca_certs" in kwargs and url.startswith("redis://"):
        url = "rediss://" + url[len("redis://"):]
    return redis.from_url(url, **kwargs)


def describe(settings: SecuritySettings) -> str:
    """For the startup log: the protocols in use, never credentials."""
    return json.dumps({"kafka": settings.kafka_security_protocol,
                       "redis_tls": bool(settings.redis_ssl_cafile or settings.redis_ssl_certfile),
                       "redis_auth": bool(settings.redis_password or settings.redis_username),
                       "encryption": settings.encryption})
