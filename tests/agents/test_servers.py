"""The local `wallie serve` child gets every setting of the process that starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import StdioServerParameters
from pydantic_ai.toolsets import PrefixedToolset

from agents._spawn import child_env
from agents._stdio import ClientToolset
from agents.servers import config_servers
from tools.errors import ConfigError
from tools.settings import Settings

ENVIRON = {
    "WALLIE_SENTIMENT": "llm",
    "WALLIE_SENTIMENT_MODEL": "openai/gpt-4o-mini",
    "WALLIE_SOMETHING_NEW": "1",
    "LITELLM_URL": "http://127.0.0.1:4000",
    "OPENAI_API_KEY": "sk-test",
    "ANTHROPIC_API_KEY": "sk-ant-test",
    "DATABASE_URL": "sqlite:////tmp/x.db",
    "PATH": "/usr/bin",
    "HOME": "/home/ana",
    "OWNER": "someone-else@example.com",
    "GITHUB_TOKEN": "ghp_secret",
}


def test_the_child_gets_settings_and_provider_keys_only(tmp_path: Path) -> None:
    settings = Settings(WALLIE_HOME=tmp_path, WALLIE_SENTIMENT_MODEL="openai/gpt-4o-mini")
    env = child_env(settings, ENVIRON)
    assert env["WALLIE_SENTIMENT_MODEL"] == "openai/gpt-4o-mini"
    assert env["WALLIE_HOME"] == str(tmp_path)
    for name in ("WALLIE_SOMETHING_NEW", "LITELLM_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        assert env[name] == ENVIRON[name]
    assert env["PATH"] == "/usr/bin" and env["HOME"] == "/home/ana"
    assert "OWNER" not in env and "GITHUB_TOKEN" not in env


def test_the_child_reads_the_same_settings(tmp_path: Path) -> None:
    """A real child process, started with that environment, resolves the same settings."""
    settings = Settings(
        WALLIE_HOME=tmp_path, WALLIE_SENTIMENT_MODEL="openai/gpt-4o-mini", WALLIE_CACHE_TTL=7
    )
    env = child_env(settings, {"PATH": "/usr/bin"})
    code = "from tools.settings import Settings; print(Settings().model_dump_json(by_alias=True))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert Settings.model_validate_json(done.stdout) == settings


def test_config_servers_expand_variables_and_name_missing_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALLIE_TEST_BIN", "/opt/bin/server")
    monkeypatch.delenv("WALLIE_TEST_MISSING", raising=False)
    config = tmp_path / "servers.json"
    config.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "docs": {"command": "${WALLIE_TEST_BIN}", "args": ["${X:-stdio}"]},
                    "web": {"url": "http://127.0.0.1:9/mcp"},
                }
            }
        )
    )
    docs, web = config_servers(config)
    assert isinstance(docs, PrefixedToolset) and isinstance(web, PrefixedToolset)
    assert (docs.prefix, web.prefix) == ("docs", "web")
    assert isinstance(docs.wrapped, ClientToolset)
    params = docs.wrapped.server
    assert isinstance(params, StdioServerParameters)
    assert params.command == "/opt/bin/server"
    assert params.args == ["stdio"]
    config.write_text(json.dumps({"mcpServers": {"x": {"command": "${WALLIE_TEST_MISSING}"}}}))
    with pytest.raises(ConfigError) as raised:
        config_servers(config)
    assert str(raised.value) == (
        f"{config}: server 'x': environment variable WALLIE_TEST_MISSING is not set"
    )
