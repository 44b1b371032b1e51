"""The retrieval-only answer: an extractive, cited summary in the question's language."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from agents.retrieval._findings import Findings
from agents.retrieval._question import Language, Plan
from tools.schemas import (
    LEANING,
    ClientHit,
    ClientInsights,
    ClientList,
    ClientProfile,
    ConversationList,
    Fact,
    MessageHit,
    PipelineSummary,
)

MESSAGES = Path(__file__).parent / "messages"


@cache
def table(language: Language) -> dict[str, Any]:
    """The phrases of one language (`messages/<language>.toml`)."""
    with (MESSAGES / f"{language}.toml").open("rb") as file:
        return tomllib.load(file)


def quote(text: str, limit: int = 160) -> str:
    """`text` on one line, cut to `limit` characters, in «» quotes."""
    text = " ".join(text.split())
    return "«" + (text if len(text) <= limit else text[: limit - 1] + "…") + "»"


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "?"


class _Writer:
    """One answer's lines, phrased from one language's table."""

    def __init__(self, language: Language) -> None:
        self.t = table(language)
        self.lines: list[str] = [self.t["notice"], ""]

    def say(self, key: str, **values: Any) -> None:
        self.lines.append(self.t[key].format(**values))

    def word(self, value: str) -> str:
        words: dict[str, str] = self.t["words"]
        return words.get(value, value)

    def outcomes(self, counts: dict[str, int]) -> str:
        return ", ".join(f"{self.word(k)} {v}" for k, v in counts.items() if k != "open")

    def risk(self, fact: Fact, insight: ClientInsights) -> str:
        risks: dict[str, str] = self.t["risks"]
        score = insight.latest_mood.score if insight.latest_mood else 0.0
        phrase = risks.get(fact.kind, risks["other"])
        return phrase.format(kind=fact.kind, count=len(fact.message_ids), score=score)


def _client(w: _Writer, plan: Plan, client: ClientHit, f: Findings) -> None:
    profile = f.profiles.get(client.id)
    insight = f.insights.get(client.id)
    company = f" ({client.company})" if client.company else ""
    w.lines.append(f"**{client.name}**{company} [client:{client.id}]")
    if plan.contact and profile:
        missing = w.t["not_on_file"]
        w.say("contact", phone=profile.phone or missing, email=profile.email or missing)
    for conv in profile.open_conversations if profile else []:
        score = conv.success_score
        w.say(
            "open_conversation",
            channel=conv.channel,
            score=w.t["success_score"].format(score=score) if score is not None else "",
            count=conv.message_count,
            last=_day(conv.last_message_at),
        )
    if profile and (closed := w.outcomes(profile.outcomes)):
        w.say("closed", outcomes=closed)
    history = f.histories.get(client.id, [])
    # A time frame in the question: only what was said in it is told and cited.
    framed = bool(plan.start or plan.end)
    shown = {m.id for m in history} if framed else None
    if framed:
        w.say("messages_in_frame" if history else "no_messages_in_frame", when=_when(w, plan))
    elif history:
        w.say("latest_messages")
    for m in history[-4:] if not framed else history[-8:]:
        who = w.t["from_client"] if m.direction == "inbound" else w.t["from_us"]
        w.say("latest_message", day=_day(m.sent_at), who=who, quote=quote(m.text), id=m.id)
    mood = (insight.latest_mood if insight else None) or (profile.latest_mood if profile else None)
    reasons = insight.churn_reasons[:3] if insight else []
    if shown is not None:
        reasons = [r for r in reasons if set(r.message_ids) & shown]
    if mood and mood.message_id and (shown is None or mood.message_id in shown):
        trend = w.t["mood_trend"].format(trend=w.word(insight.mood_trend)) if insight else ""
        label = mood.label
        if label == "neutral" and (
            mood.score <= -LEANING or any(r.kind == "negative_mood" for r in reasons)
        ):
            label = "neutral_low"  # the model's label, but low enough to be a risk sign
        elif label == "neutral" and mood.score >= LEANING:
            label = "neutral_high"
        w.say("mood", label=w.word(label), score=mood.score, trend=trend, id=mood.message_id)
    for reason in reasons:
        ids = [m for m in reason.message_ids if shown is None or m in shown]
        refs = " ".join(f"[msg:{m}]" for m in ids[:3])
        if insight is not None:
            w.say("risk", reason=w.risk(reason, insight), refs=refs)
    moods = f.moods.get(client.id)
    for turn in moods.turning_points[-2:] if moods else []:
        if shown is None or turn.message_id in shown:
            w.say("turning_point", change=w.word(turn.change), id=turn.message_id)
    w.lines.append("")


def _state(w: _Writer, profile: ClientProfile | None, conversation_id: int) -> str:
    """How the conversation of a hit stands, from the client's profile."""
    if profile is None:
        return ""
    if any(c.id == conversation_id for c in profile.open_conversations):
        return str(w.t["still_open"])
    closed = {k: v for k, v in profile.outcomes.items() if k != "open"}
    return w.word(next(iter(closed))) if len(closed) == 1 else w.outcomes(closed)


def _topic_hits(plan: Plan, f: Findings, chosen: list[ClientHit]) -> list[MessageHit]:
    hits = f.topic_hits(plan.stems([] if chosen else plan.name_terms), {c.id for c in chosen})
    if plan.complaint:  # complaints are what clients wrote, one line per client
        firsts: dict[int, MessageHit] = {}
        for hit in hits:
            if hit.direction == "inbound":
                firsts.setdefault(hit.client_id, hit)
        hits = list(firsts.values())
    return hits


def _ambiguity(w: _Writer, plan: Plan, f: Findings) -> None:
    """Say when one name fits several clients, with each one's id."""
    for lookup in plan.lookups:
        guessed = lookup in plan.guesses
        matches = f.matches(lookup, guessed=guessed)
        if len(matches) > 1:
            who = ", ".join(f"{c.name} [client:{c.id}]" for c in matches[:5])
            w.say("ambiguous", count=len(matches), name=lookup, clients=who)
        elif not matches and not guessed:  # a capitalised word may be a product: say so
            w.say(
                "no_client_searched" if f.hits and lookup in plan.names else "no_client",
                name=lookup,
            )


def _standing(client: ClientHit, f: Findings) -> tuple[float, float, int]:
    """How close a client is to closing: best open success score, mood, open deals."""
    profile = f.profiles.get(client.id)
    insight = f.insights.get(client.id)
    opened = profile.open_conversations if profile else []
    best = max((c.success_score or 0.0 for c in opened), default=-1.0)
    mood = insight.latest_mood if insight else (profile.latest_mood if profile else None)
    return best, mood.score if mood else 0.0, len(opened)


def _verdict(w: _Writer, clients: list[ClientHit], f: Findings) -> None:
    """Rank the compared clients and say who is ahead, and why, from cited facts."""
    ranked = sorted(clients, key=lambda c: _standing(c, f), reverse=True)
    first, second = ranked[0], ranked[1]
    (a, mood_a, _), (b, mood_b, _) = _standing(first, f), _standing(second, f)
    values = {
        "winner": first.name,
        "wid": first.id,
        "other": second.name,
        "oid": second.id,
        "a": a,
        "b": b,
        "mood_a": mood_a,
        "mood_b": mood_b,
    }
    if a < 0 and b < 0:
        w.say("verdict_none", **values)
    elif a != b:
        w.say("verdict_score" if b >= 0 else "verdict_only_open", **values)
    else:
        w.say("verdict_mood", **values)
    for rank, client in enumerate(ranked[2:], 3):
        score, mood, _ = _standing(client, f)
        w.say("verdict_rank", rank=rank, name=client.name, id=client.id, a=score, mood_a=mood)
    w.lines.append("")


def _more(w: _Writer, total: int, shown: int) -> None:
    if total > shown:
        w.say("more", rest=total - shown, total=total)


def _client_rows(w: _Writer, result: ClientList) -> None:
    for row in result.clients:
        mood = row.latest_mood
        w.say(
            "client_row",
            name=row.name,
            company=f" ({row.company})" if row.company else "",
            id=row.client_id,
            last=_day(row.last_contact_at),
            mood=w.t["row_mood"].format(label=w.word(mood.label), id=mood.message_id)
            if mood and mood.message_id
            else "",
            waiting=w.t["row_waiting"].format(
                count=len(row.unanswered_message_ids), id=row.unanswered_message_ids[-1]
            )
            if row.unanswered_message_ids
            else "",
            risks=w.t["row_risks"].format(
                signs=", ".join(w.t["risk_kinds"].get(s.kind, s.kind) for s in row.risk_signs)
            )
            if row.churn_risk and row.risk_signs
            else "",
        )
    _more(w, result.total, len(result.clients))


def _filters(w: _Writer, filters: dict[str, Any]) -> str:
    """The filters a list tool applied, in the answer's language."""
    names: dict[str, str] = w.t["filters"]
    said = [
        f"{names.get(k, k)}: {w.word(str(v).lower())}"
        for k, v in filters.items()
        if k
        not in (
            "churn_risk",
            "last_contact_after",
            "last_contact_before",
            "since",
            "until",
            "messages_since",
            "messages_until",
        )
    ]
    return f" ({'; '.join(said)})" if said else ""


def _client_list(w: _Writer, plan: Plan, result: ClientList) -> None:
    when = _when(w, plan) + _filters(w, result.filters)
    if plan.end and not plan.start:  # "in over a month": no contact since the cut-off
        when = w.t["quiet_since"].format(day=plan.end.isoformat()) + _filters(w, result.filters)
    if result.filters.get("churn_risk"):
        w.say("risk_header", total=result.total, when=when)
    elif plan.count:
        w.say("count_clients", total=result.total, when=when)
    else:
        w.say("clients_header", total=result.total, when=when)
    _client_rows(w, result)


def _conversation_list(w: _Writer, plan: Plan, result: ConversationList) -> None:
    w.say("deals_header", total=result.total, when=_when(w, plan) + _filters(w, result.filters))
    for row in result.conversations:
        score = row.success_score
        w.say(
            "deal_row",
            name=row.client_name,
            id=row.client_id,
            channel=row.channel,
            outcome=w.word(row.outcome),
            score=w.t["success_score"].format(score=score) if score is not None else "",
            last=_day(row.last_message_at),
            msg=f" [msg:{row.last_message_id}]" if row.last_message_id else "",
        )
    _more(w, result.total, len(result.conversations))


def _pipeline(w: _Writer, plan: Plan, result: PipelineSummary) -> None:
    buckets = sorted(result.by_outcome, key=lambda b: b.outcome != plan.outcome)
    if plan.outcome:
        buckets = [b for b in buckets if b.outcome == plan.outcome] or buckets
    if not buckets:
        w.say("count_none", when=_when(w, plan))
    for bucket in buckets:
        refs = " ".join(f"[client:{c}]" for c in bucket.client_ids[:5])
        w.say(
            "count_outcome",
            outcome=w.word(bucket.outcome),
            conversations=bucket.conversations,
            clients=bucket.clients,
            when=_when(w, plan),
            refs=refs,
        )


def _when(w: _Writer, plan: Plan) -> str:
    if plan.start and plan.end:
        return str(w.t["between"].format(start=plan.since, end=plan.until))
    if plan.end and not plan.start:  # "more than a month ago": before the cut-off
        return str(w.t["before"].format(day=plan.end.isoformat()))
    return str(w.t["since"].format(day=plan.since)) if plan.since else ""


def compose(plan: Plan, f: Findings) -> str:
    """The extractive, cited answer, in the question's language."""
    w = _Writer(plan.language)
    chosen = f.chosen(plan.lookups, plan.client_ids, plan.guesses)
    _ambiguity(w, plan, f)
    if plan.intent == "compare" and len(chosen) >= 2:
        _verdict(w, chosen, f)
    for client in chosen:
        _client(w, plan, client, f)
    for pipeline in f.pipelines:
        _pipeline(w, plan, pipeline)
    for client_list in f.client_lists:
        _client_list(w, plan, client_list)
    for conversation_list in f.conversation_lists:
        _conversation_list(w, plan, conversation_list)
    listed = f.pipelines or f.client_lists or f.conversation_lists
    if hits := _topic_hits(plan, f, chosen):
        scope = " ".join(plan.terms or plan.name_terms) or plan.question
        w.say("messages_about", scope=scope, when=_when(w, plan))
        for hit in hits[:8]:
            state = _state(w, f.profiles.get(hit.client_id), hit.conversation_id)
            w.say(
                "hit",
                client=hit.client_name,
                client_id=hit.client_id,
                day=_day(hit.sent_at),
                quote=quote(hit.snippet),
                id=hit.message_id,
                state=w.t["outcome"].format(state=state) if state else "",
            )
        if len(hits) > 8:
            w.say("more_hits", rest=len(hits) - 8, total=len(hits))
    elif not chosen and not listed:
        w.say("nothing_found")
    failures = f.failures
    if plan.industry and (f.client_lists or f.conversation_lists or f.pipelines):
        # The first spelling was not the book's; the stored one answered.
        failures = [x for x in failures if "is not known; known:" not in x]
    if failures:
        w.lines.append("")
        w.say("failed_tools", failures="; ".join(failures[:3]))
    return "\n".join(w.lines).strip() + "\n"
