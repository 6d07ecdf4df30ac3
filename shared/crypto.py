"""Payload encryption: AES-256-GCM under a key ring that supports rotation without downtime.

Every PHI-bearing value (audio, transcript, note, codes) is sealed before it reaches Kafka or Redis. The
associated data binds a ciphertext to where it belongs (topic + encounter id + event id on the bus, the
state key in Redis), so a payload copied into another encounter, topic or key fails to open.

Rotation: a ring holds several keys and names one *active* key. New writes use the active key; reads
pick the key named by the ciphertext, so events sealed under an older key stay readable until that key
is removed from the ring (retired). Roll out a new key as inactive first, then make it active, then
retire the old one once the longest retention (topics, Redis TTLs) has passed.

Pure: no settings, no environment, no I/O. Loading a ring from its sources lives in ``shared.security``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit random nonce: safe for < 2^32 messages per key (rotate well before that)
TAG_BYTES = 16
ALGORITHM = "A256GCM"
_KEY_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_ENVELOPE_MAGIC = b"\xe5\x01"  # marks a self-describing sealed value (state store frames)


class KeyRingError(ValueError):
    """The key ring is misconfigured. Messages name key ids and sources, never key material."""


class DecryptError(ValueError):
    """A ciphertext could not be opened: unknown/retired key, tampering, or the wrong context.
    The message names the key id only."""


def _check_key_id(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise KeyRingError(f"invalid key id {key_id[:64]!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return key_id


def decode_key(text: str, *, key_id: str) -> bytes:
    """A key as written in a Secret/env/file: base64 (standard or URL-safe) of 32 random bytes."""
    cleaned = text.strip()
    try:
        standard = cleaned.replace("-", "+").replace("_", "/").rstrip("=")
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"key {key_id!r} is not base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyRingError(f"key {key_id!r} has {len(raw)} bytes; AES-256 needs {KEY_BYTES}")
    return raw


def new_key_text() -> str:
    """A fresh random key in the text form the ring reads (for `scribestream keygen`-style tooling)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class Sealer(Protocol):
    """What the codec and the state store need: a ``KeyRing`` or one that reloads itself on rotation."""

    def seal(self, plaintext: bytes, *, aad: bytes) -> tuple[str, bytes]: ...
    def open(self, blob: bytes, *, key_id: str, aad: bytes) -> bytes: ...
    def seal_frame(self, plaintext: bytes, *, aad: bytes) -> bytes: ...
    def open_frames(self, data: bytes, *, aad: bytes) -> bytes: ...


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes] = field(repr=False)
    active_id: str

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the key ring is empty")
        for key_id, key in self.keys.items():
            _check_key_id(key_id)
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        if self.active_id not in self.keys:
            raise KeyRingError(f"active key {self.active_id!r} is not in the ring ({', '.join(sorted(self.keys))})")

    # ------------------------------------------------------------------ construction
    @classmethod
    def generate(cls, key_id: str = "ephemeral") -> KeyRing:
        """A one-key ring with a random key (embedded run, tests). Lost when the process exits."""
        return cls(keys={_check_key_id(key_id): AESGCM.generate_key(bit_length=256)}, active_id=key_id)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str], *, active_id: str | None) -> KeyRing:
        keys = {_check_key_id(k): decode_key(v, key_id=k) for k, v in texts.items()}
        if active_id is None:
            if len(keys) != 1:
                raise KeyRingError("several keys and no active key id: set the active key explicitly")
            active_id = next(iter(keys))
        return cls(keys=keys, active_id=active_id)

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        """``{"active": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}}``."""
        try:
            doc = json.loads(text)
            texts, active = doc["keys"], doc.get("active")
            if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise KeyRingError('key ring file must be JSON {"active": ID, "keys": {ID: BASE64}}') from None
        return cls.from_texts(texts, active_id=active)

    def to_json(self) -> str:
        return json.dumps({"active": self.active_id,
                           "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}})

    # ------------------------------------------------------------------ sealing
    def seal(self, plaintext: bytes, *, aad: bytes) -> tuple[str, bytes]:
        """Encrypt under the active key: returns (key id, nonce || ciphertext || tag)."""
        nonce = os.urandom(NONCE_BYTES)
        return self.active_id, nonce + AESGCM(self.keys[self.active_id]).encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, *, key_id: str, aad: bytes) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptError(f"key {key_id[:64]!r} is unknown or retired")
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptError(f"ciphertext under key {key_id!r} is truncated")
        try:
            return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:  # tampered, or sealed for another topic/encounter/event/key
            raise DecryptError(f"ciphertext under key {key_id!r} failed authentication (tampered or wrong context)") from None

    # ------------------------------------------------------------------ self-describing frames (state store)
    def seal_frame(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """magic | u8 len(key id) | key id | u32 len(blob) | blob. Frames concatenate (Redis APPEND)."""
        key_id, blob = self.seal(plaintext, aad=aad)
        kid = key_id.encode()
        return _ENVELOPE_MAGIC + bytes([len(kid)]) + kid + struct.pack(">I", len(blob)) + blob

    def open_frames(self, data: bytes, *, aad: bytes) -> bytes:
        """Open a concatenation of frames and join their plaintexts."""
        out, pos = [], 0
        while pos < len(data):
            if data[pos:pos + 2] != _ENVELOPE_MAGIC or pos + 3 > len(data):
                raise DecryptError("stored value is not an encrypted frame")
            kid_len = data[pos + 2]
            kid_end = pos + 3 + kid_len
            if kid_end + 4 > len(data):
                raise DecryptError("stored frame is truncated")
            key_id = data[pos + 3:kid_end].decode(errors="replace")
            (blob_len,) = struct.unpack(">I", data[kid_end:kid_end + 4])
            end = kid_end + 4 + blob_len
            if end > len(data):
                raise DecryptError("stored frame is truncated")
            out.append(self.open(data[kid_end + 4:end], key_id=key_id, aad=aad))
            pos = end
        return b"".join(out)

    def frame_overhead(self) -> int:
        """Bytes a frame under the active key adds to its plaintext."""
        return 2 + 1 + len(self.active_id.encode()) + 4 + NONCE_BYTES + TAG_BYTES


def frames_overhead(data: bytes) -> int:
    """Bytes that framing and authentication add to a concatenation of frames (no key needed)."""
    total, pos = 0, 0
    while pos + 3 <= len(data):
        kid_end = pos + 3 + data[pos + 2]
        if data[pos:pos + 2] != _ENVELOPE_MAGIC or kid_end + 4 > len(data):
            raise DecryptError("stored value is not an encrypted frame")
        (blob_len,) = struct.unpack(">I", data[kid_end:kid_end + 4])
        total += (kid_end + 4 - pos) + NONCE_BYTES + TAG_BYTES
        pos = kid_end + 4 + blob_len
    return total


def bus_aad(*, topic: str, encounter_id: str, event_id: str, schema: str) -> bytes:
    """What a bus ciphertext is bound to: moving it to another topic, encounter or event id breaks it."""
    return "\x1f".join(("scribestream/bus/v1", topic, encounter_id, event_id, schema)).encode()


def state_aad(key: str) -> bytes:
    return f"scribestream/state/v1\x1f{key}".encode()
