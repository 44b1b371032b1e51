"""The agent over HTTP for web and mobile apps, consumed by the real clients from npm:
the Vercel AI SDK's UI message stream reader (`useChat`'s) and the AG-UI client."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from bench.harness import free_port as _free_port
from tests.conftest import IN_CI
from tools.apikeys import create_key
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import ingest
from tools.owners import ensure_owner
from tools.runs import list_runs
from tools.settings import Settings
from wallie._web import build_http_app

pytestmark = pytest.mark.anyio
JS = Path(__file__).resolve().parents[1] / "js"
OWNER = "ventas@example.es"
QUESTION = "¿Cómo va Ana García?"


@dataclass
class Live:
    """A running `wallie serve --transport http` app and a key for it."""

    base: str
    key: str
    db: Database


@pytest.fixture
async def seeded(database_url: str) -> AsyncIterator[tuple[str, Database, str]]:
    """Demo data for one owner, and an API key acting as that owner."""
    db = Database.from_url(database_url)
    await db.upgrade()
    owner = await ensure_owner(db, OWNER)
    await ingest(db, owner, generate(DemoSpec(clients=12)))
    key, _ = await create_key(db, OWNER, "web test")
    yield database_url, db, key
    await db.dispose()


async def _serve(url: str, model: Any = None) -> AsyncIterator[str]:
    port = _free_port()
    settings = Settings(DATABASE_URL=url, REDIS_URL=None, WALLIE_OWNER="nobody@example.es")
    app = build_http_app(settings, host="127.0.0.1", port=port, model=model)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(600):  # uvicorn offers no started event to await
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live(seeded: tuple[str, Database, str]) -> AsyncIterator[Live]:
    """The HTTP app with no LLM configured: the retrieval-only model answers."""
    url, db, key = seeded
    async for base in _serve(url):
        yield Live(base, key, db)


def _ensure_js_clients() -> None:
    """Install the npm clients on first use; without npm: fail under CI, skip elsewhere."""
    if (JS / "node_modules").is_dir():
        return
    if shutil.which("npm") is None or shutil.which("node") is None:
        message = "Node.js and npm are needed for the web client tests"
        if IN_CI:
            pytest.fail(message + " (CI=true: .ci/run installs them)")
        pytest.skip(message + " (set CI=true to make this a failure)")
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"npm ci in tests/js failed: {done.stderr[-2000:]}"


async def node(script: str, *args: str) -> dict[str, Any]:
    """Run a client script from tests/js and parse its one JSON line."""
    _ensure_js_clients()
    proc = await asyncio.create_subprocess_exec(
        "node", script, *args, cwd=JS, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_use_chat_stream_reader_gets_tools_text_sources_and_usage(live: Live) -> None:
    result = await node("vercel_chat.mjs", f"{live.base}/api/chat", live.key, QUESTION)
    message, chunks = result["message"], result["chunks"]
    assert message["role"] == "assistant"
    tools = [p for p in message["parts"] if p["type"].startswith("tool-")]
    assert tools and all(p["state"] == "output-available" for p in tools)
    assert tools[0]["type"] == "tool-search_clients"
    text = "".join(p["text"] for p in message["parts"] if p["type"] == "text")
    assert "Ana García" in text and "[client:" in text
    sources = [p for p in message["parts"] if p["type"] == "source-document"]
    assert sources and all(s["sourceId"] in text for s in sources)
    assert message["metadata"]["usage"]["tool_calls"] == len(tools)
    assert (
        chunks.index("tool-input-available") < chunks.index("text-delta") < chunks.index("finish")
    )
    runs = await list_runs(live.db, OWNER)
    assert runs[0].kind == "web:chat" and runs[0].question == QUESTION
    assert [c.tool for c in runs[0].tool_calls] == [p["type"][5:] for p in tools]
    assert runs[0].error is None and runs[0].sources


async def test_agui_client_gets_tool_calls_text_sources_and_usage(live: Live) -> None:
    result = await node("agui_run.mjs", f"{live.base}/api/agui", live.key, QUESTION)
    events = result["events"]
    assert events[0] == "RUN_STARTED" and events[-1] == "RUN_FINISHED"
    assert "TOOL_CALL_RESULT" in events and "TEXT_MESSAGE_CONTENT" in events
    assert events.index("TOOL_CALL_START") < events.index("TEXT_MESSAGE_CONTENT")
    assert result["custom"]["sources"] and result["custom"]["usage"]["requests"] >= 1
    answer = [m for m in result["messages"] if m["role"] == "assistant" and m.get("content")]
    assert "[client:" in answer[-1]["content"]
    assert (await list_runs(live.db, OWNER))[0].kind == "web:agui"


async def test_keys_are_required_and_bad_bodies_are_clear(live: Live) -> None:
    body = {"trigger": "submit-message", "id": "c", "messages": []}
    async with httpx.AsyncClient(base_url=live.base) as http:
        none = await http.post("/api/chat", json=body)
        wrong = await http.post(
            "/api/agui", json=body, headers={"Authorization": "Bearer wal_nottherightkey0000"}
        )
        bad = await http.post(
            "/api/chat", content=b"{not json", headers={"Authorization": f"Bearer {live.key}"}
        )
    assert none.status_code == 401 and "API key" in none.json()["error"]
    assert wrong.status_code == 401
    assert bad.status_code in (415, 422) and "error" in bad.text.lower()
    assert await list_runs(live.db, OWNER) == []


async def test_a_client_that_disconnects_stops_the_run(
    seeded: tuple[str, Database, str],
) -> None:
    url, db, key = seeded
    produced: list[int] = []

    async def slow(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        if len(messages) == 1:  # first step: one real tool call through MCP
            yield {
                0: DeltaToolCall(
                    name="search_clients", json_args=json.dumps({"query": "Ana"}), tool_call_id="c1"
                )
            }
            return
        for i in range(100):
            produced.append(i)
            yield f"palabra {i} "
            await asyncio.sleep(0.05)

    model = FunctionModel(stream_function=slow)
    async for base in _serve(url, model=model):
        body = {
            "trigger": "submit-message",
            "id": "c",
            "messages": [{"id": "m", "role": "user", "parts": [{"type": "text", "text": "hola"}]}],
        }
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as http,
            http.stream(
                "POST", "/api/chat", json=body, headers={"Authorization": f"Bearer {key}"}
            ) as response,
        ):
            async for line in response.aiter_lines():
                if '"text-delta"' in line:
                    break  # the user closes the tab
        await asyncio.sleep(1.0)
        stopped_at = len(produced)
        await asyncio.sleep(0.5)
        assert len(produced) == stopped_at < 100  # nothing more is produced
        for _ in range(50):
            runs = await list_runs(db, OWNER)
            if runs:
                break
            await asyncio.sleep(0.1)
        assert runs[0].error == "client disconnected"
        assert runs[0].tool_calls[0].tool == "search_clients" and runs[0].tool_calls[0].ok
