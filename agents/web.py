"""The agent for web and mobile apps: `POST /api/chat` speaks the Vercel AI SDK UI message
stream (what `useChat` consumes) and `POST /api/agui` speaks AG-UI, both through
pydantic-ai's own adapters. Tool calls, text deltas, sources and the final usage stream as
they happen; a client that disconnects stops the run.

The caller is authenticated by the composition (`authenticate`), and the agent reaches data
only through the MCP toolsets it is given for that caller (`toolsets_for`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import (
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.models import Model
from pydantic_ai.run import AgentRunResultEvent
from pydantic_ai.toolsets import AbstractToolset
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from agents.citations import evidence_from
from agents.guards import AnswerCheck, model_settings, usage_limits
from agents.prompt import SYSTEM_PROMPT
from agents.results import summarize
from agents.runtime import AskOptions, choose_model
from tools.settings import Settings

Event = dict[str, Any]
Authenticate = Callable[[str | None], Awaitable[str | None]]
"""Bearer token (or None) -> the owner it acts as, or None when refused."""
ToolsetsFor = Callable[[str | None], Sequence[AbstractToolset[Any]]]
"""Bearer token -> the MCP toolsets that act as its owner."""
OnRun = Callable[[str, str, list[Event]], Awaitable[None]]
"""(owner, kind, events) after each run: the events the run produced, ending in final/error."""


def build_agent(
    model: Model | str,
    toolsets: Sequence[AbstractToolset[Any]],
    settings: Settings,
    *,
    require_citation: bool,
    language: str = "es",
) -> Agent[None, str]:
    """The answering agent with `wallie ask`'s guards: instructions, output-token limit per
    request, and the answer check (citations verified, uncited answers sent back)."""
    check = AnswerCheck(language=language, require_citation=require_citation)
    agent: Agent[None, str] = Agent(
        model,
        instructions=SYSTEM_PROMPT.format(today=datetime.now(UTC).date().isoformat()),
        toolsets=list(toolsets),
        retries={"tools": 1, "output": 2},
        model_settings=model_settings(settings),
    )

    @agent.output_validator
    def check_answer(ctx: RunContext[None], output: str) -> str:
        return output if ctx.partial_output else check(output, ctx.messages)

    return agent


class _StopOnDisconnect(StreamingResponse):
    """A streaming response that cancels its producer as soon as the client goes away."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as group:

            async def stream() -> None:
                await self.stream_response(send)
                group.cancel_scope.cancel()

            group.start_soon(stream)
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    group.cancel_scope.cancel()
                    return


@dataclass
class WebAgent:
    """The two agent endpoints, for one composition's auth, toolsets and run log."""

    settings: Settings
    authenticate: Authenticate
    toolsets_for: ToolsetsFor
    on_run: OnRun | None = None
    model: Model | str | None = None
    max_steps: int = 12
    max_tool_calls: int = 40

    async def chat(self, request: Request) -> Response:
        """A Vercel AI SDK UI message stream (`useChat`)."""
        from pydantic_ai.ui.vercel_ai import VercelAIAdapter

        return await self._serve(request, VercelAIAdapter, "web:chat")

    async def agui(self, request: Request) -> Response:
        """An AG-UI event stream (CopilotKit and other AG-UI clients)."""
        from pydantic_ai.ui.ag_ui import AGUIAdapter

        return await self._serve(request, AGUIAdapter, "web:agui")

    async def _serve(self, request: Request, adapter_cls: Any, kind: str) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        owner = await self.authenticate(token)
        if owner is None:
            return JSONResponse(
                {"error": "a valid API key is required: Authorization: Bearer <key>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        model, retrieval_only = choose_model(AskOptions(model=self.model), self.settings)
        agent = build_agent(
            model, self.toolsets_for(token), self.settings, require_citation=not retrieval_only
        )
        try:
            adapter = await adapter_cls.from_request(request, agent=agent)
        except Exception as exc:  # a malformed body: say what, never a traceback
            message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "bad body"
            return JSONResponse({"error": f"invalid request body: {message}"}, status_code=422)
        events: list[Event] = [{"type": "question", "text": last_user_text(adapter.messages)}]
        limits = usage_limits(
            self.max_steps, self.max_tool_calls, self.settings, not retrieval_only
        )
        native = adapter.run_stream_native(usage_limits=limits, timeout=self.settings.run_timeout)
        observed = self._observe(native, events, owner, kind, model, retrieval_only)
        protocol = adapter.transform_stream(observed, on_complete=self._extras(adapter_cls, events))
        base = adapter.streaming_response(protocol)
        return _StopOnDisconnect(
            base.body_iterator, headers=dict(base.headers), media_type=base.media_type
        )

    async def _observe(
        self,
        native: AsyncIterator[Any],
        events: list[Event],
        owner: str,
        kind: str,
        model: Any,
        retrieval_only: bool,
    ) -> AsyncIterator[Any]:
        """Pass the run's events through, noting them for the run log."""
        started = time.perf_counter()
        try:
            async for event in native:
                _note(event, events, model, retrieval_only)
                yield event
        except BaseException as exc:
            reason = (
                "client disconnected"
                if isinstance(exc, anyio.get_cancelled_exc_class() | GeneratorExit)
                else f"{type(exc).__name__}: {exc}"
            )
            events.append({"type": "error", "message": reason[:500]})
            raise
        finally:
            events.append({"type": "latency", "ms": (time.perf_counter() - started) * 1000})
            if self.on_run is not None:
                with anyio.CancelScope(shield=True):
                    await self.on_run(owner, kind, events)

    @staticmethod
    def _extras(adapter_cls: Any, events: list[Event]) -> Any:
        """After the answer: its checked sources and the usage, in the protocol's own terms."""

        async def on_complete(_result: Any) -> AsyncIterator[Any]:
            final = next((e for e in reversed(events) if e["type"] == "final"), None)
            if final is None:
                return
            if adapter_cls.__name__ == "VercelAIAdapter":
                from pydantic_ai.ui.vercel_ai.response_types import (
                    MessageMetadataChunk,
                    SourceDocumentChunk,
                )

                for s in final["sources"]:
                    yield SourceDocumentChunk(
                        source_id=s["ref"], media_type="text/plain", title=s["label"] or s["ref"]
                    )
                yield MessageMetadataChunk(
                    message_metadata={"model": final["model"], "usage": final["usage"]}
                )
            else:
                from ag_ui.core import CustomEvent

                yield CustomEvent(name="sources", value=final["sources"])
                yield CustomEvent(name="usage", value={"model": final["model"], **final["usage"]})

        return on_complete


def _note(event: Any, events: list[Event], model: Any, retrieval_only: bool) -> None:
    """One pydantic-ai event as a Wallie event (the same kinds `wallie ask --json` prints)."""
    if isinstance(event, FunctionToolCallEvent):
        events.append(
            {
                "type": "tool_call",
                "id": event.part.tool_call_id,
                "tool": event.part.tool_name,
                "args": event.part.args_as_dict(),
            }
        )
    elif isinstance(event, FunctionToolResultEvent):
        ok = event.part.outcome == "success"
        events.append(
            {
                "type": "tool_result",
                "id": event.part.tool_call_id,
                "tool": event.part.tool_name,
                "ok": ok,
                "summary": summarize(event.part.tool_name, event.part.content, ok),
            }
        )
    elif isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
        events.append({"type": "text", "delta": event.part.content})
    elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
        events.append({"type": "text", "delta": event.delta.content_delta})
    elif isinstance(event, AgentRunResultEvent):
        result = event.result
        valid, _ = evidence_from(result.all_messages()).check(result.output)
        usage = result.usage
        cost = getattr(model, "total_cost", None)
        events.append(
            {
                "type": "final",
                "answer": result.output,
                "sources": [
                    {"ref": s.ref, "kind": s.kind, "id": s.id, "label": s.label} for s in valid
                ],
                "usage": {
                    "requests": usage.requests,
                    "tool_calls": usage.tool_calls,
                    "input_tokens": 0 if retrieval_only else usage.input_tokens,
                    "output_tokens": 0 if retrieval_only else usage.output_tokens,
                    **({"cost_usd": round(cost, 6)} if cost is not None else {}),
                },
                "model": "retrieval-only (no LLM)"
                if retrieval_only
                else str(getattr(model, "model_name", model)),
            }
        )


def last_user_text(messages: Sequence[Any]) -> str:
    """The newest user message's text in a run's history (what the run answers)."""
    from pydantic_ai.messages import ModelRequest, UserPromptPart

    for message in reversed(list(messages)):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""
