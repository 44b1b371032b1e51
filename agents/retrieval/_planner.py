"""Which tools to call, round by round, for each intent of a question."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.retrieval._findings import Findings
from agents.retrieval._question import Intent, Plan

Call = tuple[str, dict[str, Any]]
Round = Callable[[Plan, Findings], list[Call]]


def find_named_clients(plan: Plan, f: Findings) -> list[Call]:
    """Search each name the question gives."""
    return [("search_clients", {"query": n, "limit": 3}) for n in plan.names]


def search_topic(plan: Plan, f: Findings) -> list[Call]:
    """Search the messages for the topic (or the whole question when it has no topic words)."""
    if not plan.terms:
        return [("search_messages", {"query": plan.question[:200], "limit": 8, **plan.window})]
    limit = 20 if plan.complaint else 8
    return [("search_messages", {"query": plan.query, "limit": limit, **plan.window})]


def read_clients(plan: Plan, f: Findings) -> list[Call]:
    """Profile, insights, history (and the topic within them) of each client found by name."""
    calls: list[Call] = []
    for client in f.chosen(plan.names):
        calls.append(("get_client_insights", {"client_id": client.id}))
        calls.append(("get_client", {"client_id": client.id}))
        calls.append(("get_conversation_history", {"client_id": client.id, "limit": 8}))
        if plan.terms:
            args = {"query": plan.query, "client_id": client.id, "limit": 5}
            calls.append(("search_messages", args))
    return calls


def read_hit_clients(plan: Plan, f: Findings) -> list[Call]:
    """The profiles of the clients whose messages matched the topic."""
    clients = list(dict.fromkeys(hit.client_id for hit in f.hits))
    return [("get_client", {"client_id": c}) for c in clients[:8]]


def read_moods(plan: Plan, f: Findings) -> list[Call]:
    """The mood of each found client's latest open conversation."""
    return [
        ("analyze_sentiment", {"conversation_id": profile.open_conversations[0].id})
        for profile in f.profiles.values()
        if profile.open_conversations
    ]


# Each intent's plan: the rounds of tool calls, in order; an empty round ends the plan.
PLANS: dict[Intent, tuple[Round, ...]] = {
    "client": (find_named_clients, read_clients),
    "mood": (find_named_clients, read_clients, read_moods),
    "topic": (search_topic, read_hit_clients),
}


def next_calls(plan: Plan, turn: int, f: Findings, available: set[str]) -> list[Call]:
    """The tool calls of this turn; an empty list means: write the answer."""
    rounds = PLANS[plan.intent]
    if turn >= len(rounds):
        return []
    return [(name, args) for name, args in rounds[turn](plan, f) if name in available]
