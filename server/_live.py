"""Live data on the server: MCP resource subscriptions across replicas and the inbox resource.

`OwnerSubscriptionBus` is the SDK's `SubscriptionBus` seam: each `subscriptions/listen`
stream is registered under the owner it was opened for, and one fan-out task per process
turns the owner-scoped events of `tools.events` (Redis Streams, so every replica sees every
write) into `notifications/resources/updated` for that owner's streams only.

Hosts on the handshake-era protocols (2025-06-18 and earlier) have no listen streams: they
send `resources/subscribe` / `resources/unsubscribe` and expect the notifications on their
session. `LegacySubscriptions` serves those requests from the same owner-scoped bus, one
bus listener per connection, removed when the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from mcp.server.subscriptions import ResourceUpdated, ServerEvent
from mcp_types import (
    EmptyResult,
    ResourceUpdatedNotification,
    ResourceUpdatedNotificationParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)

from tools import events as ev
from tools.inbox import latest_messages
from tools.models import owner_table

if TYPE_CHECKING:
    from mcp.server.connection import Connection
    from mcp.server.context import ServerRequestContext
    from mcp.server.mcpserver import MCPServer

    from server._state import ServerState

log = logging.getLogger("wallie.live")

Listener = Callable[[ServerEvent], None]

# Updates waiting for one slow legacy session before newer ones are dropped (the host
# rereads the resource anyway; an update says only "changed").
_MAX_PENDING = 1024


class OwnerSubscriptionBus:
    """A `SubscriptionBus` whose listeners hear only their own owner's changes."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._listeners: dict[str, dict[object, Listener]] = {}
        self._emails: dict[int, str] = {}
        self._task: asyncio.Task[None] | None = None

    async def publish(self, event: ServerEvent) -> None:
        """Deliver a server-side notification to the acting owner's listeners."""
        self._deliver(self._state.owner_email(), event)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Register a listen stream for the owner of the current request."""
        owner = self._state.owner_email()
        token = object()
        self._listeners.setdefault(owner, {})[token] = listener
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._fan_out())

        def unsubscribe() -> None:
            mine = self._listeners.get(owner, {})
            mine.pop(token, None)
            if not mine:
                self._listeners.pop(owner, None)
            if not self._listeners and self._task is not None:
                # Nobody listens in this process: stop reading the shared stream.
                self._task.cancel()
                self._task = None

        return unsubscribe

    def _deliver(self, owner: str, event: ServerEvent) -> None:
        for listener in list(self._listeners.get(owner, {}).values()):
            try:
                listener(event)
            except Exception:  # one broken stream must not starve the others
                log.exception("subscription listener raised")

    async def owner_email(self, owner_id: int) -> str | None:
        """The email of owner `owner_id` (remembered; owners are never renamed)."""
        if owner_id not in self._emails:
            async with self._state.database.connect() as conn:
                email = await conn.scalar(
                    sa.select(owner_table.c.email).where(owner_table.c.id == owner_id)
                )
            if email is None:
                return None
            self._emails[owner_id] = email
        return self._emails[owner_id]

    async def _fan_out(self) -> None:
        bus = ev.get_bus(self._state.settings)
        async for event in bus.all_events():
            try:
                owner = await self.owner_email(event.owner_id)
            except Exception as exc:  # database hiccup: skip this event, keep serving
                log.warning("subscription fan-out: %s", exc)
                continue
            if owner is None or owner not in self._listeners:
                continue
            for uri in ev.resource_uris(event):
                self._deliver(owner, ResourceUpdated(uri=uri))

    async def aclose(self) -> None:
        """Stop the fan-out task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


class _LegacySession:
    """One handshake-era connection's subscribed URIs and its notification sender."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.uris: set[str] = set()
        self.pending: asyncio.Queue[str] = asyncio.Queue(_MAX_PENDING)
        self.sender: asyncio.Task[None] | None = None
        self.unsubscribe: Callable[[], None] | None = None

    def hear(self, event: ServerEvent) -> None:
        """Queue an update for a URI this connection subscribed to."""
        if not isinstance(event, ResourceUpdated) or event.uri not in self.uris:
            return
        try:
            self.pending.put_nowait(event.uri)
        except asyncio.QueueFull:
            log.warning("legacy subscriber %s is not reading; update dropped", self.connection)

    async def send(self) -> None:
        """Send queued updates on the connection's standalone channel, in order."""
        while True:
            uri = await self.pending.get()
            if uri not in self.uris:  # unsubscribed while it waited
                continue
            note = ResourceUpdatedNotification(params=ResourceUpdatedNotificationParams(uri=uri))
            data = note.model_dump(by_alias=True, mode="json", exclude_none=True)
            try:
                await self.connection.outbound.notify(data["method"], data.get("params"))
            except Exception as exc:  # a gone client must not stop the fan-out
                log.info("legacy subscriber unreachable, dropping its subscriptions: %s", exc)
                self.close()
                return

    def close(self) -> None:
        """Leave the bus and stop sending."""
        self.uris.clear()
        if self.unsubscribe is not None:
            self.unsubscribe()
            self.unsubscribe = None
        if self.sender is not None and self.sender is not asyncio.current_task():
            self.sender.cancel()
        self.sender = None


class LegacySubscriptions:
    """`resources/subscribe` and `resources/unsubscribe` for handshake-era sessions."""

    _STATE_KEY = "wallie.legacy_subscriptions"

    def __init__(self, bus: OwnerSubscriptionBus) -> None:
        self._bus = bus

    @staticmethod
    def _connection(ctx: ServerRequestContext[Any, Any]) -> Connection:
        # The SDK hands handlers a per-request session; the subscription belongs to the
        # connection it proxies (its `state` and `exit_stack` live as long as the host).
        connection: Connection = ctx.session._connection
        return connection

    async def subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams
    ) -> EmptyResult:
        """Start sending `notifications/resources/updated` for `params.uri` to this session."""
        connection = self._connection(ctx)
        session: _LegacySession | None = connection.state.get(self._STATE_KEY)
        if session is None or session.unsubscribe is None:
            session = _LegacySession(connection)
            # Registered under the owner of this request (the API key's over HTTP).
            session.unsubscribe = self._bus.subscribe(session.hear)
            session.sender = asyncio.get_running_loop().create_task(session.send())
            connection.state[self._STATE_KEY] = session
            connection.exit_stack.callback(session.close)
        session.uris.add(str(params.uri))
        return EmptyResult()

    async def unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        """Stop sending updates for `params.uri` to this session (unknown URIs are fine)."""
        session: _LegacySession | None = self._connection(ctx).state.get(self._STATE_KEY)
        if session is not None:
            session.uris.discard(str(params.uri))
            if not session.uris:
                session.close()
        return EmptyResult()


def serve_legacy_subscriptions(app: MCPServer[Any], bus: OwnerSubscriptionBus) -> None:
    """Answer `resources/subscribe` / `resources/unsubscribe` from `bus`.

    With these handlers the SDK declares `resources.subscribe: true` to handshake-era
    hosts too (2026-07-28 hosts keep `subscriptions/listen`).
    """
    legacy = LegacySubscriptions(bus)
    # MCPServer has no decorator for these methods; its low-level server has the seam.
    lowlevel = app._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, legacy.subscribe)
    lowlevel.add_request_handler(
        "resources/unsubscribe", UnsubscribeRequestParams, legacy.unsubscribe
    )


def register(app: MCPServer[Any], state: ServerState) -> None:
    """The `wallie://inbox` resource: the owner's latest messages across conversations."""

    @app.resource(
        "wallie://inbox",
        name="inbox",
        title="Inbox",
        description="The latest 50 messages across every conversation, newest first, as "
        "JSON. Subscribe to it to hear about every new message and delivery status.",
        mime_type="application/json",
    )
    async def inbox_resource() -> str:
        """The owner's latest messages across conversations."""
        inbox = await latest_messages(state.database, await state.owner_id())
        return inbox.model_dump_json(indent=2)


@contextlib.asynccontextmanager
async def live_running(state: ServerState, bus: OwnerSubscriptionBus) -> AsyncIterator[None]:
    """While the server runs; afterwards its subscription fan-out stops."""
    try:
        yield
    finally:
        await bus.aclose()
