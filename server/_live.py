"""Live data on the server: MCP resource subscriptions across replicas and the inbox resource.

`OwnerSubscriptionBus` is the SDK's `SubscriptionBus` seam: each `subscriptions/listen`
stream is registered under the owner it was opened for, and one fan-out task per process
turns the owner-scoped events of `tools.events` (Redis Streams, so every replica sees every
write) into `notifications/resources/updated` for that owner's streams only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from mcp.server.subscriptions import ResourceUpdated, ServerEvent

from tools import events as ev
from tools.inbox import latest_messages
from tools.models import owner_table

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from server._state import ServerState

log = logging.getLogger("wallie.live")

Listener = Callable[[ServerEvent], None]


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
