"""Where the agent's tools come from: MCP servers only (stdio, HTTP, or a config file)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_ai.mcp import MCPToolset, load_mcp_toolsets
from pydantic_ai.toolsets import AbstractToolset

from tools.errors import ConfigError
from tools.settings import Settings

# Outside Wallie's own settings, what a `wallie serve` child needs from this environment.
_SYSTEM = ("PATH", "HOME", "XDG_DATA_HOME", "LANG", "LC_ALL", "TZ", "SSL_CERT_FILE", "TMPDIR")
_PREFIXES = ("WALLIE_", "LITELLM_")
# LiteLLM providers read their credentials and endpoints from variables named like these.
_PROVIDER_SUFFIXES = ("_API_KEY", "_API_BASE", "_API_VERSION", "_BASE_URL")


def child_env(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `wallie serve` child: every setting of `settings`, provider keys."""
    environ = os.environ if environ is None else environ
    names = {f.alias for f in Settings.model_fields.values() if f.alias}
    env = {
        k: v
        for k, v in environ.items()
        if k in names or k in _SYSTEM or k.startswith(_PREFIXES) or k.endswith(_PROVIDER_SUFFIXES)
    }
    # The settings as this process resolved them win (defaults included, e.g. the data home).
    for name, value in settings.model_dump(by_alias=True).items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None:
            continue
        env[name] = str(value) if isinstance(value, str | Path | int | float) else json.dumps(value)
    return env


def local_server(settings: Settings, env: dict[str, str] | None = None) -> MCPToolset[Any]:
    """`wallie serve` started as a stdio subprocess with this process's settings."""
    from fastmcp.client.transports import StdioTransport

    child = child_env(settings)
    child.update(env or {})
    transport = StdioTransport(
        command=sys.executable, args=["-m", "wallie", "serve"], env=child, keep_alive=False
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
    settings: Settings,
    *,
    server_url: str | None = None,
    api_key: str | None = None,
    mcp_config: Path | None = None,
) -> list[AbstractToolset[Any]]:
    """The toolsets for a run: Wallie (local or remote) plus any configured servers."""
    found: list[AbstractToolset[Any]] = [
        remote_server(server_url, api_key) if server_url else local_server(settings)
    ]
    if mcp_config is not None:
        found.extend(config_servers(mcp_config))
    return found
