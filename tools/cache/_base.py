"""What both cache backends share: keys, envelopes, statistics and the rate-limit maths."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field

Compute = Callable[[], Awaitable[Any]]
# The owner's data version as the database knows it (see `tools.owners.data_versions`).
VersionSource = Callable[[str], Awaitable[str]]


async def close_versions(versions: VersionSource | None) -> None:
    """Release what a version source holds (connections), when it has an `aclose`."""
    close = getattr(versions, "aclose", None)
    if close is not None:
        await close()


ENVELOPE = "wallie-cache/1"


class ToolStats(BaseModel):
    """One tool's cache figures."""

    hits: int = 0
    misses: int = 0
    errors: int = 0
    hit_rate: float = Field(default=0.0, description="hits as a percentage of lookups")


class CacheStats(BaseModel):
    """Cache figures per tool; with Redis, the same for every server process."""

    backend: str
    tools: dict[str, ToolStats] = Field(default_factory=dict)

    @classmethod
    def from_counts(cls, backend: str, counts: Mapping[str, Mapping[str, int]]) -> CacheStats:
        """Build from {tool: {"hits": n, "misses": n, "errors": n}}."""
        tools = {}
        for tool, c in sorted(counts.items()):
            hits, misses = int(c.get("hits", 0)), int(c.get("misses", 0))
            lookups = hits + misses
            tools[tool] = ToolStats(
                hits=hits,
                misses=misses,
                errors=int(c.get("errors", 0)),
                hit_rate=round(100.0 * hits / lookups, 1) if lookups else 0.0,
            )
        return cls(backend=backend, tools=tools)


def args_hash(args: Mapping[str, Any]) -> str:
    """A stable hash of canonical JSON arguments (key order and spacing do not matter)."""
    canonical = json.dumps(args, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def entry_key(owner: str, tool: str, version: int | str, digest: str) -> str:
    """`wallie:{owner}:{tool}:v{version}:{hash}`."""
    return f"wallie:{owner}:{tool}:v{version}:{digest}"


def encode(value: Any) -> bytes:
    """A value as a JSON envelope (never pickle)."""
    return json.dumps({"e": ENVELOPE, "v": value}, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> tuple[bool, Any]:
    """(True, value) for an envelope we wrote; (False, None) for anything else."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False, None
    if not isinstance(data, dict) or data.get("e") != ENVELOPE or "v" not in data:
        return False, None
    return True, data["v"]


class SingleFlight:
    """Concurrent callers for one key share one computation."""

    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, compute: Compute) -> Any:
        """Run `compute` once for all concurrent callers of `key`."""
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await compute()
        except BaseException as exc:
            future.set_exception(exc)
            # Mark retrieved so an exception nobody else awaited is not logged.
            future.exception()
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]


def gcra(tat: int | None, now: int, interval: int, burst: int) -> tuple[int, int]:
    """GCRA: (new theoretical arrival time, time to wait; 0 means allowed), in integer units.

    Integers, as the Redis script's microseconds: in floats (now + 60) - 60 can exceed now by
    one rounding step, and a first call would be refused for "0.0 s"."""
    tat = max(tat if tat is not None else now, now)
    new_tat = tat + interval
    allow_at = new_tat - burst
    if allow_at > now:
        return tat, allow_at - now
    return new_tat, 0


def rate_message(tool: str, limit: int, period: float, retry_after: float) -> str:
    """The user-facing text of a tripped rate limit."""
    return f"rate limit for {tool}: {limit} calls per {period:g} s; retry after {retry_after:.1f} s"
