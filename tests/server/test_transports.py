"""`wallie serve` end to end: a stdio subprocess and streamable HTTP on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from tests.server.conftest import OWNER, Dataset

WALLIE = str(Path(sys.executable).with_name("wallie"))
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("search_clients", {"query": "jose garcia"}),
    ("search_messages", {"query": "precio"}),
    ("cache_stats", {}),
]


def _env(dataset: Dataset, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "WALLIE_OWNER"}}
    env.update(DATABASE_URL=dataset.url, WALLIE_OWNER=OWNER, WALLIE_HOME=str(home), **extra)
    return env


async def _exercise(client: Client) -> None:
    """List the tools and call each kind, checking real answers come back."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"search_clients", "get_client", "get_conversation_history", "search_messages"} <= names
    found = await client.call_tool(*CALLS[0])
    assert not found.is_error
    jose = found.structured_content["clients"][0]
    assert jose["name"] == "José García"
    for tool, args in [
        ("get_client", {"client_id": jose["id"]}),
        ("get_conversation_history", {"client_id": jose["id"], "limit": 3}),
        ("get_client_insights", {"client_id": jose["id"]}),
        ("analyze_sentiment", {"text": "Gracias, genial"}),
        *CALLS[1:],
    ]:
        result = await client.call_tool(tool, args)
        assert not result.is_error, (tool, result.content)
        assert result.structured_content is not None
    bad = await client.call_tool("get_client", {"client_id": 999999})
    assert bad.is_error and "no client with id 999999" in bad.content[0].text


@pytest.mark.anyio
async def test_stdio_subprocess(dataset: Dataset, home: Path) -> None:
    params = StdioServerParameters(command=WALLIE, args=["serve"], env=_env(dataset, home))
    async with Client(params) as client:
        await _exercise(client)


def test_stdio_startup_failure_is_one_clear_line_and_no_stdout(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nothing"}
    done = subprocess.run(
        [WALLIE, "serve"], env=env, input="", capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert done.stdout == ""  # stdout belongs to the protocol
    assert "cannot connect to" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture(params=["stateful", "stateless"])
def http_url(
    request: pytest.FixtureRequest, dataset: Dataset, home: Path, free_port: int
) -> Iterator[str]:
    """`wallie serve --transport http` (local, no keys) on a free port."""
    port = free_port
    args = [WALLIE, "serve", "--transport", "http", "--port", str(port), "--no-auth"]
    if request.param == "stateless":
        args.append("--stateless")
    proc = subprocess.Popen(
        args, env=_env(dataset, home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(url + "/healthz").status_code == 200:
                break
        except httpx2.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail(
                f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.anyio
async def test_streamable_http(http_url: str) -> None:
    async with Client(http_url + "/mcp") as client:
        await _exercise(client)
    ready = httpx2.get(http_url + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"database": "ok", "cache": "memory"}}
    metrics = httpx2.get(http_url + "/metrics").text
    assert 'wallie_tool_calls_total{tool="search_clients"}' in metrics
    assert 'wallie_cache_misses_total{tool="search_clients"}' in metrics
    assert "# TYPE wallie_tool_calls_total counter" in metrics


def test_a_malformed_setting_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "WALLIE_HOME": str(tmp_path), "WALLIE_SENTIMENT": "magic"}
    done = subprocess.run(
        [WALLIE, "serve"], env=env, input="", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "invalid setting: WALLIE_SENTIMENT: Input should be 'lexicon' or 'llm'" in done.stderr
    assert "Traceback" not in done.stderr
