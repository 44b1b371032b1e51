"""The agent evaluation's questions and their right answers, derived from the database by SQL."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tools.db import Database

# -- the truth, from SQL -------------------------------------------------------------


@dataclass
class Truth:
    """What the database says about the owner's book, loaded once."""

    owner: int
    clients: dict[int, Any]  # id -> row(name, phone_digits, email, industry)
    messages: dict[int, Any]  # id -> row(client_id, direction, sent_at, text)
    conversations: list[Any]
    at_risk: set[int]
    now: datetime
    waiting: set[int] = field(default_factory=set)  # list_clients(unanswered=True)

    def topic(self, patterns: list[str]) -> set[int]:
        """Messages whose text contains any pattern (SQL LIKE style, case-insensitive)."""
        subs = [p.strip("%").casefold() for p in patterns]
        return {i for i, m in self.messages.items() if any(s in m.text.casefold() for s in subs)}


async def truth(db: Database, owner: int) -> Truth:
    """Load the rows every expectation is computed from."""
    from tools import lists
    from tools.models import Conversation, Message

    async with db.connect() as conn:
        clients = {
            r.id: r
            for r in await conn.execute(
                sa.text(
                    "SELECT id, name, phone_digits, email, industry FROM client WHERE owner_id = :o"
                ),
                {"o": owner},
            )
        }
        rows = await conn.execute(
            sa.select(
                Message.id, Message.client_id, Message.direction, Message.sent_at, Message.text
            ).where(Message.owner_id == owner)
        )
        messages = {r.id: r for r in rows}
        conversations = list(
            (
                await conn.execute(
                    sa.select(
                        Conversation.id,
                        Conversation.client_id,
                        Conversation.outcome,
                        Conversation.success_score,
                        Conversation.last_message_at,
                    ).where(Conversation.owner_id == owner)
                )
            ).all()
        )

    async def every(**filters: Any) -> set[int]:
        page = await lists.list_clients(db, owner, limit=100, **filters)
        found = {r.client_id for r in page.clients}
        while page.next_cursor:
            page = await lists.list_clients(
                db, owner, limit=100, cursor=page.next_cursor, **filters
            )
            found |= {r.client_id for r in page.clients}
        return found

    at_risk = await every(churn_risk=True)
    waiting = await every(unanswered=True)
    return Truth(owner, clients, messages, conversations, at_risk, datetime.now(UTC), waiting)


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c)
    )


@dataclass
class Case:
    """One question with its derived expectation."""

    kind: str
    lang: str
    question: str
    expect: str
    clients: set[int] = field(default_factory=set)  # the clients the answer is about
    messages: set[int] = field(default_factory=set)
    number: int | None = None
    winner: int | None = None
    numbers: set[int] = field(default_factory=set)  # other right numbers (conversations/clients)


def _eligible(t: Truth) -> list[int]:
    """Clients with a unique name, a phone and an open conversation, in id order."""
    names: dict[str, int] = {}
    for c in t.clients.values():
        names[_fold(c.name)] = names.get(_fold(c.name), 0) + 1
    open_clients = {c.client_id for c in t.conversations if c.outcome == "open"}
    return sorted(
        i
        for i, c in t.clients.items()
        if names[_fold(c.name)] == 1 and c.phone_digits and i in open_clients
    )


def _typo(name: str) -> str:
    """The name with accents dropped and two letters of the surname swapped."""
    parts = _fold(name).split()
    surname = parts[1] if len(parts) > 1 else parts[0]
    k = len(surname) // 2
    swapped = surname[: k - 1] + surname[k] + surname[k - 1] + surname[k + 1 :]
    parts[1 if len(parts) > 1 else 0] = swapped
    return " ".join(p.capitalize() for p in parts[:2])


def _phone(digits: str) -> str:
    """A phone as a person would type it (national form for Spain)."""
    if digits.startswith("34") and len(digits) == 11:
        n = digits[2:]
        return f"{n[:3]} {n[3:6]} {n[6:]}"
    return f"+{digits}"


def _month_start(now: datetime, back: int = 0) -> datetime:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(back):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def build_cases(spec: dict[str, Any], t: Truth) -> list[Case]:
    """Every question of the spec with its expectation filled in from the truth."""
    eligible = _eligible(t)
    best: dict[int, float] = {}
    for c in t.conversations:
        if c.outcome == "open" and c.success_score is not None:
            best[c.client_id] = max(best.get(c.client_id, 0.0), c.success_score)
    pairs = [
        (a, b)
        for a, b in zip(eligible[20::2], eligible[21::2], strict=False)
        if abs(best.get(a, 0) - best.get(b, 0)) >= 0.05
    ]
    today = t.now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=today.weekday())
    cases: list[Case] = []
    for q in spec["questions"]:
        pick, *arg = q["pick"].split()
        case = Case(q["kind"], q["lang"], q["q"], q["expect"])
        values: dict[str, str] = {}
        if pick == "client":
            cid = eligible[(int(arg[0]) * 7) % len(eligible)]
            c = t.clients[cid]
            values = {"name": c.name, "phone": _phone(c.phone_digits), "typo": _typo(c.name)}
            case.clients = {cid}
        elif pick == "pair":
            a, b = pairs[int(arg[0]) % len(pairs)]
            values = {"a": t.clients[a].name, "b": t.clients[b].name}
            case.clients = {a, b}
            case.winner = a if best.get(a, 0) > best.get(b, 0) else b
        elif pick == "topic":
            case.messages = t.topic(spec["topics"][arg[0]])
            case.clients = {t.messages[i].client_id for i in case.messages}
        elif pick == "at_risk":
            case.clients = set(t.at_risk)
        elif pick in ("count", "list"):
            case.clients = _selection(arg[0], t, today, week)
            case.number = len(case.clients) if arg[0] != "open" else None
            if arg[0] == "open":
                case.number = sum(1 for c in t.conversations if c.outcome == "open")
        case.question = q["q"].format(**values)
        cases.append(case)
    return cases


def _selection(name: str, t: Truth, today: datetime, week: datetime) -> set[int]:
    month = _month_start(t.now)
    last_month = _month_start(t.now, 1)
    conv = t.conversations
    if name == "open":
        return {c.client_id for c in conv if c.outcome == "open"}
    if name == "clients":
        return set(t.clients)
    if name == "won_this_month":
        return {c.client_id for c in conv if c.outcome == "won" and c.last_message_at >= month}
    if name == "lost_last_month":
        return {
            c.client_id
            for c in conv
            if c.outcome == "lost" and last_month <= c.last_message_at < month
        }
    if name == "unanswered":
        open_ids = {c.id for c in conv if c.outcome == "open"}
        waiting = set()
        for c in conv:
            if c.id in open_ids:
                last = max(
                    (m for m in t.messages.values() if m.client_id == c.client_id),
                    key=lambda m: (m.sent_at, m.id),
                )
                if last.direction == "inbound":
                    waiting.add(c.client_id)
        return waiting
    if name == "talked_yesterday":
        start = today - timedelta(days=1)
        return {m.client_id for m in t.messages.values() if start <= m.sent_at < today}
    if name == "wrote_last_week":
        return {
            m.client_id
            for m in t.messages.values()
            if m.direction == "inbound" and week - timedelta(days=7) <= m.sent_at < week
        }
    raise ValueError(f"unknown selection {name!r}")
