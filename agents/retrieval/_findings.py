"""What the tools have returned so far in a run, read back from the message history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from agents.results import base_name, parse_result
from tools.schemas import (
    ClientHit,
    ClientInsights,
    ClientList,
    ClientPage,
    ClientProfile,
    ConversationList,
    ConversationMood,
    HistoryPage,
    MessageHit,
    MessageOut,
    MessageSearchResult,
    PipelineSummary,
)
from tools.text import fold, words

if TYPE_CHECKING:  # only `read_findings` needs pydantic-ai: the direct loop does without it
    from pydantic_ai.messages import ModelMessage

# How a client search matched: these tiers are a name, a phone or an email, not a guess.
_STRONG = {"exact", "name", "name_prefix", "name_words", "phone", "email"}


def call_key(tool: str, args: dict[str, Any]) -> str:
    """One tool call as a comparable key (tool base name and sorted arguments)."""
    return base_name(tool) + json.dumps(args, sort_keys=True, default=str)


def spelt_alike(query: str, name: str) -> bool:
    """Whether every word of `query` is close to a word of `name` (a typo, not another name)."""
    name_words = words(name)
    return bool(name_words) and all(
        max(SequenceMatcher(None, q, n).ratio() for n in name_words) >= 0.75 for q in words(query)
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
    client_lists: list[ClientList] = field(default_factory=list)
    conversation_lists: list[ConversationList] = field(default_factory=list)
    pipelines: list[PipelineSummary] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    called: set[str] = field(default_factory=set)
    answered: set[str] = field(default_factory=set)

    def record(self, tool: str, args: dict[str, Any], content: Any, ok: bool = True) -> None:
        """Add one tool return (`ok`: it succeeded), validated into its published model."""
        self.answered.add(call_key(tool, args))
        result = parse_result(tool, content) if ok else None
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
            case ClientList() as client_list:
                self.client_lists.append(client_list)
            case ConversationList() as conversation_list:
                self.conversation_lists.append(conversation_list)
            case PipelineSummary() as pipeline:
                self.pipelines.append(pipeline)
            case None:
                self.failures.append(f"{base_name(tool)}: {str(content)[:160]}")

    def matches(self, lookup: str) -> list[ClientHit]:
        """The clients a lookup (name, phone, email) really found: strong matches, else
        names spelt alike, else a lone match on other text."""
        hits = self.searches.get(lookup, [])
        strong = [h for h in hits if h.match in _STRONG]
        exact = [h for h in strong if h.match == "exact"]
        if strong:
            return exact or strong
        alike = [h for h in hits if h.match == "fuzzy" and spelt_alike(lookup, h.name)]
        if alike:
            best = fold(alike[0].name)
            return [h for h in alike if fold(h.name) == best]
        texts = [h for h in hits if h.match == "text"]
        return texts if len(texts) == 1 else []

    def topic_hits(self, stems: tuple[str, ...], client_ids: set[int]) -> list[MessageHit]:
        """Message hits (of `client_ids` only, when given): literal mentions of the searched
        words first, then what the search found related to them, each in search order."""
        hits = [h for h in self.hits if not client_ids or h.client_id in client_ids]
        if stems:
            hits.sort(key=lambda h: not any(w.startswith(stems) for w in words(h.snippet)))
        return hits

    def chosen(self, lookups: list[str], client_ids: list[int] | None = None) -> list[ClientHit]:
        """Every client the question names, found by its lookups or by id (at most 3 each)."""
        chosen: dict[int, ClientHit] = {}
        for lookup in lookups:
            for hit in self.matches(lookup)[:3]:
                chosen.setdefault(hit.id, hit)
        for client_id in client_ids or []:
            if (profile := self.profiles.get(client_id)) and client_id not in chosen:
                chosen[client_id] = ClientHit(
                    id=profile.id, name=profile.name, company=profile.company, match="id"
                )
        return list(chosen.values())


def read_findings(messages: list[ModelMessage]) -> tuple[str, int, Findings]:
    """The latest question, how many model turns it has had, and the tool results so far."""
    from pydantic_ai.messages import ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart

    question, turns, findings = "", 0, Findings()
    calls: dict[str, dict[str, Any]] = {}
    for message in messages:
        if isinstance(message, ModelResponse):
            turns += 1
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    calls[part.tool_call_id] = part.args_as_dict()
                    findings.called.add(call_key(part.tool_name, part.args_as_dict()))
            continue
        for request_part in message.parts:
            if isinstance(request_part, UserPromptPart) and isinstance(request_part.content, str):
                question, turns, findings = request_part.content, 0, Findings()
            elif isinstance(request_part, ToolReturnPart):
                findings.record(
                    request_part.tool_name,
                    calls.get(request_part.tool_call_id, {}),
                    request_part.content,
                    request_part.outcome == "success",
                )
    return question, turns, findings
