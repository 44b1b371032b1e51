"""Where the agent's tools come from: MCP servers only (stdio, HTTP, or a config file)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcp import StdioServerParameters
from pydantic import SecretStr
from pydantic_ai.toolsets import AbstractToolset

from agents._stdio import StdioToolset
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


def local_server(settings: Settings, env: dict[str, str] | None = None) -> StdioToolset:
    """`wallie serve` started as a stdio subprocess with this process's settings."""
    child = child_env(settings)
    child.update(env or {})
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "wallie", "serve"], env=child
    )
    return StdioToolset(params, read_timeout=60)


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
            found.append(StdioToolset(params).prefixed(name))
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
) -> list[AbstractToolset[Any]]:
    """The toolsets for a run: Wallie (local or remote) plus any configured servers."""
    found: list[AbstractToolset[Any]] = [
        remote_server(server_url, api_key) if server_url else local_server(settings)
    ]
    if mcp_config is not None:
        found.extend(config_servers(mcp_config))
    return found
