"""Where the agent's tools come from: MCP servers only (stdio, HTTP, or a config file)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from pydantic_ai.mcp import MCPToolset, load_mcp_toolsets
from pydantic_ai.toolsets import AbstractToolset

from tools.errors import ConfigError

# Settings the local `wallie serve` subprocess must share with the CLI that starts it.
_PASS_ENV = (
    "DATABASE_URL",
    "WALLIE_HOME",
    "WALLIE_OWNER",
    "REDIS_URL",
    "WALLIE_CACHE_TTL",
    "WALLIE_RATE_LIMIT",
    "WALLIE_LOG_LEVEL",
    "WALLIE_SENTIMENT",
    "HOME",
    "PATH",
    "XDG_DATA_HOME",
)


def local_server(env: dict[str, str] | None = None) -> MCPToolset[Any]:
    """`wallie serve` started as a stdio subprocess with this process's settings."""
    from fastmcp.client.transports import StdioTransport

    child_env = {k: v for k, v in os.environ.items() if k in _PASS_ENV}
    child_env.update(env or {})
    transport = StdioTransport(
        command=sys.executable, args=["-m", "wallie", "serve"], env=child_env, keep_alive=False
    )
    # A cold start (imports, migrations check) can exceed pydantic-ai's 5 s default on a busy host.
    return MCPToolset(
        transport, id="wallie", tool_error_behavior="failed", init_timeout=30, read_timeout=60
    )


def remote_server(url: str, api_key: str | None = None) -> MCPToolset[Any]:
    """A Wallie (or any) MCP server over streamable HTTP."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    return MCPToolset(url, id="wallie", headers=headers, tool_error_behavior="failed")


def config_servers(path: Path) -> list[AbstractToolset[Any]]:
    """The servers of a Claude Desktop style `mcpServers` JSON file, tools prefixed by name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
        raise ConfigError(f'{path} has no "mcpServers" object (Claude Desktop format)')
    try:
        return list(load_mcp_toolsets(path))
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def toolsets(
    *, server_url: str | None = None, api_key: str | None = None, mcp_config: Path | None = None
) -> list[AbstractToolset[Any]]:
    """The toolsets for a run: Wallie (local or remote) plus any configured servers."""
    found: list[AbstractToolset[Any]] = [
        remote_server(server_url, api_key) if server_url else local_server()
    ]
    if mcp_config is not None:
        found.extend(config_servers(mcp_config))
    return found
