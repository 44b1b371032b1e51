"""Retrieval-only mode without an agent framework: the planner drives an MCP client session.

With no LLM, the "model" is the deterministic planner, so pydantic-ai's loop adds nothing
but its import time (about a second). This loop does the same work: each turn asks the
planner for the calls it still needs, makes them as real MCP tool calls (concurrently, as
the agent does), then composes the cited answer, checks every citation against what the
tools returned, and streams it a line at a time. The events are the agent's.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from agents._connect import wallie_client
from agents.citations import CITATION, Evidence
from agents.events import (
    Error,
    Event,
    Final,
    Notice,
    Retry,
    SourceRef,
    Text,
    ToolCall,
    ToolResult,
)
from agents.events import Usage as RunUsage
from agents.guards import CleanLines
from agents.markdown import clean, note
from agents.results import base_name, summarize
from agents.retrieval._compose import compose
from agents.retrieval._findings import Findings, call_key
from agents.retrieval._planner import next_calls
from agents.retrieval._question import plan_question
from agents.runtime import AskOptions, language, stopped
from tools.errors import WallieError
from tools.settings import Settings

MODEL = "retrieval-only (no LLM)"
NOTICE = "no LLM configured: retrieval-only mode"


async def _tool_names(client: Client) -> dict[str, str]:
    """The server's tools by base name (a prefixed "x_search_clients" answers to its base)."""
    names: dict[str, str] = {}
    cursor: str | None = None
    while True:
        listed = await client.list_tools(cursor=cursor)
        names.update({base_name(t.name): t.name for t in listed.tools})
        cursor = listed.next_cursor
        if not cursor:
            return names


def _content(result: CallToolResult) -> Any:
    """What the agent's toolset returns for a call: the structured content, else the text."""
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    if result.is_error:
        return text or "the tool returned an error"
    return result.structured_content if result.structured_content is not None else text


def _cause(exc: BaseException) -> BaseException:
    """The first real error inside task groups' exception groups (a refused HTTP request...)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _without(text: str, refused: list[str]) -> str:
    """`text` with the refused citations removed (what the planner does when sent back)."""
    for kind, id_ in CITATION.findall(" ".join(refused)):
        text = text.replace(f"[{kind}:{id_}]", "")
    return text


async def run_planner(
    question: str, options: AskOptions, settings: Settings
) -> AsyncIterator[Event]:
    """Answer `question` in retrieval-only mode over one MCP session with Wallie's server."""
    try:
        client = wallie_client(
            settings,
            server=options.server,
            server_url=options.server_url,
            api_key=options.api_key,
            process=options.local_process,
        )
    except Exception as exc:  # configuration problems: one clear line
        yield Error(message=str(exc))
        return
    yield Notice(message=NOTICE)
    plan = plan_question(question)
    findings, seen = Findings(), Evidence()
    requests = calls_made = turn = 0
    try:
        async with asyncio.timeout(settings.run_timeout), client:
            tools = await _tool_names(client)
            while True:
                if requests >= options.max_steps:
                    yield stopped(
                        f"stopped at the step cap (the next request would exceed the "
                        f"request_limit of {options.max_steps}); raise --max-steps or "
                        "--max-tool-calls.",
                        seen,
                    )
                    return
                requests += 1
                calls = next_calls(plan, turn, findings, set(tools))
                if not calls:
                    break
                turn += 1
                if calls_made + len(calls) > options.max_tool_calls:
                    yield stopped(
                        f"stopped at the step cap (the next tool calls would exceed the "
                        f"tool_calls_limit of {options.max_tool_calls}); raise --max-steps "
                        "or --max-tool-calls.",
                        seen,
                    )
                    return
                calls_made += len(calls)
                named = [(tools[name], args) for name, args in calls]
                for tool, args in named:
                    findings.called.add(call_key(tool, args))
                    yield ToolCall(tool=tool, args=args)
                results = await asyncio.gather(*(client.call_tool(t, a) for t, a in named))
                for (tool, args), result in zip(named, results, strict=True):
                    content, ok = _content(result), not result.is_error
                    findings.record(tool, args, content, ok)
                    if ok:
                        seen.add_result(tool, content)
                    yield ToolResult(tool=tool, ok=ok, summary=summarize(tool, content, ok))
    except TimeoutError:
        yield stopped(
            f"stopped at the time limit ({settings.run_timeout:g} s); raise WALLIE_RUN_TIMEOUT.",
            seen,
        )
        return
    except Exception as exc:
        cause = _cause(exc)
        if isinstance(cause, WallieError):  # ours: its message says what to do
            yield Error(message=str(cause))
            return
        text = str(cause).strip()
        message = text.splitlines()[0] if text else type(cause).__name__
        yield Error(message=f"{type(cause).__name__}: {message}"[:500])
        return
    text = compose(plan, findings)
    _, refused = seen.check(text)
    if refused:  # not expected (the planner cites what the tools returned), but checked
        yield Retry(invalid_citations=refused)
        text, requests = _without(text, refused), requests + 1
    answer, dropped = clean(text)
    lines = CleanLines()
    for line in text.splitlines(keepends=True):  # a line at a time, as the agent streams
        if cleaned := lines.feed(line):
            yield Text(delta=cleaned)
    if rest := lines.flush():
        yield Text(delta=rest)
    if dropped:
        dropped_note = note(dropped, language(question))
        answer += "\n\n" + dropped_note
        yield Text(delta="\n" + dropped_note + "\n")
    valid, _ = seen.check(answer)
    yield Final(
        answer=answer,
        sources=[SourceRef(ref=s.ref, kind=s.kind, id=s.id, label=s.label) for s in valid],
        usage=RunUsage(requests=requests, tool_calls=calls_made, input_tokens=0, output_tokens=0),
        model=MODEL,
    )
