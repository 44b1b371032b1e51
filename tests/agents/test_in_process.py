"""Wallie's server in the agent's own process, reached through an in-memory MCP session.

The same questions get the same tool calls and the same cited answers whether the server
runs in-process or as a `wallie serve` child over stdio, and whether the retrieval planner
is driven by its own loop or by the pydantic-ai agent; retrieval-only `wallie ask` loads
no LLM stack at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agents.events import EVENT, Event
from agents.retrieval import RetrievalModel
from agents.runtime import AskOptions, ask
from server.app import build_server
from tests.conftest import HttpServer
from tools.apikeys import create_key
from tools.db import Database
from tools.settings import DEMO_OWNER, get_settings
from wallie.cli import app

WALLIE = str(Path(sys.executable).with_name("wallie"))
QUESTIONS = [
    "¿Cómo va la negociación con Ana García?",
    "How is Ana García feeling about us?",
    "¿Qué clientes se quejaron del precio este mes y cómo terminó cada caso?",
    "¿Cuántos clientes tienen riesgo de abandono?",
]


async def _run(question: str, options: AskOptions) -> list[Event]:
    return [e async for e in ask(question, options)]


def _outcome(events: list[Event]) -> dict[str, Any]:
    """What a run did and answered: its tool calls, their outcomes, the answer, its sources."""
    final = events[-1]
    assert final.type == "final", final
    return {
        "calls": [(e.tool, e.args) for e in events if e.type == "tool_call"],
        # Concurrent calls of one turn finish in any order.
        "results": sorted((e.tool, e.ok, e.summary) for e in events if e.type == "tool_result"),
        "text": "".join(e.delta for e in events if e.type == "text"),
        "answer": final.answer,
        "sources": [s.model_dump() for s in final.sources],
        "tool_calls": final.usage.tool_calls,
        "requests": final.usage.requests,
    }


@pytest.mark.anyio
@pytest.mark.parametrize("question", QUESTIONS)
async def test_in_process_and_stdio_give_the_same_cited_answer(
    demo_env: Path, question: str
) -> None:
    in_process = _outcome(await _run(question, AskOptions(server=build_server(get_settings()))))
    stdio = _outcome(await _run(question, AskOptions()))
    assert in_process == stdio
    assert in_process["sources"] and in_process["calls"]


@pytest.mark.anyio
@pytest.mark.parametrize("question", QUESTIONS)
async def test_the_planner_loop_answers_as_the_agent_loop_does(
    demo_env: Path, question: str
) -> None:
    server = build_server(get_settings())
    direct = _outcome(await _run(question, AskOptions(server=server)))
    # A model object takes the pydantic-ai agent path, with the same planner inside.
    agent = _outcome(await _run(question, AskOptions(model=RetrievalModel(), server=server)))
    assert direct == agent


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [WALLIE, "ask", "--json", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_cli_answers_alike_in_process_and_over_stdio(demo_env: Path) -> None:
    question = "¿Cómo va la negociación con Ana García?"
    runs = {mode: _cli(*flags, question) for mode, flags in (("in", ()), ("stdio", ("--stdio",)))}
    for done in runs.values():
        assert done.returncode == 0, done.stderr
    events = {
        mode: [EVENT.validate_json(line) for line in done.stdout.splitlines()]
        for mode, done in runs.items()
    }
    assert events["in"] == events["stdio"]
    assert events["in"][-1].type == "final" and events["in"][-1].sources


def test_retrieval_only_ask_loads_no_llm_stack(demo_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    code = (
        "import json, sys\n"
        "from wallie.cli import app\n"
        "try:\n"
        "    app(['ask', '--json', '¿Cómo va la negociación con Ana García?'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "heavy = ('pydantic_ai', 'litellm', 'fastmcp', 'openai', 'alembic')\n"
        "print(json.dumps({'loaded': [m for m in heavy if m in sys.modules]}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[-1]) == {"loaded": []}
    final = EVENT.validate_json(lines[-2])
    assert final.type == "final" and final.model == "retrieval-only (no LLM)" and final.sources


@pytest.mark.anyio
async def test_retrieval_only_over_http_with_an_api_key(
    demo_env: Path, http_server: HttpServer
) -> None:
    db = Database.from_url(f"sqlite:///{demo_env / 'wallie.db'}")
    try:
        key, _ = await create_key(db, DEMO_OWNER, name="ask over http")
    finally:
        await db.dispose()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    url = http_server(env=env) + "/mcp"
    question = QUESTIONS[0]
    remote = await _run(question, AskOptions(server_url=url, api_key=key))
    local = await _run(question, AskOptions(server=build_server(get_settings())))
    assert _outcome(remote) == _outcome(local)
    refused = await _run(question, AskOptions(server_url=url, api_key="wal_not_a_key"))
    assert refused[-1].type == "error", refused[-1]
    assert refused[-1].message == (
        f"{url} refused the request (HTTP 401): "
        "pass a valid API key with --api-key or WALLIE_API_KEY"
    )


@pytest.mark.anyio
async def test_the_planner_loop_keeps_the_run_limits(demo_env: Path) -> None:
    server = build_server(get_settings())
    question = QUESTIONS[0]
    capped = await _run(question, AskOptions(server=server, max_steps=2))
    assert capped[-1].type == "error"
    assert capped[-1].message.startswith("stopped at the step cap (the next request would")
    assert "raise --max-steps" in capped[-1].message
    # The first turn found the client: it is among the partial findings.
    assert capped[-1].partial and "[client:" in capped[-1].partial[0].ref
    few = await _run(question, AskOptions(server=server, max_tool_calls=2))
    assert few[-1].type == "error" and "tool_calls_limit of 2" in few[-1].message
    assert sum(e.type == "tool_call" for e in few) == 1


def test_stdio_and_a_server_url_exclude_each_other() -> None:
    done = CliRunner().invoke(app, ["ask", "--stdio", "--server-url", "http://x/mcp", "hola"])
    assert done.exit_code == 2
    assert "--stdio and --server-url exclude each other" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
