"""The agent loop with a scripted model, against the real `wallie serve` over stdio."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from agents.events import Event
from agents.runtime import AskOptions, Conversation, ask


def _turns(messages: list[ModelMessage]) -> int:
    return sum(isinstance(m, ModelResponse) for m in messages)


def _returns(messages: list[ModelMessage], tool: str) -> list[Any]:
    found = []
    for m in messages:
        if isinstance(m, ModelRequest):
            for p in m.parts:
                if isinstance(p, ToolReturnPart) and p.tool_name == tool:
                    found.append(p.content)
    return found


def _call(name: str, args: dict[str, Any], n: int = 0) -> DeltaToolCalls:
    return {n: DeltaToolCall(name=name, json_args=json.dumps(args), tool_call_id=f"c{n}")}


async def multi_hop(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
    """Find the client, read the history, answer with a bad citation, then correct it."""
    turn = _turns(messages)
    if turn == 0:
        yield _call("search_clients", {"query": "ana garcia"})
    elif turn == 1:
        client = _returns(messages, "search_clients")[-1]["clients"][0]
        yield _call("get_conversation_history", {"client_id": client["id"], "limit": 3})
    elif turn == 2:
        yield "Ana pide un 25% de descuento "
        yield "[msg:999999]."
    else:
        history = _returns(messages, "get_conversation_history")[-1]
        last = history["messages"][-2]
        yield f"Ana pide un 25% de descuento [msg:{last['id']}] "
        yield f"[client:{history['client_id']}]."


async def _events(question: str, options: AskOptions, **kw: Any) -> list[Event]:
    return [e async for e in ask(question, options, **kw)]


@pytest.mark.anyio
async def test_multi_hop_run_streams_events_and_corrects_a_bad_citation(demo_env: Path) -> None:
    model = FunctionModel(stream_function=multi_hop)
    events = await _events("¿Cómo va Ana García?", AskOptions(model=model))
    kinds = [e.type for e in events]
    tools = [e.tool for e in events if e.type == "tool_call"]
    assert tools == ["search_clients", "get_conversation_history"]
    # Calls come before their results, text after the tools, the final event last.
    assert kinds[:4] == ["tool_call", "tool_result", "tool_call", "tool_result"]
    assert all(e.ok for e in events if e.type == "tool_result")
    assert kinds[-1] == "final"
    retry = next(e for e in events if e.type == "retry")
    assert retry.invalid_citations == ["[msg:999999]"]
    assert kinds.index("retry") > kinds.index("text")
    final = events[-1]
    assert "999999" not in final.answer
    cited = set(re.findall(r"\[(?:msg|client):\d+\]", final.answer))
    assert cited == {s.ref for s in final.sources}
    assert any(s.kind == "msg" for s in final.sources)
    assert final.usage.tool_calls == 2


async def always_search(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
    """A model that never stops calling tools."""
    yield _call("search_clients", {"query": "garcia", "limit": 1 + _turns(messages)})


@pytest.mark.anyio
async def test_the_step_cap_stops_a_runaway_model_with_partial_findings(demo_env: Path) -> None:
    model = FunctionModel(stream_function=always_search)
    events = await _events("¿Quién?", AskOptions(model=model, max_steps=3))
    assert events[-1].type == "error"
    assert "step cap" in events[-1].message
    assert "--max-steps" in events[-1].message
    assert sum(e.type == "tool_call" for e in events) == 3
    # What the tools had found is not lost.
    assert any(p.ref.startswith("[client:") for p in events[-1].partial)


async def remembers(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
    """Answers with how many questions it has seen: proof that chat keeps history."""
    asked = sum(
        1
        for m in messages
        if isinstance(m, ModelRequest) and any(p.part_kind == "user-prompt" for p in m.parts)
    )
    yield f"pregunta número {asked}"


@pytest.mark.anyio
async def test_chat_keeps_the_history_of_earlier_turns(demo_env: Path) -> None:
    conversation = Conversation()
    options = AskOptions(model=FunctionModel(stream_function=remembers))
    first = await _events("hola", options, conversation=conversation)
    second = await _events("¿y ahora?", options, conversation=conversation)
    assert first[-1].answer == "pregunta número 1", first[-1]
    assert second[-1].answer == "pregunta número 2", second[-1]


async def bad_tool_args(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
    """Calls a tool wrongly once, then answers."""
    if _turns(messages) == 0:
        yield _call("get_client", {"client_id": 987654})
    else:
        yield "No existe ese cliente."


@pytest.mark.anyio
async def test_a_tool_error_is_a_failed_result_and_the_run_continues(demo_env: Path) -> None:
    events = await _events("?", AskOptions(model=FunctionModel(stream_function=bad_tool_args)))
    result = next(e for e in events if e.type == "tool_result")
    assert result.ok is False
    assert "no client with id 987654" in result.summary
    assert events[-1].type == "final"
