"""`wallie events tail`: an owner's change events as they happen."""

from __future__ import annotations

import asyncio
import os
import re

import typer
from rich.markup import escape

from tools import events as ev
from tools.context import open_database
from tools.errors import ConfigError, InvalidArgument
from tools.owners import owner_id as lookup_owner
from tools.settings import get_settings
from wallie._console import out, print_json

app = typer.Typer(
    help="Watch change events (new messages, statuses, clients).", no_args_is_help=True
)

_EVENT_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")


def _show(event: ev.Event, as_json: bool) -> None:
    if as_json:
        print_json(ev.event_json(event))
        return
    when = event.at.strftime("%H:%M:%S")
    if isinstance(event, ev.MessageCreated):
        line = (
            f"{when} {event.type} msg:{event.message_id} conversation:{event.conversation_id} "
            f"client:{event.client_id} {event.direction} {event.channel} "
            f"“{escape(event.preview[:120])}”"
        )
    elif isinstance(event, ev.MessageStatus):
        line = f"{when} {event.type} msg:{event.message_id} {event.status}"
    else:
        line = f"{when} {event.type} client:{event.client_id}"
    out.print(line, highlight=False)


@app.command()
def tail(
    owner: str | None = typer.Option(None, "--owner", help="Whose events (default WALLIE_OWNER)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
    after: str | None = typer.Option(
        None, "--after", help="Resume after this event id (0-0: from the oldest kept)."
    ),
    count: int = typer.Option(0, "--count", min=0, help="Stop after this many events (0: never)."),
    server_url: str | None = typer.Option(
        None,
        "--server-url",
        help="Read a server's /api/events (key in WALLIE_API_KEY) instead of Redis.",
    ),
) -> None:
    """Print the owner's events as they happen (Ctrl-C to stop)."""
    if after is not None and not _EVENT_ID.match(after):
        raise InvalidArgument(
            f"--after must be an event id like 1732600000000-0, got {after[:40]!r}"
        )
    if server_url:
        asyncio.run(_tail_server(server_url, after, count, as_json))
        return
    settings = get_settings()
    if not settings.redis_url:
        raise ConfigError(
            "events live in the server process without Redis: set REDIS_URL, or use "
            "--server-url http://HOST:PORT with WALLIE_API_KEY"
        )

    async def run() -> None:
        db = await open_database(settings)
        try:
            oid = await lookup_owner(db, owner or settings.owner)
        finally:
            await db.dispose()
        bus = ev.get_bus(settings)
        position = after or await bus.last_id(oid)
        seen = 0
        try:
            while True:
                for event in await bus.read(oid, position, wait=5.0):
                    position = event.id or position
                    _show(event, as_json)
                    seen += 1
                    if count and seen >= count:
                        return
        finally:
            await bus.aclose()

    asyncio.run(run())


async def _tail_server(url: str, after: str | None, count: int, as_json: bool) -> None:
    """Follow a server's SSE stream, resuming after a dropped connection."""
    import httpx

    key = os.environ.get("WALLIE_API_KEY", "")
    seen = 0
    last = after
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None)) as client:
        while True:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            if last:
                headers["Last-Event-ID"] = last
            try:
                async with client.stream(
                    "GET", url.rstrip("/") + "/api/events", headers=headers
                ) as response:
                    if response.status_code != 200:
                        body = (await response.aread()).decode(errors="replace")[:200]
                        raise ConfigError(f"{url}: HTTP {response.status_code}: {body}")
                    async for line in response.aiter_lines():
                        if line.startswith("id:"):
                            last = line[3:].strip()
                        elif line.startswith("data:"):
                            _show(ev.parse_event(line[5:].strip()), as_json)
                            seen += 1
                            if count and seen >= count:
                                return
            except httpx.TransportError:
                await asyncio.sleep(1.0)  # the server restarted: resume from `last`
