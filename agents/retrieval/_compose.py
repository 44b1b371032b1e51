"""The retrieval-only answer: an extractive, cited summary in the question's language."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from agents.retrieval._findings import Findings
from agents.retrieval._question import Language, Plan
from tools.schemas import ClientHit, ClientInsights, ClientProfile, Fact, MessageHit

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


def _client(w: _Writer, client: ClientHit, f: Findings) -> None:
    profile = f.profiles.get(client.id)
    insight = f.insights.get(client.id)
    company = f" ({client.company})" if client.company else ""
    w.lines.append(f"**{client.name}**{company} [client:{client.id}]")
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
    if history := f.histories.get(client.id, []):
        w.say("latest_messages")
        for m in history[-4:]:
            who = w.t["from_client"] if m.direction == "inbound" else w.t["from_us"]
            w.say("latest_message", day=_day(m.sent_at), who=who, quote=quote(m.text), id=m.id)
    mood = (insight.latest_mood if insight else None) or (profile.latest_mood if profile else None)
    if mood and mood.message_id:
        trend = w.t["mood_trend"].format(trend=w.word(insight.mood_trend)) if insight else ""
        w.say("mood", label=w.word(mood.label), score=mood.score, trend=trend, id=mood.message_id)
    if insight:
        for reason in insight.churn_reasons[:3]:
            refs = " ".join(f"[msg:{m}]" for m in reason.message_ids[:3])
            w.say("risk", reason=w.risk(reason, insight), refs=refs)
    moods = f.moods.get(client.id)
    for turn in moods.turning_points[-2:] if moods else []:
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
    chosen_ids = {c.id for c in chosen}
    hits = [h for h in f.hits if not chosen or h.client_id in chosen_ids]
    if plan.complaint:  # complaints are what clients wrote, one line per client
        firsts: dict[int, MessageHit] = {}
        for hit in hits:
            if hit.direction == "inbound":
                firsts.setdefault(hit.client_id, hit)
        hits = list(firsts.values())
    return hits


def compose(plan: Plan, f: Findings) -> str:
    """The extractive, cited answer, in the question's language."""
    w = _Writer(plan.language)
    chosen = f.chosen(plan.names)
    for name in plan.names:
        if not f.searches.get(name):
            w.say("no_client", name=name)
    for client in chosen:
        _client(w, client, f)
    if hits := _topic_hits(plan, f, chosen):
        when = w.t["since"].format(day=plan.since) if plan.since else ""
        w.say("messages_about", scope=" ".join(plan.terms) or plan.question, when=when)
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
    elif not chosen:
        w.say("nothing_found")
    if f.failures:
        w.lines.append("")
        w.say("failed_tools", failures="; ".join(f.failures[:3]))
    return "\n".join(w.lines).strip() + "\n"
