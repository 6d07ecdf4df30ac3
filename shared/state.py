"""Per-encounter state port, with a Redis adapter (distributed run) and an in-memory one (embedded run).

State lives outside the process so any replica can take over a partition after a crash or rebalance.
Keys are built by the stages from ids only (never PHI); every key gets a TTL.
"""

from __future__ import annotations

import time
from typing import Protocol

from shared.crypto import Sealer, frames_overhead, state_aad

DEFAULT_TTL_S = 24 * 3600


class StateStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None: ...
    async def set_if_absent(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> bool: ...
    async def delete(self, *keys: str) -> None: ...
    async def hset(self, key: str, field: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None: ...
    async def hgetall(self, key: str) -> dict[str, bytes]: ...
    async def append(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> int:
        """Append bytes to a value; returns the new length."""
        ...


class MemoryStateStore:
    """In-process store for the embedded single-machine run (``scribestream run``/``make demo``)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float, object]] = {}

    def _live(self, key: str) -> object | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        self._data[key] = (time.monotonic() + ttl_s, bytes(value))

    async def set_if_absent(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl_s=ttl_s)
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def hset(self, key: str, field: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        current = self._live(key)
        mapping = dict(current) if isinstance(current, dict) else {}
        mapping[field] = bytes(value)
        self._data[key] = (time.monotonic() + ttl_s, mapping)

    async def hgetall(self, key: str) -> dict[str, bytes]:
        value = self._live(key)
        return dict(value) if isinstance(value, dict) else {}

    async def append(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> int:
        current = await self.get(key) or b""
        await self.set(key, current + value, ttl_s=ttl_s)
        return len(current) + len(value)


class RedisStateStore:
    """Redis adapter. Takes an already-built ``redis.asyncio.Redis`` client (opened at service start)."""

    def __init__(self, client, *, prefix: str = "ss:") -> None:  # client: redis.asyncio.Redis
        self._r = client
        self._p = prefix

    async def get(self, key: str) -> bytes | None:
        return await self._r.get(self._p + key)

    async def set(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        await self._r.set(self._p + key, value, ex=ttl_s)

    async def set_if_absent(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> bool:
        return bool(await self._r.set(self._p + key, value, ex=ttl_s, nx=True))

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._r.delete(*(self._p + k for k in keys))

    async def hset(self, key: str, field: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.hset(self._p + key, field, value)
            pipe.expire(self._p + key, ttl_s)
            await pipe.execute()

    async def hgetall(self, key: str) -> dict[str, bytes]:
        raw = await self._r.hgetall(self._p + key)
        return {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}

    async def append(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> int:
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.append(self._p + key, value)
            pipe.expire(self._p + key, ttl_s)
            length, _ = await pipe.execute()
        return int(length)


class EncryptingStateStore:
    """Seals every value (AES-256-GCM, ``shared.crypto``) before it reaches the inner store, bound to its key
    (and hash field), so Redis holds no PHI in clear and a value copied to another key fails to open.

    ``append`` writes self-delimiting frames (Redis APPEND stays O(chunk), which the ASR's audio buffer
    needs). To return the *plaintext* length the protocol promises, the frames' overhead is tallied in a
    companion key (``<key>#o``): plaintext = stored length - overhead. If a crash lands between the two
    writes the tally is off, the caller sees an unexpected length and rewrites the value with ``set``,
    which resets the tally, so the store heals itself.
    """

    _OVERHEAD_SUFFIX = "#o"

    def __init__(self, inner: StateStore, *, keyring: Sealer) -> None:
        self._inner = inner
        self._ring = keyring
        self._aad = state_aad

    async def get(self, key: str) -> bytes | None:
        raw = await self._inner.get(key)
        return None if raw is None else self._ring.open_frames(raw, aad=self._aad(key))

    async def set(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        await self._inner.set(key, self._ring.seal_frame(value, aad=self._aad(key)), ttl_s=ttl_s)
        await self._inner.delete(key + self._OVERHEAD_SUFFIX)

    async def set_if_absent(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> bool:
        return await self._inner.set_if_absent(key, self._ring.seal_frame(value, aad=self._aad(key)), ttl_s=ttl_s)

    async def delete(self, *keys: str) -> None:
        await self._inner.delete(*keys, *(k + self._OVERHEAD_SUFFIX for k in keys))

    async def hset(self, key: str, field: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> None:
        await self._inner.hset(key, field, self._ring.seal_frame(value, aad=self._aad(f"{key}\x1f{field}")), ttl_s=ttl_s)

    async def hgetall(self, key: str) -> dict[str, bytes]:
        raw = await self._inner.hgetall(key)
        return {f: self._ring.open_frames(v, aad=self._aad(f"{key}\x1f{f}")) for f, v in raw.items()}

    async def append(self, key: str, value: bytes, *, ttl_s: int = DEFAULT_TTL_S) -> int:
        frame = self._ring.seal_frame(value, aad=self._aad(key))
        added = len(frame) - len(value)
        stored = await self._inner.append(key, frame, ttl_s=ttl_s)
        # The tally's own length is the total overhead: append as many zero bytes as this frame added.
        overhead = await self._inner.append(key + self._OVERHEAD_SUFFIX, b"\0" * added, ttl_s=ttl_s)
        if stored == len(frame):
            overhead = added  # a fresh value: an older tally belongs to a value that expired
        elif overhead == added:
            # No tally but an older value (written by ``set``, or a tally that expired): measure it once.
            overhead = frames_overhead(await self._inner.get(key) or b"")
        else:
            return stored - overhead
        await self._inner.set(key + self._OVERHEAD_SUFFIX, b"\0" * overhead, ttl_s=ttl_s)
        return stored - overhead
