"""With no LLM configured, the agent still answers: real tool calls, cited extracts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.models.function import AgentInfo, FunctionModel
from typer.testing import CliRunner

from agents.events import EVENT, Error, Event
from agents.retrieval import plan_question
from agents.runtime import AskOptions, ask
from wallie.cli import app

WALLIE = str(Path(sys.executable).with_name("wallie"))
CONFIG = Path(__file__).resolve().parents[2] / "claude_desktop_config.json"


async def _answer(question: str, **options: Any) -> list[Event]:
    return [e async for e in ask(question, AskOptions(**options))]


def _assert_cited(final: dict[str, Any], tool_results: int) -> None:
    assert final.type == "final", final
    assert final.model == "retrieval-only (no LLM)"
    cited = set(re.findall(r"\[(?:msg|client):\d+\]", final.answer))
    assert cited, "the answer cites nothing"
    # Every citation was checked against what the tools returned in this run.
    assert cited == {s.ref for s in final.sources}
    assert tool_results >= 2


@pytest.mark.anyio
async def test_a_negotiation_with_a_named_client(demo_env: Path) -> None:
    events = await _answer("¿Cómo va la negociación con Ana García?")
    tools = [e.tool for e in events if e.type == "tool_call"]
    assert tools[0] == "search_clients"
    assert {"get_client", "get_conversation_history"} <= set(tools)
    final = events[-1]
    _assert_cited(final, sum(e.type == "tool_result" for e in events))
    assert "no se ha usado ningún LLM" in final.answer
    assert "Ana García" in final.answer
    assert any(s.label == "Ana García" for s in final.sources)


@pytest.mark.anyio
async def test_price_complaints_this_month_with_outcomes(demo_env: Path) -> None:
    events = await _answer(
        "¿Qué clientes se quejaron del precio este mes y cómo terminó cada caso?"
    )
    search = next(e for e in events if e.type == "tool_call" and e.tool == "search_messages")
    assert "precio" in search.args["query"]
    assert search.args["since"].endswith("-01")  # "este mes"
    assert any(e.type == "tool_call" and e.tool == "get_client" for e in events)
    final = events[-1]
    _assert_cited(final, sum(e.type == "tool_result" for e in events))
    assert "resultado:" in final.answer


@pytest.mark.anyio
async def test_an_english_question_about_mood(demo_env: Path) -> None:
    events = await _answer("How is Ana García feeling about us?")
    tools = [e.tool for e in events if e.type == "tool_call"]
    # A mood question about a named client: find, read, then score the open conversation.
    assert tools == [
        "search_clients",
        "get_client_insights",
        "get_client",
        "get_conversation_history",
        "analyze_sentiment",
    ]
    final = events[-1]
    _assert_cited(final, sum(e.type == "tool_result" for e in events))
    assert "no LLM was used" in final.answer
    assert "mood" in final.answer.lower()


@pytest.mark.anyio
async def test_an_unknown_name_is_said_plainly(demo_env: Path) -> None:
    events = await _answer("¿Qué tal va Zacarías Quintanilla?")
    assert events[-1].type == "final"
    assert "Zacarías Quintanilla" in events[-1].answer


def test_question_planning() -> None:
    plan = plan_question("¿Qué clientes se quejaron del precio este mes?")
    assert plan.names == [] and "precio" in plan.terms and plan.complaint
    assert plan.since is not None and plan.since.endswith("-01")
    plan = plan_question("How is Ana García feeling?")
    assert plan.names == ["Ana García"] and plan.mood and plan.language == "en"


def test_ask_json_cli_end_to_end(demo_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    done = subprocess.run(
        [WALLIE, "ask", "--json", "¿Cómo va la negociación con Ana García?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    events = [EVENT.validate_json(line) for line in lines]
    # Each line is exactly the event's serialisation.
    assert [e.to_json() for e in events] == lines
    kinds = [e.type for e in events]
    assert kinds[0] == "notice" and kinds[-1] == "final"
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("text")
    assert events[-1].sources
    assert "Traceback" not in done.stderr


def test_ask_reports_errors_as_json_and_exit_2(demo_env: Path, tmp_path: Path) -> None:
    config = tmp_path / "litellm.yaml"
    config.write_text("model_list:\n  - model_name: fast\n    litellm_params: {model: openai/x}\n")
    env = {"WALLIE_MODEL": "not-a-model", "WALLIE_LITELLM_CONFIG": str(config)}
    done = CliRunner().invoke(app, ["ask", "--json", "hola"], env=env)
    assert (done.exit_code, done.stderr) == (2, "")
    error = EVENT.validate_json(done.stdout)
    assert error == Error(
        message=f"model 'not-a-model' is neither a group of {config} (fast) nor a "
        "LiteLLM model string such as openai/gpt-4o-mini"
    )
    assert done.stdout == error.to_json() + "\n"


@pytest.mark.anyio
async def test_claude_desktop_config_attaches_more_servers(demo_env: Path, tmp_path: Path) -> None:
    config = json.loads(CONFIG.read_text())
    entry = config["mcpServers"]["wallie"]
    assert entry["args"] == ["serve"]
    # The shipped file has a placeholder path for the user to edit: point it at this install.
    entry["command"] = WALLIE
    entry["env"]["WALLIE_HOME"] = str(demo_env)
    edited = tmp_path / "claude_desktop_config.json"
    edited.write_text(json.dumps(config))
    seen: list[str] = []

    async def list_tools(messages: list[Any], info: AgentInfo) -> AsyncIterator[str]:
        seen.extend(t.name for t in info.function_tools)
        yield "ok"

    model = FunctionModel(stream_function=list_tools)
    events = await _answer("¿Qué herramientas hay?", model=model, mcp_config=edited)
    assert events[-1].type == "final"
    # The local server's tools, and the configured server's prefixed with its name.
    assert "search_clients" in seen
    assert "wallie_search_clients" in seen
