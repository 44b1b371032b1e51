"""Retrieval-only mode: a deterministic planner posing as a model, for when no LLM is set up.

It runs through the same agent loop as an LLM (real MCP tool calls, streaming, limits,
citation check): it reads the question, calls tools in rounds (find the clients, read
their history and insights, search messages for the topic) and writes an extractive,
cited summary of what the tools returned, saying plainly that no LLM was used.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from tools.sentiment import detect_language
from tools.text import fold, words

NOTICE = {
    "es": "_Modo solo recuperación: no se ha usado ningún LLM. Este resumen cita literalmente "
    "lo que devolvieron las herramientas._",
    "en": "_Retrieval-only mode: no LLM was used. This summary quotes what the tools returned._",
}

_QUESTION_WORDS = {
    "que",
    "como",
    "cual",
    "cuales",
    "quien",
    "quienes",
    "cuando",
    "donde",
    "cuanto",
    "hay",
    "dame",
    "dime",
    "resume",
    "resumen",
    "muestra",
    "lista",
    "busca",
    "what",
    "how",
    "who",
    "which",
    "when",
    "where",
    "show",
    "list",
    "find",
    "give",
    "tell",
    "summarize",
    "did",
    "does",
    "is",
    "are",
    "el",
    "la",
    "los",
    "las",
    "the",
    "and",
    "y",
    "con",
    "de",
    "del",
}
_STOP = {
    *_QUESTION_WORDS,
    "a",
    "al",
    "algo",
    "an",
    "any",
    "ante",
    "cada",
    "caso",
    "casos",
    "cliente",
    "clientes",
    "client",
    "clients",
    "customer",
    "customers",
    "en",
    "es",
    "esta",
    "este",
    "estos",
    "for",
    "fue",
    "ha",
    "han",
    "in",
    "it",
    "le",
    "les",
    "lo",
    "me",
    "mes",
    "month",
    "my",
    "mis",
    "mi",
    "nos",
    "of",
    "on",
    "or",
    "o",
    "para",
    "por",
    "se",
    "semana",
    "su",
    "sus",
    "this",
    "to",
    "un",
    "una",
    "va",
    "van",
    "week",
    "with",
    "hoy",
    "today",
    "ya",
    "last",
    "ultimo",
    "ultimos",
    "ultima",
    "ultimas",
    "dias",
    "days",
    "pasado",
    "pasada",
    "termino",
    "terminaron",
    "terminado",
    "acabo",
    "acabaron",
    "resultado",
    "ended",
    "end",
    "outcome",
    "sobre",
    "about",
    "tiene",
    "tienen",
    "estan",
    "negociacion",
    "negotiation",
    "going",
    "iba",
    "quejaron",
    "quejo",
    "quejado",
    "complained",
    "anything",
    "algun",
    "alguna",
    "alguno",
    "ahora",
    "now",
    "haber",
    "hemos",
    "tenemos",
}
_MOOD = {
    "animo",
    "humor",
    "contento",
    "contenta",
    "contentos",
    "enfadado",
    "enfadada",
    "enfado",
    "satisfecho",
    "satisfecha",
    "satisfechos",
    "sentimiento",
    "sentiment",
    "mood",
    "feel",
    "feeling",
    "happy",
    "unhappy",
    "upset",
    "angry",
    "molesto",
    "molesta",
    "tono",
    "riesgo",
    "churn",
    "perder",
    "perdemos",
    "enojado",
    "frustrado",
    "frustrada",
    "insatisfecho",
}
_COMPLAINT = ("quej", "reclam", "complain", "protest", "enfad", "molest")
# Words people use for the same topic: a search for one should find the others.
_SYNONYMS = {
    "precio": ["caro", "precio"],
    "precios": ["caro", "precio"],
    "price": ["expensive", "price"],
    "retraso": ["retraso", "tarde", "llegado"],
    "retrasos": ["retraso", "tarde", "llegado"],
    "delay": ["late", "delay", "delivery"],
    "factura": ["factura", "cobrado"],
}
_ES = {
    "positive": "positivo",
    "negative": "negativo",
    "neutral": "neutro",
    "improving": "mejorando",
    "worsening": "empeorando",
    "stable": "estable",
    "unknown": "desconocida",
}
_CAPITALISED = re.compile(r"\b([A-ZÁÉÍÓÚÑÜ][\wáéíóúñü]+(?:\s+[A-ZÁÉÍÓÚÑÜ][\wáéíóúñü]+)*)")
_QUOTED = re.compile(r"[\"“«']([^\"”»']{2,60})[\"”»']")
_LAST_DAYS = re.compile(r"(?:ultimos|last)\s+(\d{1,3})\s+(?:dias|days)")


@dataclass
class Plan:
    """What the question asks for, as far as simple rules can tell."""

    question: str
    language: str
    names: list[str]
    terms: list[str]
    since: str | None = None
    until: str | None = None
    mood: bool = False
    complaint: bool = False


def plan_question(question: str, today: date | None = None) -> Plan:
    """Names, topic words, time frame and intent of a question."""
    today = today or datetime.now(UTC).date()
    language = "en" if detect_language(words(question)) == "en" else "es"
    names: list[str] = [q.strip() for q in _QUOTED.findall(question)]
    for match in _CAPITALISED.findall(question):
        parts = [p for p in match.split() if fold(p) not in _QUESTION_WORDS]
        candidate = " ".join(parts)
        if candidate and candidate not in names and len(candidate) > 2:
            names.append(candidate)
    folded = fold(question)
    since = until = None
    if "este mes" in folded or "this month" in folded:
        since = today.replace(day=1).isoformat()
    elif "mes pasado" in folded or "last month" in folded:
        first = today.replace(day=1)
        since = (first - timedelta(days=1)).replace(day=1).isoformat()
        until = (first - timedelta(days=1)).isoformat()
    elif "esta semana" in folded or "this week" in folded:
        since = (today - timedelta(days=today.weekday())).isoformat()
    elif "hoy" in folded.split() or "today" in folded:
        since = today.isoformat()
    elif m := _LAST_DAYS.search(folded):
        since = (today - timedelta(days=int(m.group(1)))).isoformat()
    name_words = {w for n in names for w in words(n)}
    terms = []
    for w in words(question):
        ignored = w in _STOP or w in name_words or w in _MOOD or w.isdigit()
        if not ignored and w not in terms:
            terms.append(w)
    return Plan(
        question=question,
        language=language,
        names=names[:3],
        terms=terms[:4],
        since=since,
        until=until,
        mood=any(w in _MOOD for w in words(question)),
        complaint=any(w.startswith(_COMPLAINT) for w in words(question)),
    )


@dataclass
class Findings:
    """What the tools have returned so far in this run, by kind."""

    searches: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    insights: dict[int, dict[str, Any]] = field(default_factory=dict)
    histories: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    hits: list[dict[str, Any]] = field(default_factory=list)
    moods: dict[int, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _content(part: ToolReturnPart) -> Any:
    content = part.content
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return content
    return content


def _base(name: str) -> str:
    """A tool's own name without a server prefix ("wallie_search_clients" -> search_clients)."""
    for known in (
        "search_clients",
        "get_client_insights",
        "get_client",
        "get_conversation_history",
        "search_messages",
        "analyze_sentiment",
    ):
        if name == known or name.endswith("_" + known):
            return known
    return name


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
                call_args = calls.get(request_part.tool_call_id, {})
                _record(findings, _base(request_part.tool_name), call_args, request_part)
    return question, turns, findings


def _record(f: Findings, tool: str, args: dict[str, Any], part: ToolReturnPart) -> None:
    data = _content(part)
    if part.outcome != "success" or not isinstance(data, dict):
        f.failures.append(f"{tool}: {str(data)[:160]}")
        return
    if tool == "search_clients":
        f.searches[str(args.get("query", ""))] = list(data.get("clients", []))
    elif tool == "get_client":
        f.profiles[int(data["id"])] = data
    elif tool == "get_client_insights":
        f.insights[int(data["client_id"])] = data
    elif tool == "get_conversation_history" and data.get("client_id"):
        f.histories[int(data["client_id"])] = list(data.get("messages", []))
    elif tool == "search_messages":
        seen = {h["message_id"] for h in f.hits}
        f.hits.extend(h for h in data.get("hits", []) if h["message_id"] not in seen)
    elif tool == "analyze_sentiment":
        mood = data.get("result", data)
        if isinstance(mood, dict) and "conversation_id" in mood:
            f.moods[int(mood["client_id"])] = mood


def _chosen_clients(plan: Plan, f: Findings) -> list[dict[str, Any]]:
    """The best match of each name searched (clear matches only)."""
    chosen: list[dict[str, Any]] = []
    for name in plan.names:
        hits = f.searches.get(name, [])
        clear = hits and (hits[0].get("match") != "text" or len(hits) == 1)
        if clear and all(c["id"] != hits[0]["id"] for c in chosen):
            chosen.append(hits[0])
    return chosen


def next_calls(
    plan: Plan, turn: int, f: Findings, available: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls of this turn; an empty list means: write the answer."""
    calls: list[tuple[str, dict[str, Any]]] = []
    window = {k: v for k, v in (("since", plan.since), ("until", plan.until)) if v}
    if turn == 0:
        calls += [("search_clients", {"query": n, "limit": 3}) for n in plan.names]
        if plan.terms and not plan.names:
            limit = 20 if plan.complaint else 8
            calls.append(("search_messages", {"query": _query(plan), "limit": limit, **window}))
        if not calls:
            calls.append(("search_messages", {"query": plan.question[:200], "limit": 8, **window}))
    elif turn == 1:
        for client in _chosen_clients(plan, f):
            cid = client["id"]
            if "get_client_insights" in available:
                calls.append(("get_client_insights", {"client_id": cid}))
            calls.append(("get_client", {"client_id": cid}))
            calls.append(("get_conversation_history", {"client_id": cid, "limit": 8}))
            if plan.terms:
                query = _query(plan)
                calls.append(("search_messages", {"query": query, "client_id": cid, "limit": 5}))
        hit_clients: list[int] = []
        for hit in f.hits:
            if hit["client_id"] not in hit_clients:
                hit_clients.append(hit["client_id"])
        calls += [("get_client", {"client_id": c}) for c in hit_clients[:8]]
    elif turn == 2 and plan.mood and "analyze_sentiment" in available:
        for profile in f.profiles.values():
            for conversation in profile.get("open_conversations", [])[:1]:
                calls.append(("analyze_sentiment", {"conversation_id": conversation["id"]}))
    return [(name, args) for name, args in calls if name in available]


def _query(plan: Plan) -> str:
    expanded: list[str] = []
    for term in plan.terms:
        for word in _SYNONYMS.get(term, [term]):
            if word not in expanded:
                expanded.append(word)
    return " ".join(expanded)


def _outcome(profile: dict[str, Any], conversation_id: int, es: bool) -> str:
    """How the conversation of a hit stands, from the client's profile."""
    if not profile:
        return ""
    if any(c["id"] == conversation_id for c in profile.get("open_conversations", [])):
        return "sigue abierta" if es else "still open"
    closed = {k: v for k, v in (profile.get("outcomes") or {}).items() if k != "open"}
    if len(closed) == 1:
        outcome = str(next(iter(closed)))
        if es:
            return "ganada" if outcome == "won" else "perdida" if outcome == "lost" else outcome
        return outcome
    return ", ".join(f"{k} {v}" for k, v in closed.items())


def _day(value: str | None) -> str:
    return value[:10] if value else "?"


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return "«" + (text if len(text) <= limit else text[: limit - 1] + "…") + "»"


def compose(plan: Plan, f: Findings) -> str:
    """The extractive, cited answer, in the question's language."""
    es = plan.language == "es"
    lines = [NOTICE["es" if es else "en"], ""]
    chosen = _chosen_clients(plan, f)
    for name in plan.names:
        if not f.searches.get(name):
            lines.append(
                f"- No encuentro a ningún cliente que coincida con «{name}»."
                if es
                else f"- No client matches “{name}”."
            )
    for client in chosen:
        cid = client["id"]
        profile = f.profiles.get(cid, {})
        insight = f.insights.get(cid, {})
        company = f" ({client['company']})" if client.get("company") else ""
        lines.append(f"**{client['name']}**{company} [client:{cid}]")
        for conv in profile.get("open_conversations", []):
            score = conv.get("success_score")
            last = _day(conv.get("last_message_at"))
            if es:
                line = f"- Conversación abierta por {conv['channel']}"
                line += f", probabilidad de éxito {score:.2f}" if score is not None else ""
                line += f", {conv['message_count']} mensajes; último {last}."
            else:
                line = f"- Open conversation on {conv['channel']}"
                line += f", success score {score:.2f}" if score is not None else ""
                line += f", {conv['message_count']} messages; last {last}."
            lines.append(line)
        outcomes = profile.get("outcomes") or {}
        closed = {k: v for k, v in outcomes.items() if k != "open"}
        if closed:
            text = ", ".join(f"{k} {v}" for k, v in closed.items())
            lines.append(f"- Conversaciones cerradas: {text}." if es else f"- Closed: {text}.")
        history = f.histories.get(cid, [])
        if history:
            lines.append("- Últimos mensajes:" if es else "- Latest messages:")
            for m in history[-4:]:
                who = (
                    ("cliente" if es else "client")
                    if m["direction"] == "inbound"
                    else ("nosotros" if es else "us")
                )
                lines.append(
                    f"  - {_day(m['sent_at'])}, {who}: {_quote(m['text'])} [msg:{m['id']}]"
                )
        mood = (insight.get("latest_mood") or profile.get("latest_mood")) or None
        if mood and mood.get("message_id"):
            trend = insight.get("mood_trend", "")
            label = mood["label"]
            if es:
                label, trend = _ES.get(label, label), _ES.get(trend, trend)
                line = f"- Ánimo del cliente: {label} ({mood['score']:+.2f})"
                line += f", tendencia {trend}" if trend else ""
            else:
                line = f"- Client mood: {label} ({mood['score']:+.2f})"
                line += f", trend {trend}" if trend else ""
            lines.append(f"{line} [msg:{mood['message_id']}].")
        for reason in insight.get("churn_reasons", [])[:3]:
            refs = " ".join(f"[msg:{m}]" for m in reason.get("message_ids", [])[:3])
            lines.append(
                (
                    f"- Señal de riesgo: {reason['text']} "
                    if es
                    else f"- Risk sign: {reason['text']} "
                )
                + refs
            )
        for turn in (f.moods.get(cid) or {}).get("turning_points", [])[-2:]:
            lines.append(
                (
                    f"- Cambio de ánimo ({turn['change']}) en "
                    if es
                    else f"- Mood {turn['change']} at "
                )
                + f"[msg:{turn['message_id']}]"
            )
        lines.append("")
    chosen_ids = {c["id"] for c in chosen}
    topic_hits = [h for h in f.hits if not chosen or h["client_id"] in chosen_ids]
    if plan.complaint:  # complaints are what clients wrote, one line per client
        topic_hits = [h for h in topic_hits if h["direction"] == "inbound"]
        firsts: dict[int, dict[str, Any]] = {}
        for hit in topic_hits:
            firsts.setdefault(hit["client_id"], hit)
        topic_hits = list(firsts.values())
    if topic_hits:
        scope = " ".join(plan.terms) or plan.question
        when = ""
        if plan.since:
            when = f" desde {plan.since}" if es else f" since {plan.since}"
        lines.append(
            f"Mensajes sobre «{scope}»{when}:" if es else f"Messages about “{scope}”{when}:"
        )
        for hit in topic_hits[:8]:
            state = _outcome(f.profiles.get(hit["client_id"], {}), hit["conversation_id"], es)
            state = (f" — resultado: {state}" if es else f" — outcome: {state}") if state else ""
            lines.append(
                f"- {hit['client_name']} [client:{hit['client_id']}], {_day(hit['sent_at'])}: "
                f"{_quote(hit['snippet'])} [msg:{hit['message_id']}]{state}"
            )
    elif not chosen:
        lines.append(
            "No he encontrado mensajes que respondan a la pregunta."
            if es
            else "I found no messages that answer the question."
        )
    if f.failures:
        lines.append("")
        lines.append(
            ("Herramientas con error: " if es else "Tools that failed: ")
            + "; ".join(f.failures[:3])
        )
    return "\n".join(lines).strip() + "\n"


def _respond(messages: list[ModelMessage], info: AgentInfo) -> tuple[list[Any], str]:
    question, turn, findings = read_findings(messages)
    available = {_base(t.name): t.name for t in info.function_tools}
    plan = plan_question(question)
    calls = next_calls(plan, turn, findings, set(available))
    if calls:
        return [(available[name], args) for name, args in calls], ""
    retry = _last_retry(messages)
    text = compose(plan, findings)
    if retry:  # the citation check sent us back: drop any marker it did not accept
        for bad in re.findall(r"\[(?:msg|client|conversation):\d+\]", retry):
            text = text.replace(bad, "")
    return [], text


def _last_retry(messages: list[ModelMessage]) -> str:
    last = messages[-1] if messages else None
    if isinstance(last, ModelRequest):
        for part in last.parts:
            if getattr(part, "part_kind", "") == "retry-prompt":
                return str(getattr(part, "content", ""))
    return ""


def _function(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    calls, text = _respond(messages, info)
    if calls:
        return ModelResponse(
            parts=[
                ToolCallPart(name, args, tool_call_id=f"r{i}")
                for i, (name, args) in enumerate(calls)
            ]
        )
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
    # Stream line by line, as a model would stream tokens.
    for line in text.splitlines(keepends=True):
        yield line


class RetrievalModel(FunctionModel):
    """The no-LLM model: real tool calls, then an extractive, cited answer."""

    def __init__(self) -> None:
        super().__init__(_function, stream_function=_stream, model_name="wallie-retrieval")
