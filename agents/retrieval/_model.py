"""The pydantic-ai side of retrieval-only mode: a `FunctionModel` that plans and composes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from agents.citations import CITATION
from agents.results import base_name
from agents.retrieval._compose import compose
from agents.retrieval._findings import read_findings
from agents.retrieval._planner import Call, next_calls
from agents.retrieval._question import plan_question


def _respond(messages: list[ModelMessage], info: AgentInfo) -> tuple[list[Call], str]:
    question, turn, findings = read_findings(messages)
    available = {base_name(t.name): t.name for t in info.function_tools}
    plan = plan_question(question)
    calls = next_calls(plan, turn, findings, set(available))
    if calls:
        return [(available[name], args) for name, args in calls], ""
    text = compose(plan, findings)
    if retry := _last_retry(messages):  # the citation check sent us back: drop what it refused
        for kind, id_ in CITATION.findall(retry):
            text = text.replace(f"[{kind}:{id_}]", "")
    return [], text


def _last_retry(messages: list[ModelMessage]) -> str:
    last = messages[-1] if messages else None
    if isinstance(last, ModelRequest):
        for part in last.parts:
            if isinstance(part, RetryPromptPart):
                return part.content if isinstance(part.content, str) else str(part.content)
    return ""


def _function(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    calls, text = _respond(messages, info)
    if calls:
        parts: list[Any] = [
            ToolCallPart(name, args, tool_call_id=f"r{i}") for i, (name, args) in enumerate(calls)
        ]
        return ModelResponse(parts=parts)
    return ModelResponse(parts=[TextPart(text)])


async def _stream(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls]:
    calls, text = _respond(messages, info)
    if calls:
        yield {
            i: DeltaToolCall(name=name, json_args=json.dumps(args), tool_call_id=f"r{i}")
            for i, (name, args) in enumerate(calls)
        }
        return
    for line in text.splitlines(keepends=True):  # line by line, as a model streams tokens
        yield line


class RetrievalModel(FunctionModel):
    """The no-LLM model: real tool calls, then an extractive, cited answer."""

    def __init__(self) -> None:
        super().__init__(_function, stream_function=_stream, model_name="wallie-retrieval")
