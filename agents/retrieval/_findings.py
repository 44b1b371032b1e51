"""What the tools have returned so far in a run, read back from the message history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from agents.results import base_name, parse_result
from tools.schemas import (
    ClientHit,
    ClientInsights,
    ClientPage,
    ClientProfile,
    ConversationMood,
    HistoryPage,
    MessageHit,
    MessageOut,
    MessageSearchResult,
)


@dataclass
class Findings:
    """The tool results of this run, by kind."""

    searches: dict[str, list[ClientHit]] = field(default_factory=dict)
    profiles: dict[int, ClientProfile] = field(default_factory=dict)
    insights: dict[int, ClientInsights] = field(default_factory=dict)
    histories: dict[int, list[MessageOut]] = field(default_factory=dict)
    hits: list[MessageHit] = field(default_factory=list)
    moods: dict[int, ConversationMood] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def record(self, tool: str, args: dict[str, Any], part: ToolReturnPart) -> None:
        """Add one tool return, validated into its published model."""
        result = parse_result(tool, part.content) if part.outcome == "success" else None
        match result:
            case ClientPage(clients=clients):
                self.searches[str(args.get("query", ""))] = clients
            case ClientProfile() as profile:
                self.profiles[profile.id] = profile
            case ClientInsights() as insights:
                self.insights[insights.client_id] = insights
            case HistoryPage(client_id=int(client_id), messages=messages):
                self.histories[client_id] = messages
            case MessageSearchResult(hits=hits):
                seen = {h.message_id for h in self.hits}
                self.hits.extend(h for h in hits if h.message_id not in seen)
            case ConversationMood() as mood:
                self.moods[mood.client_id] = mood
            case None:
                self.failures.append(f"{base_name(tool)}: {str(part.content)[:160]}")

    def chosen(self, names: list[str]) -> list[ClientHit]:
        """The best match of each name searched (clear matches only)."""
        chosen: list[ClientHit] = []
        for name in names:
            hits = self.searches.get(name, [])
            clear = hits and (hits[0].match != "text" or len(hits) == 1)
            if clear and all(c.id != hits[0].id for c in chosen):
                chosen.append(hits[0])
        return chosen


def read_findings(messages: list[ModelMessage]) -> tuple[str, int, Findings]:
    """The latest question, how many model turns it has had, and the tool results so far."""
    question, turns, findings = "", 0, Findings()
    calls: dict[str, dict[str, Any]] = {}
    for message in messages:
        if isinstance(message, ModelResponse):
            turns += 1
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    calls[part.tool_call_id] = part.args_as_dict()
            continue
        for request_part in message.parts:
            if isinstance(request_part, UserPromptPart) and isinstance(request_part.content, str):
                question, turns, findings = request_part.content, 0, Findings()
            elif isinstance(request_part, ToolReturnPart):
                findings.record(
                    request_part.tool_name, calls.get(request_part.tool_call_id, {}), request_part
                )
    return question, turns, findings
