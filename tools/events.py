"""Owner-scoped change events: Redis Streams when REDIS_URL is set, in-process otherwise.

Every write publishes its events after its transaction commits (`publish_changes`, the
ingest path's after-commit hook). Each owner
has a bounded stream, so a consumer that was away resumes from the last id it saw; one more
bounded stream carries every owner's events for the server replicas that fan them out.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tools.settings import Settings, get_settings

if TYPE_CHECKING:
    from tools.ingest import Changes

log = logging.getLogger("wallie.events")

STREAM_MAXLEN = 10_000
# A write with more changes (a bulk import) publishes its newest ones: a stream keeps no more.
MAX_EVENTS_PER_WRITE = STREAM_MAXLEN
PREVIEW_CHARS = 500
_PREFIX = "wallie:events"


def _now() -> datetime:
    return datetime.now(UTC)


class _EventBase(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str | None = Field(default=None, description="Position in the owner's stream.")
    owner_id: int
    at: datetime = Field(default_factory=_now)


class MessageCreated(_EventBase):
    """A new message was stored."""

    type: Literal["message.created"] = "message.created"
    message_id: int
    conversation_id: int
    client_id: int
    channel: str
    direction: str
    sender: str
    sent_at: datetime
    external_id: str
    preview: str = Field(description="The first characters of the message text (quoted data).")


class MessageStatus(_EventBase):
    """An outbound message's delivery status moved (sent, delivered, read, failed)."""

    type: Literal["message.status"] = "message.status"
    message_id: int
    conversation_id: int
    client_id: int
    external_id: str
    status: str


class ClientCreated(_EventBase):
    """A new client was stored."""

    type: Literal["client.created"] = "client.created"
    client_id: int


class ClientUpdated(_EventBase):
    """An existing client changed (new contact, profile)."""

    type: Literal["client.updated"] = "client.updated"
    client_id: int


Event = Annotated[
    MessageCreated | MessageStatus | ClientCreated | ClientUpdated, Field(discriminator="type")
]
EVENT_TYPES = ("message.created", "message.status", "client.created", "client.updated")
_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes) -> Event:
    """An event from its JSON form."""
    return _adapter.validate_json(data)


def resource_uris(event: Event) -> list[str]:
    """The MCP resources an event changes."""
    if isinstance(event, MessageCreated | MessageStatus):
        return [
            f"wallie://conversations/{event.conversation_id}",
            f"wallie://clients/{event.client_id}",
            "wallie://inbox",
        ]
    return [f"wallie://clients/{event.client_id}"]


class EventBus(Protocol):
    """Where events go and where consumers read them."""

    async def publish(self, events: Sequence[Event]) -> list[Event]:
        """Append `events` to their owners' streams; the stored events (with ids)."""
        ...

    async def last_id(self, owner_id: int) -> str:
        """The id of the owner's newest event ("0-0" when none)."""
        ...

    async def read(
        self, owner_id: int, after: str, *, wait: float, count: int = 100
    ) -> list[Event]:
        """The owner's events after `after`, waiting up to `wait` s for one to arrive."""
        ...

    def all_events(self) -> AsyncIterator[Event]:
        """Every owner's events from now on (for fan-out inside a server process)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def _id_key(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


class MemoryEventBus:
    """The in-process bus: the same streams, visible to this process only."""

    backend = "memory"

    def __init__(self, maxlen: int = STREAM_MAXLEN) -> None:
        self._maxlen = maxlen
        self._streams: dict[int, deque[Event]] = {}
        self._last = (0, 0)
        self._changed = asyncio.Event()
        self._listeners: list[asyncio.Queue[Event]] = []

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        seq = self._last[1] + 1 if ms <= self._last[0] else 0
        self._last = (max(ms, self._last[0]), seq)
        return f"{self._last[0]}-{self._last[1]}"

    async def publish(self, events: Sequence[Event]) -> list[Event]:
        """Append `events` to their owners' streams; the stored events (with ids)."""
        stored = []
        for event in events:
            event = event.model_copy(update={"id": self._next_id()})
            self._streams.setdefault(event.owner_id, deque(maxlen=self._maxlen)).append(event)
            for queue in self._listeners:
                queue.put_nowait(event)
            stored.append(event)
        # Wake every waiting reader; each re-checks its own owner's stream.
        self._changed.set()
        self._changed = asyncio.Event()
        return stored

    async def last_id(self, owner_id: int) -> str:
        """The id of the owner's newest event ("0-0" when none)."""
        stream = self._streams.get(owner_id)
        return stream[-1].id or "0-0" if stream else "0-0"

    def _after(self, owner_id: int, after: str, count: int) -> list[Event]:
        key = _id_key(after)
        found = [e for e in self._streams.get(owner_id, ()) if _id_key(e.id or "0") > key]
        return found[:count]

    async def read(
        self, owner_id: int, after: str, *, wait: float, count: int = 100
    ) -> list[Event]:
        """The owner's events after `after`, waiting up to `wait` s for one to arrive."""
        deadline = time.monotonic() + wait
        while not (found := self._after(owner_id, after, count)):
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return []
        return found

    async def all_events(self) -> AsyncIterator[Event]:
        """Every owner's events from now on."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._listeners.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.remove(queue)

    async def aclose(self) -> None:
        """Nothing to release."""


# XADD each event to the owner's stream and to the fan-out stream, server-side: packing
# thousands of separate commands costs the client more than the writes cost Redis.
_APPEND = """
local maxlen = ARGV[#ARGV]
local ids = {}
for i = 1, #ARGV - 1 do
  ids[i] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[i])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[i])
end
return ids
"""


class RedisEventBus:
    """Redis Streams: one bounded stream per owner plus one for every owner's events."""

    backend = "redis"

    def __init__(self, url: str, maxlen: int = STREAM_MAXLEN) -> None:
        import redis.asyncio as redis

        self._url = url
        self._maxlen = maxlen
        self._redis = redis.Redis.from_url(url)
        self._append = self._redis.register_script(_APPEND)

    @staticmethod
    def stream(owner_id: int) -> str:
        """The Redis key of an owner's stream."""
        return f"{_PREFIX}:{owner_id}"

    async def publish(self, events: Sequence[Event]) -> list[Event]:
        """Append `events` to their owners' streams; the stored events (with ids)."""
        if not events:
            return []
        by_owner: dict[int, list[Event]] = {}
        for event in events:
            by_owner.setdefault(event.owner_id, []).append(event)
        stored: list[Event] = []
        for owner_id, mine in by_owner.items():
            # One script call per owner: both streams, in order, in one round trip.
            bodies = [e.model_dump_json(exclude={"id"}) for e in mine]
            ids: Any = await self._append(
                keys=[self.stream(owner_id), f"{_PREFIX}:all"], args=[*bodies, self._maxlen]
            )
            stored += [
                e.model_copy(update={"id": i.decode()}) for e, i in zip(mine, ids, strict=True)
            ]
        return stored

    async def last_id(self, owner_id: int) -> str:
        """The id of the owner's newest event ("0-0" when none)."""
        newest: Any = await self._redis.xrevrange(self.stream(owner_id), count=1)
        return str(newest[0][0].decode()) if newest else "0-0"

    async def read(
        self, owner_id: int, after: str, *, wait: float, count: int = 100
    ) -> list[Event]:
        """The owner's events after `after`, waiting up to `wait` s for one to arrive."""
        found: Any = await self._redis.xread(
            {self.stream(owner_id): after}, count=count, block=max(1, int(wait * 1000))
        )
        return [
            parse_event(fields[b"e"]).model_copy(update={"id": entry_id.decode()})
            for _key, entries in found or ()
            for entry_id, fields in entries
        ]

    async def all_events(self) -> AsyncIterator[Event]:
        """Every owner's events from now on (reconnecting after Redis failures)."""
        import redis.asyncio as redis

        # A connection of its own: the blocking read must not hold up publishers.
        conn = redis.Redis.from_url(self._url)
        last = "$"
        try:
            while True:
                try:
                    found: Any = await conn.xread({f"{_PREFIX}:all": last}, count=500, block=5000)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    log.warning("event fan-out: Redis unavailable (%s); retrying", exc)
                    await asyncio.sleep(1.0)
                    continue
                for _key, entries in found or ():
                    for entry_id, fields in entries:
                        last = entry_id.decode()
                        yield parse_event(fields[b"e"])
        finally:
            await conn.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


_buses: dict[tuple[int, str | None], MemoryEventBus | RedisEventBus] = {}
_bus_loops: weakref.WeakValueDictionary[int, asyncio.AbstractEventLoop] = (
    weakref.WeakValueDictionary()
)


def get_bus(settings: Settings | None = None) -> MemoryEventBus | RedisEventBus:
    """The process-wide bus for the settings' REDIS_URL (in-process when unset)."""
    url = (settings or get_settings()).redis_url
    loop = asyncio.get_running_loop()
    # One bus per event loop: neither a Redis pool nor an asyncio.Event crosses loops.
    if _bus_loops.get(id(loop)) is not loop:
        for key in [k for k in _buses if k[0] == id(loop)]:
            del _buses[key]  # a dead loop's buses, whose id was reused
        _bus_loops[id(loop)] = loop
    key = (id(loop), url)
    if key not in _buses:
        _buses[key] = RedisEventBus(url) if url else MemoryEventBus()
    return _buses[key]


def message_created(owner_id: int, message_id: int, row: Mapping[str, Any]) -> MessageCreated:
    """The event for a stored message row (as the ingest path inserts it)."""
    return MessageCreated(
        owner_id=owner_id,
        message_id=message_id,
        conversation_id=row["conversation_id"],
        client_id=row["client_id"],
        channel=row["channel"],
        direction=row["direction"],
        sender=row["sender"],
        sent_at=row["sent_at"],
        external_id=row["external_id"],
        preview=preview(row["text"]),
    )


def change_events(changes: Changes) -> Iterator[Event]:
    """One event per change of a committed write, in a reader-friendly order."""
    owner = changes.owner_id
    for client_id in changes.clients_added:
        yield ClientCreated(owner_id=owner, client_id=client_id)
    yield from changes.messages
    yield from changes.statuses
    for client_id in changes.clients_updated:
        yield ClientUpdated(owner_id=owner, client_id=client_id)


async def publish_changes(changes: Changes) -> None:
    """Publish a committed write's events (the ingest path's first after-commit hook).

    A failure is logged, not raised: the rows are committed, and the caller must not be told
    its data was lost. A bulk write publishes its newest events, as many as a stream keeps.
    """
    total = (
        len(changes.clients_added)
        + len(changes.messages)
        + len(changes.statuses)
        + len(changes.clients_updated)
    )
    skip = max(0, total - MAX_EVENTS_PER_WRITE)
    events = list(itertools.islice(change_events(changes), skip, None))
    if skip:
        log.info("bulk write: published the newest %d events of %d", len(events), total)
    try:
        await get_bus().publish(events)
    except Exception as exc:  # the write stands; report and go on
        log.warning("publishing %d event(s) failed: %s", len(events), exc)


def preview(text: str) -> str:
    """The start of a message text, as events carry it."""
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def event_json(event: Event) -> dict[str, Any]:
    """The event as a JSON-ready dict."""
    return event.model_dump(mode="json")
