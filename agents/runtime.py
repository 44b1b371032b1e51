"""One question in, a stream of events out: tool calls, results, text, sources, usage.

This module stays light: pydantic-ai is imported only by a run that needs it (an LLM, or
toolsets a caller passed, in `agents._agent_loop`). With no LLM configured, the retrieval
planner calls Wallie's tools over a plain MCP client session (`agents._direct`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.citations import Evidence
from agents.events import Error, Event, Found
from tools.settings import Settings, get_settings

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models import Model
    from pydantic_ai.toolsets import AbstractToolset

PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY")
RETRIEVAL_NAMES = ("retrieval", "none")


@dataclass
class AskOptions:
    """How to answer: which model, which MCP servers, and the bounds of the run."""

    model: str | Model | None = None
    server_url: str | None = None
    api_key: str | None = None
    mcp_config: Path | None = None
    max_steps: int = 12
    max_tool_calls: int = 40
    citation_retries: int = 2
    toolsets: Sequence[AbstractToolset[Any]] | None = None  # tests pass their own
    local_process: subprocess.Popen[bytes] | None = None  # `wallie serve`, started early
    # Wallie's server in this process (an `MCPServer`, built by the caller: `agents` never
    # imports `server`); None runs `wallie serve` as a stdio child.
    server: Any = None


@dataclass
class Conversation:
    """A chat's memory: the messages of the turns so far."""

    messages: list[ModelMessage] = field(default_factory=list)


def is_retrieval_only(options: AskOptions, settings: Settings) -> bool:
    """Whether no LLM is configured (or 'retrieval' was asked for): the planner answers."""
    name = options.model or settings.model
    if name:
        return isinstance(name, str) and name in RETRIEVAL_NAMES
    return not settings.litellm_url and not any(os.environ.get(k) for k in PROVIDER_KEYS)


def takes_planner_loop(options: AskOptions, settings: Settings) -> bool:
    """Whether the run is the planner over one MCP session, with no pydantic-ai agent."""
    # The planner needs only an MCP session; extra servers and caller toolsets need the agent.
    return (
        options.toolsets is None
        and options.mcp_config is None
        and is_retrieval_only(options, settings)
    )


def choose_model(options: AskOptions, settings: Settings) -> tuple[Model | str, bool]:
    """The model to run and whether it is the retrieval-only one (no LLM configured)."""
    if is_retrieval_only(options, settings):
        from agents.retrieval import RetrievalModel

        return RetrievalModel(), True
    name = options.model or settings.model
    if name and not isinstance(name, str):
        return name, False
    if name:
        from agents.llm import make_model

        return make_model(name, settings), False
    if settings.litellm_url:
        from agents.llm import proxy_model

        return proxy_model(settings), False
    from agents.llm import make_model

    return make_model("fast", settings), False


async def ask(
    question: str,
    options: AskOptions | None = None,
    conversation: Conversation | None = None,
    settings: Settings | None = None,
) -> AsyncIterator[Event]:
    """Answer `question` as a stream of events; the last one is `final` or `error`."""
    options = options or AskOptions()
    settings = settings or get_settings()
    question = question.strip()
    if not question:
        yield Error(message="the question is empty")
        return
    if takes_planner_loop(options, settings):
        from agents._direct import run_planner

        async for event in run_planner(question, options, settings):
            yield event
        return
    from agents._agent_loop import run_agent

    async for event in run_agent(question, options, conversation, settings):
        yield event


def language(question: str) -> str:
    """The question's language, "en" or "es" (the default)."""
    from tools.sentiment import detect_language
    from tools.text import words

    return "en" if detect_language(words(question)) == "en" else "es"


def _partial(evidence: Evidence) -> str:
    found = [f"{s.ref} {s.label}".strip() for s in list(evidence.sources.values())[:8]]
    return "; ".join(found) if found else "nothing yet"


def stopped(message: str, seen: Evidence) -> Error:
    """The error that ends a run at a limit, with what the tools had found."""
    return Error(
        message=f"{message} Partial findings: {_partial(seen)}",
        partial=[Found(ref=s.ref, label=s.label) for s in list(seen.sources.values())[:20]],
    )
