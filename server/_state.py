"""What every handler shares: settings, database, cache, metrics and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError
from prometheus_client import CollectorRegistry, Counter, Histogram

from tools.db import Database
from tools.errors import NotFound
from tools.owners import owner_id as lookup_owner
from tools.settings import Settings

if TYPE_CHECKING:
    from tools.cache import Cache


@dataclass
class ToolMetrics:
    """Calls, errors and time per tool in this process, in a registry of their own."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.calls = Counter(
            "wallie_tool_calls",
            "Tool calls served by this process.",
            ["tool"],
            registry=self.registry,
        )
        self.errors = Counter(
            "wallie_tool_errors",
            "Tool calls that returned an error.",
            ["tool"],
            registry=self.registry,
        )
        self.seconds = Histogram(
            "wallie_tool_seconds", "Time spent in tool calls.", ["tool"], registry=self.registry
        )

    def record(self, tool: str, seconds: float, ok: bool) -> None:
        """Count one call of `tool`."""
        self.calls.labels(tool).inc()
        self.seconds.labels(tool).observe(seconds)
        if not ok:
            self.errors.labels(tool).inc()


@dataclass
class ServerState:
    """What every handler needs: the database, the cache and who is asking."""

    settings: Settings
    db: Database | None = None
    cache: Cache | None = None
    owner_ids: dict[str, int] = field(default_factory=dict)
    metrics: ToolMetrics = field(default_factory=ToolMetrics)
    # Cache hits and misses per owner and tool in this process: what a key's caller may see.
    owner_counts: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def count(self, owner: str, tool: str, what: str) -> None:
        """Count a cache hit or miss of `owner`'s call to `tool`."""
        figures = self.owner_counts.setdefault(owner, {}).setdefault(tool, {})
        figures[what] = figures.get(what, 0) + 1

    def owner_email(self) -> str:
        """The owner this request acts for: the API key's owner over HTTP, else WALLIE_OWNER."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        if token is not None and token.subject:
            return token.subject
        return self.settings.owner

    def over_http_key(self) -> bool:
        """True when the request came with an API key (HTTP with auth)."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        return get_access_token() is not None

    async def owner_id(self) -> int:
        """The database id of the acting owner; reads never create one."""
        email = self.owner_email()
        if email not in self.owner_ids:
            try:
                self.owner_ids[email] = await lookup_owner(self.database, email)
            except NotFound:
                raise NotFound(
                    f"there is no data for {email} yet: run `wallie demo seed` or "
                    "`wallie import jsonl FILE` (or set WALLIE_OWNER)"
                ) from None
        return self.owner_ids[email]

    @property
    def database(self) -> Database:
        """The open database (inside the server's lifespan)."""
        if self.db is None:
            raise ToolError("the server is starting up; retry in a moment")
        return self.db
