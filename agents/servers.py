"""Where the agent's tools come from: MCP servers only (stdio, HTTP, or a config file)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters
from pydantic_ai.toolsets import AbstractToolset

from agents._connect import READ_TIMEOUT, serve_params
from agents._stdio import ClientToolset
from tools.errors import ConfigError
from tools.settings import Settings


def local_server(
    settings: Settings,
    env: dict[str, str] | None = None,
    process: subprocess.Popen[bytes] | None = None,
    server: Any = None,
) -> ClientToolset:
    """Wallie's tools: `server` (an in-process `MCPServer`) when given, else `wallie serve` as
    a stdio subprocess with this process's settings (or `process`, started already)."""
    if server is not None:
        return ClientToolset(server, read_timeout=READ_TIMEOUT)
    return ClientToolset(serve_params(settings, env), read_timeout=READ_TIMEOUT, process=process)


def remote_server(
    url: str, api_key: str | None = None, headers: dict[str, str] | None = None, id: str = "wallie"
) -> AbstractToolset[Any]:
    """A Wallie (or any) MCP server over streamable HTTP."""
    from pydantic_ai.mcp import MCPToolset

    headers = {**(headers or {}), **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
    return MCPToolset(url, headers=headers or None, tool_error_behavior="failed", init_timeout=30)


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
    found: list[AbstractToolset[Any]] = []
    for name, entry in data["mcpServers"].items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: server {name!r} is not an object")
        entry = _expand(entry, f"{path}: server {name!r}")
        if "command" in entry:
            params = StdioServerParameters(
                command=entry["command"],
                args=list(entry.get("args") or []),
                env=entry.get("env"),  # on top of the SDK's safe defaults (PATH, HOME...)
                cwd=entry.get("cwd"),
            )
            found.append(ClientToolset(params).prefixed(name))
        elif "url" in entry:
            found.append(
                remote_server(entry["url"], headers=entry.get("headers"), id=name).prefixed(name)
            )
        else:
            raise ConfigError(f"{path}: server {name!r} has neither `command` nor `url`")
    return found


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: Any, where: str) -> Any:
    """`value` with `${VAR}` and `${VAR:-default}` replaced from the environment."""
    if isinstance(value, dict):
        return {k: _expand(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    if not isinstance(value, str):
        return value

    def variable(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return default

    return _VARIABLE.sub(variable, value)


def toolsets(
    settings: Settings,
    *,
    server_url: str | None = None,
    api_key: str | None = None,
    mcp_config: Path | None = None,
    local_process: subprocess.Popen[bytes] | None = None,
    server: Any = None,
) -> list[AbstractToolset[Any]]:
    """The toolsets for a run: Wallie (remote, in-process or stdio) plus configured servers."""
    found: list[AbstractToolset[Any]] = [
        remote_server(server_url, api_key)
        if server_url
        else local_server(settings, process=local_process, server=server)
    ]
    if mcp_config is not None:
        found.extend(config_servers(mcp_config))
    return found
