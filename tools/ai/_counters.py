"""Counters for AI figures and spend: in Redis (shared by every process) or in this process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MemoryCounters:
    """Float counters in hashes, in this process."""

    def __init__(self) -> None:
        self._hashes: dict[str, dict[str, float]] = {}

    async def add(self, name: str, amounts: Mapping[str, float], *, expire: int = 0) -> None:
        """Add `amounts` to fields of hash `name`."""
        counts = self._hashes.setdefault(name, {})
        for field, amount in amounts.items():
            counts[field] = counts.get(field, 0.0) + amount

    async def read(self, name: str) -> dict[str, float]:
        """Every field of hash `name`."""
        return dict(self._hashes.get(name, {}))


class RedisCounters:
    """Float counters in Redis hashes; a Redis failure loses a count, never a call."""

    def __init__(self, redis: Any) -> None:
        # Imported here, with Redis: `wallie serve` without REDIS_URL never loads it.
        from redis.exceptions import RedisError

        self.redis = redis
        self.errors: tuple[type[Exception], ...] = (RedisError, OSError)

    async def add(self, name: str, amounts: Mapping[str, float], *, expire: int = 0) -> None:
        """Add `amounts` to fields of hash `name` (expiring after `expire` s when given)."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for field, amount in amounts.items():
                    pipe.hincrbyfloat(name, field, amount)
                if expire:
                    pipe.expire(name, expire)
                await pipe.execute()
        except self.errors:
            return

    async def read(self, name: str) -> dict[str, float]:
        """Every field of hash `name` (empty when Redis does not answer)."""
        try:
            raw = await self.redis.hgetall(name)
        except self.errors:
            return {}
        return {k.decode(): float(v) for k, v in raw.items()}


Counters = MemoryCounters | RedisCounters
