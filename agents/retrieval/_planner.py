"""Which tools to call for a question, given what the tools have returned so far.

Each turn asks for the calls the question's intent still needs; calls already made are
never repeated, so an empty list means every needed result is in and the answer is due.
"""

from __future__ import annotations

from typing import Any

from agents.retrieval._findings import Findings, call_key
from agents.retrieval._question import Intent, Plan
from tools.text import fold, words

Call = tuple[str, dict[str, Any]]

MAX_TURNS = 6  # a plan needs at most four rounds; this bounds any surprise
LIST_LIMIT = 10  # rows shown in a list answer; the total is always said
TOPIC_LIMIT = 30  # messages fetched for a topic across clients


def lookups(plan: Plan) -> list[Call]:
    """Find the clients the question names: by phone, email, name, or id."""
    calls: list[Call] = [("search_clients", {"query": q[:200], "limit": 5}) for q in plan.lookups]
    calls += [("get_client", {"client_id": i}) for i in plan.client_ids]
    return calls


def name_words(plan: Plan, f: Findings) -> set[str]:
    """Words of the guessed names that did name a client: not topic words after all."""
    return {w for g in plan.guesses if f.matches(g, guessed=True) for w in words(g)}


def read_clients(plan: Plan, f: Findings, intent: Intent) -> list[Call]:
    """Profile, insights, history (within the question's time frame), the topic within
    them, and mood of each named client."""
    calls: list[Call] = []
    query = plan.query(skip=name_words(plan, f))
    for client in f.chosen(plan.lookups, plan.client_ids, plan.guesses)[:6]:
        calls.append(("get_client_insights", {"client_id": client.id}))
        calls.append(("get_client", {"client_id": client.id}))
        if intent == "compare":
            continue
        history = {"client_id": client.id, "limit": 8, **plan.window}
        calls.append(("get_conversation_history", history))
        if query:
            args = {"query": query, "client_id": client.id, "limit": 5, **plan.window}
            calls.append(("search_messages", args))
        profile = f.profiles.get(client.id)
        if intent == "mood" and profile and profile.open_conversations:
            calls.append(
                ("analyze_sentiment", {"conversation_id": profile.open_conversations[0].id})
            )
    return calls


def industry(plan: Plan, f: Findings) -> dict[str, str]:
    """The industry filter: the question's spelling first; once a tool has listed the
    spellings the book stores, the stored one that the question's industry goes by."""
    if not plan.industry:
        return {}
    wanted = {fold(w) for w in plan.industry_words}
    stored = next((k for k in f.known_industries if fold(k) in wanted), None)
    return {"industry": stored or plan.industry}


def count(plan: Plan, f: Findings) -> list[Call]:
    """A number: clients in the book (or matching filters), else conversations per outcome."""
    if plan.risk:
        return risk(plan, f)
    if (plan.clients_asked and not plan.outcome) or plan.unanswered or plan.mood_label:
        return [("list_clients", {**client_filters(plan, f), "limit": plan.top or LIST_LIMIT})]
    args: dict[str, Any] = {**plan.window, **industry(plan, f)}
    if plan.channel:
        args["channel"] = plan.channel
    return [("pipeline_summary", args)]


def client_filters(plan: Plan, f: Findings) -> dict[str, Any]:
    """The question's filters as list_clients arguments."""
    args: dict[str, Any] = industry(plan, f)
    if plan.outcome:
        args["outcome"] = plan.outcome
    if plan.unanswered:
        args["unanswered"] = True
    if plan.mood_label:
        args["mood"] = plan.mood_label
    if plan.channel:
        args["channel"] = plan.channel
    if (plan.wrote or plan.talked) and plan.start:  # "who wrote to me last week"
        args.update({f"messages_{k}": v for k, v in plan.window.items()})
        if plan.wrote:
            args["messages_from"] = "client"
        return args
    if plan.start:
        args["last_contact_after"] = plan.since
    if plan.end:
        args["last_contact_before"] = plan.end.isoformat()
    return args


def listing(plan: Plan, f: Findings) -> list[Call]:
    """A list: deals by outcome in a time frame, else clients by the question's filters."""
    sector = industry(plan, f)
    if plan.outcome in ("won", "lost") and not plan.unanswered:
        args: dict[str, Any] = {
            "outcome": plan.outcome,
            **plan.window,
            **sector,
            "limit": plan.top or LIST_LIMIT,
        }
        if plan.channel:
            args["channel"] = plan.channel
        return [("list_conversations", args)]
    if plan.closing or (plan.outcome == "open" and not plan.clients_asked):
        args = {
            "status": "open",
            "sort": "success_score",
            **plan.window,
            **sector,
            "limit": plan.top or LIST_LIMIT,
        }
        return [("list_conversations", args)]
    return [("list_clients", {**client_filters(plan, f), "limit": plan.top or LIST_LIMIT})]


def risk(plan: Plan, f: Findings) -> list[Call]:
    """The clients at risk of leaving (in the question's industry), most at risk first."""
    limit = plan.top or LIST_LIMIT
    args = {"churn_risk": True, "sort": "risk", **industry(plan, f), "limit": limit}
    return [("list_clients", args)]


def topic(plan: Plan, f: Findings) -> list[Call]:
    """Search the messages of every client for the topic, then read whose they are."""
    extra = [] if f.chosen(plan.lookups, plan.client_ids, plan.guesses) else plan.name_terms
    query = plan.query(extra) or plan.question[:200]
    limit = TOPIC_LIMIT  # more than shown: the answer quotes literal matches first
    args: dict[str, Any] = {"query": query[:500], "limit": limit, **plan.window}
    if plan.channel:
        args["channel"] = plan.channel
    calls: list[Call] = [("search_messages", args)]
    hits = f.topic_hits(plan.stems(extra), set())
    clients = list(dict.fromkeys(hit.client_id for hit in hits))
    return calls + [("get_client", {"client_id": c}) for c in clients[:8]]


def wanted(plan: Plan, f: Findings) -> list[Call]:
    """Every call the question needs, given the results so far."""
    first = lookups(plan)
    if any(call_key(name, args) not in f.answered for name, args in first):
        return first
    found = f.chosen(plan.lookups, plan.client_ids, plan.guesses)
    intent = plan.intent if found else plan.unnamed
    match intent:
        case "client" | "mood" | "compare":
            return first + read_clients(plan, f, intent)
        case "count":
            return first + count(plan, f)
        case "list":
            return first + listing(plan, f)
        case "risk":
            return first + risk(plan, f)
        case "topic":
            return first + topic(plan, f)


def next_calls(plan: Plan, turn: int, f: Findings, available: set[str]) -> list[Call]:
    """The tool calls of this turn; an empty list means: write the answer."""
    if turn >= MAX_TURNS:
        return []
    calls = [(name, args) for name, args in wanted(plan, f) if name in available]
    return [(n, a) for n, a in calls if call_key(n, a) not in f.called]
