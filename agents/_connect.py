"""How a run reaches Wallie's MCP server: in-process, a `wallie serve` child, or HTTP.

Only the MCP SDK is imported here (no pydantic-ai), so the retrieval-only loop can use it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.client._transport import TransportStreams

from agents._spawn import child_env
from tools.errors import ConfigError
from tools.settings import Settings

READ_TIMEOUT = 60.0  # seconds a tool call may take


def serve_params(settings: Settings, env: dict[str, str] | None = None) -> StdioServerParameters:
    """`wallie serve` on stdio, with this process's settings (and `env` on top)."""
    child = child_env(settings)
    child.update(env or {})
    return StdioServerParameters(command=sys.executable, args=["-m", "wallie", "serve"], env=child)


@asynccontextmanager
async def http_transport(
    url: str, headers: dict[str, str] | None
) -> AsyncIterator[TransportStreams]:
    """Streamable HTTP to `url`, sending `headers` (e.g. a bearer API key) on every request."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    timeout = httpx2.Timeout(30, read=300)  # a server may hold a response stream open

    async def refused(response: httpx2.Response) -> None:
        # The SDK reports a refusal as a bare "error response": say which, and what to do.
        if response.status_code in (401, 403):
            raise ConfigError(
                f"{url} refused the request (HTTP {response.status_code}): "
                "pass a valid API key with --api-key or WALLIE_API_KEY"
            )

    hooks = {"response": [refused]}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout, event_hooks=hooks) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


def wallie_client(
    settings: Settings,
    *,
    server: Any = None,
    server_url: str | None = None,
    api_key: str | None = None,
    process: subprocess.Popen[bytes] | None = None,
) -> Client:
    """An MCP client of Wallie: `server_url` over HTTP, else `server` (an in-process
    `MCPServer` the caller built), else the `process` child (started early), else a new
    `wallie serve` child over stdio."""
    target: Any
    if server_url:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        target = http_transport(server_url, headers)
    elif server is not None:
        target = server
    elif process is not None:
        from agents._pipe import pipe_transport

        target = pipe_transport(process)
    else:
        target = serve_params(settings)
    return Client(target, read_timeout_seconds=READ_TIMEOUT)
