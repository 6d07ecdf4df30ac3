"""Per-encounter state port, with a Redis adapter (distributed run) and an in-memory one (embedded run).

State lives outside the process so any replica can take over a partition after a crash or rebalance.
Keys are built by the stages from ids only (never PHI); every key gets a TTL.
"""

from __future__ import annotations

import time
from typing import Protocol

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
