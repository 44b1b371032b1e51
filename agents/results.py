"""Tool results read back into the published result models of `tools/schemas.py`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from tools import schemas as s

# One adapter per Wallie tool: its result model (or union of models, as the server publishes).
ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "search_clients": TypeAdapter(s.ClientPage),
    "get_client": TypeAdapter(s.ClientProfile),
    "get_client_insights": TypeAdapter(s.ClientInsights),
    "get_conversation_history": TypeAdapter(s.HistoryPage),
    "search_messages": TypeAdapter(s.MessageSearchResult),
    "analyze_sentiment": TypeAdapter(s.ConversationMood | s.SentimentOut),
    "list_clients": TypeAdapter(s.ClientList),
    "list_conversations": TypeAdapter(s.ConversationList),
    "pipeline_summary": TypeAdapter(s.PipelineSummary),
}


def base_name(tool: str) -> str:
    """A Wallie tool's own name without a server prefix ("wallie_search_clients" -> ...)."""
    for known in sorted(ADAPTERS, key=len, reverse=True):
        if tool == known or tool.endswith("_" + known):
            return known
    return tool


def parse_result(tool: str, content: Any) -> BaseModel | None:
    """The result model of a Wallie tool's structured content; None for other tools or shapes."""
    adapter = ADAPTERS.get(base_name(tool))
    if adapter is None:
        return None
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    if isinstance(content, dict) and set(content) == {"result"}:
        content = content["result"]  # a union output is wrapped by the server
    try:
        parsed: BaseModel = adapter.validate_python(content)
    except ValidationError:
        return None
    return parsed


def summarize(tool: str, content: Any, ok: bool) -> str:
    """A one-line summary of a tool result for the stream."""
    if not ok:
        return str(content).strip().splitlines()[0][:200] if content else "failed"
    match parse_result(tool, content):
        case s.ClientPage(clients=clients):
            names = ", ".join(c.name for c in clients[:3])
            return f"{len(clients)} client(s)" + (f": {names}" if names else "")
        case s.MessageSearchResult(hits=hits):
            return f"{len(hits)} message(s) found"
        case s.ConversationMood(messages=messages, trend=trend):
            return f"{len(messages)} message(s) scored; trend {trend}"
        case s.HistoryPage(messages=messages):
            return f"{len(messages)} message(s)"
        case s.ClientInsights() as insights:
            return f"{insights.name}: trend {insights.mood_trend}, churn risk {insights.churn_risk}"
        case s.ClientProfile() as profile:
            return f"{profile.name}: {profile.conversation_count} conversation(s)"
        case s.SentimentOut(label=label, score=score):
            return f"{label} ({score:+.2f})"
        case s.ClientList(total=total, clients=rows):
            return f"{total} client(s), {len(rows)} shown"
        case s.ConversationList(total=total, conversations=rows):
            return f"{total} conversation(s), {len(rows)} shown"
        case s.PipelineSummary(total_conversations=total, by_outcome=buckets):
            return f"{total} conversation(s): " + ", ".join(
                f"{b.outcome} {b.conversations}" for b in buckets
            )
    if isinstance(content, dict):
        return ", ".join(list(content)[:5])
    return str(content).strip().replace("\n", " ")[:120]
