"""The pydantic-ai agent loop of a run: model requests, MCP tool calls, the citation check.

Imported only when a run needs it (an LLM, or toolsets a caller passed): the retrieval-only
mode over Wallie's own server runs `agents._direct` instead, without pydantic-ai.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from pydantic_ai import Agent, RunContext
from pydantic_ai.exceptions import UsageLimitExceeded
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

from agents.citations import Evidence, evidence_from
from agents.events import (
    Error,
    Event,
    Final,
    Notice,
    SourceRef,
    Text,
    ToolCall,
    ToolResult,
    Usage,
)
from agents.guards import AnswerCheck, CleanLines, model_settings, usage_limits
from agents.markdown import note
from agents.prompt import SYSTEM_PROMPT
from agents.results import summarize
from agents.runtime import AskOptions, Conversation, choose_model, language, stopped
from tools.settings import Settings


async def run_agent(
    question: str, options: AskOptions, conversation: Conversation | None, settings: Settings
) -> AsyncIterator[Event]:
    """Answer `question` with a pydantic-ai agent (an LLM, or the planner posing as one)."""
    try:
        model, retrieval_only = choose_model(options, settings)
        if options.toolsets is not None:
            toolsets = list(options.toolsets)
        else:
            from agents.servers import toolsets as make_toolsets

            toolsets = make_toolsets(
                settings,
                server_url=options.server_url,
                api_key=options.api_key,
                mcp_config=options.mcp_config,
                local_process=options.local_process,
                server=options.server,
            )
    except Exception as exc:  # configuration problems: one clear line
        yield Error(message=str(exc))
        return

    check = AnswerCheck(language=language(question), require_citation=not retrieval_only)
    agent: Agent[None, str] = Agent(
        model,
        instructions=SYSTEM_PROMPT.format(today=datetime.now(UTC).date().isoformat()),
        toolsets=toolsets,
        retries={"tools": 1, "output": options.citation_retries},
        model_settings=model_settings(settings),
    )

    @agent.output_validator
    def check_answer(ctx: RunContext[None], output: str) -> str:
        return output if ctx.partial_output else check(output, ctx.messages)

    seen = Evidence()
    limits = usage_limits(options.max_steps, options.max_tool_calls, settings, not retrieval_only)
    history = conversation.messages if conversation else None
    lines = CleanLines()
    if retrieval_only:
        yield Notice(message="no LLM configured: retrieval-only mode")
    try:
        async with (
            asyncio.timeout(settings.run_timeout),
            agent.run_stream_events(
                question, message_history=history, usage_limits=limits
            ) as events,
        ):
            async for event in events:
                if check.retries and (rest := lines.flush()):
                    yield Text(delta=rest)
                while check.retries:
                    yield check.retries.pop(0)
                if isinstance(event, FunctionToolCallEvent):
                    yield ToolCall(tool=event.part.tool_name, args=event.part.args_as_dict())
                elif isinstance(event, FunctionToolResultEvent):
                    ok = event.part.outcome == "success"
                    if ok:
                        seen.add_result(event.part.tool_name, event.part.content)
                    summary = summarize(event.part.tool_name, event.part.content, ok)
                    yield ToolResult(tool=event.part.tool_name, ok=ok, summary=summary)
                elif delta := _text(event):
                    if cleaned := lines.feed(delta):
                        yield Text(delta=cleaned)
                elif isinstance(event, AgentRunResultEvent):
                    if rest := lines.flush():
                        yield Text(delta=rest)
                    if check.dropped:
                        yield Text(delta="\n" + note(check.dropped, check.language) + "\n")
                    yield _final(event, model, retrieval_only, conversation)
    except UsageLimitExceeded as exc:
        budget = "tokens_limit" in str(exc)
        what = "the token budget" if budget else "the step cap"
        how = "raise WALLIE_RUN_TOKEN_BUDGET" if budget else "raise --max-steps or --max-tool-calls"
        yield stopped(f"stopped at {what} ({exc}); {how}.", seen)
    except TimeoutError:
        yield stopped(
            f"stopped at the time limit ({settings.run_timeout:g} s); raise WALLIE_RUN_TIMEOUT.",
            seen,
        )
    except Exception as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        yield Error(message=f"{type(exc).__name__}: {message}"[:500])


def _text(event: object) -> str:
    """The answer text an event carries, if any."""
    if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
        return event.part.content
    if isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
        return event.delta.content_delta
    return ""


def _final(
    event: AgentRunResultEvent[str],
    model: Model | str,
    retrieval_only: bool,
    conversation: Conversation | None,
) -> Final:
    result = event.result
    valid, _ = evidence_from(result.all_messages()).check(result.output)
    if conversation is not None:
        conversation.messages = result.all_messages()
    usage = result.usage
    return Final(
        answer=result.output,
        sources=[SourceRef(ref=s.ref, kind=s.kind, id=s.id, label=s.label) for s in valid],
        usage=Usage(
            requests=usage.requests,
            tool_calls=usage.tool_calls,
            # The retrieval-only model spends no tokens; don't report estimates.
            input_tokens=0 if retrieval_only else usage.input_tokens,
            output_tokens=0 if retrieval_only else usage.output_tokens,
            cost_usd=_cost(model),
        ),
        model="retrieval-only (no LLM)"
        if retrieval_only
        else str(getattr(model, "model_name", model)),
    )


def _cost(model: Any) -> float | None:
    cost = getattr(model, "total_cost", None)
    return round(cost, 6) if cost is not None else None
