"""Owner-scoped reads behind the MCP tools: clients, histories and message retrieval."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.models import Channel, Client, Conversation, Message, UTCDateTime
from tools.schemas import (
    ClientHit,
    ClientPage,
    ClientProfile,
    ConversationSummary,
    HistoryPage,
    MessageHit,
    MessageOut,
    MessageSearchResult,
    Mood,
    clip,
)
from tools.search import _embeddings as embeddings
from tools.search import query_terms
from tools.search._embeddings import Embedder
from tools.search._fts import fuzzy_clients, rank_messages
from tools.text import fold, phone_digits, query_digits, words

MAX_QUERY = 200
CHANNELS = tuple(c.value for c in Channel)

# -- cursors and argument checks ---------------------------------------------


def encode_cursor(payload: dict[str, Any]) -> str:
    """An opaque cursor for `payload`."""
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> dict[str, Any]:
    """The payload of a cursor this module made for `kind`, or InvalidArgument."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or payload.get("k") != kind:
            raise ValueError(kind)
        return payload
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument(
            f"cursor {cursor[:40]!r} is not one returned by this tool; "
            "pass the `next_cursor` of a previous page, or omit it for the first page"
        ) from None


def _check_limit(limit: int, high: int) -> None:
    if not 1 <= limit <= high:
        raise InvalidArgument(f"limit must be between 1 and {high}, got {limit}")


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise InvalidArgument(f"channel {channel!r} is not one of: {', '.join(CHANNELS)}")


def parse_when(value: str, name: str, *, end_of_day: bool = False) -> datetime:
    """An ISO-8601 date or time as UTC; a bare date means its start (or end) of day."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidArgument(
            f"{name} must be an ISO-8601 date or time (2026-11-01 or 2026-11-01T09:30:00Z), "
            f"got {value!r}"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- clients -----------------------------------------------------------------


async def search_clients(
    db: Database, owner_id: int, query: str, limit: int = 10, cursor: str | None = None
) -> ClientPage:
    """Clients matching `query` by name, email, phone or company; best matches first."""
    query = (query or "").strip()
    if not query:
        raise InvalidArgument("query must not be empty: give a name, email, phone or company")
    if len(query) > MAX_QUERY:
        raise InvalidArgument(f"query is longer than {MAX_QUERY} characters")
    _check_limit(limit, 50)
    offset = int(decode_cursor(cursor, "clients")["o"]) if cursor else 0

    terms = words(query)
    digits = query_digits(query)
    if not terms and not digits:
        raise InvalidArgument(f"query {query!r} has no letters or digits to search for")
    q = " ".join(terms)
    params: dict[str, Any] = {
        "owner": owner_id,
        "q": q,
        "q_prefix": _like_escape(q) + "%",
        "limit": limit + 1,
        "offset": offset,
    }
    # Tiers: 0 exact name or phone, 1 name starts with the query, 2 every word starts a
    # word of the name, 3 anything else (email, company, industry, tags, partial phone).
    word_conds = []
    for i, term in enumerate(terms):
        params[f"w{i}"] = "% " + _like_escape(term) + "%"
        word_conds.append(f"(' ' || c.search_name) LIKE :w{i} ESCAPE '\\'")
    tier2 = " AND ".join(word_conds) if word_conds else "0=1"
    match_conds = []
    if terms:
        if db.dialect == "sqlite":
            params["fts"] = " ".join(f'"{t}"*' for t in terms)
            match_conds.append("c.id IN (SELECT rowid FROM client_fts WHERE client_fts MATCH :fts)")
        else:
            params["fts"] = " & ".join(f"{t}:*" for t in terms)
            match_conds.append(
                "to_tsvector('simple'::regconfig, c.search_text) "
                "@@ to_tsquery('simple'::regconfig, :fts)"
            )
    phone_exact = "0=1"
    if digits:
        # "0034 600..." and "+34 600..." are the same number; a national "0" prefix
        # ("07700 900123") is dropped inside an E.164 number, so match without it too.
        core = digits[2:] if digits.startswith("00") else digits
        core = core[1:] if core.startswith("0") and len(core) >= 9 else core
        params["e164"] = phone_digits(query) or digits
        if db.dialect == "sqlite":
            # A trigram index finds digits anywhere in the number without a table scan.
            params["digits"] = f'"{core}"'
            match_conds.append(
                "(c.id IN (SELECT rowid FROM client_phone_fts WHERE client_phone_fts MATCH :digits)"
                " OR c.phone_digits = :e164)"
            )
        else:
            params["digits"] = "%" + core + "%"  # served by the pg_trgm index
            match_conds.append("(c.phone_digits LIKE :digits OR c.phone_digits = :e164)")
        phone_exact = "c.phone_digits = :e164"
    sql = f"""
        SELECT c.id, c.name, c.company, c.email, c.phone, c.last_contact_at,
            CASE
                WHEN {phone_exact} OR c.search_name = :q THEN 0
                WHEN c.search_name LIKE :q_prefix ESCAPE '\\' THEN 1
                WHEN {tier2} THEN 2
                ELSE 3
            END AS tier
        FROM client c
        WHERE c.owner_id = :owner AND ({" OR ".join(match_conds)})
        ORDER BY tier, c.last_contact_at DESC NULLS LAST, c.id
        LIMIT :limit OFFSET :offset
    """
    stmt = sa.text(sql).columns(
        sa.column("id"),
        sa.column("name"),
        sa.column("company"),
        sa.column("email"),
        sa.column("phone"),
        sa.column("last_contact_at", UTCDateTime()),
        sa.column("tier"),
    )
    async with db.connect() as conn:
        rows = (await conn.execute(stmt, params)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        if not more and offset == 0 and terms and not digits:
            # Few or no literal matches: add names spelt alike ("Muños" for "Muñoz").
            found = {r.id for r in rows}
            rows += [
                r for r in await fuzzy_clients(conn, db.dialect, owner_id, q) if r.id not in found
            ][: limit - len(rows)]
        channels = await _channels(conn, [r.id for r in rows])
    tiers = {0: "exact", 1: "name_prefix", 2: "name_words", 3: "text", 4: "fuzzy"}
    hits = [
        ClientHit(
            id=r.id,
            name=r.name,
            company=r.company,
            email=r.email,
            phone=r.phone,
            channels=sorted(channels.get(r.id, {})),
            conversation_count=sum(channels.get(r.id, {}).values()),
            last_contact_at=r.last_contact_at,
            match=tiers[r.tier],
        )
        for r in rows
    ]
    next_cursor = encode_cursor({"k": "clients", "o": offset + limit}) if more else None
    return ClientPage(query=query, clients=hits, next_cursor=next_cursor)


async def _channels(conn: Any, client_ids: list[int]) -> dict[int, dict[str, int]]:
    """Conversation counts per channel for each client."""
    if not client_ids:
        return {}
    rows = await conn.execute(
        sa.select(Conversation.client_id, Conversation.channel, sa.func.count())
        .where(Conversation.client_id.in_(client_ids))
        .group_by(Conversation.client_id, Conversation.channel)
    )
    found: dict[int, dict[str, int]] = {}
    for client_id, channel, count in rows.all():
        found.setdefault(client_id, {})[channel] = count
    return found


async def _client_row(conn: Any, owner_id: int, client_id: int) -> Any:
    row = (
        await conn.execute(
            sa.select(Client).where(Client.id == client_id, Client.owner_id == owner_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"no client with id {client_id}; use search_clients to find a client's id")
    return row


async def get_client(db: Database, owner_id: int, client_id: int) -> ClientProfile:
    """A client's profile with counts, channels, contact times and open conversations."""
    async with db.connect() as conn:
        client = await _client_row(conn, owner_id, client_id)
        conversations = await _conversation_summaries(conn, owner_id, client_id=client_id)
        by_direction = (
            await conn.execute(
                sa.select(
                    Message.direction,
                    sa.func.count(),
                    sa.func.min(Message.sent_at),
                    sa.func.max(Message.sent_at),
                )
                .where(Message.client_id == client_id, Message.owner_id == owner_id)
                .group_by(Message.direction)
            )
        ).all()
        mood_row = (
            await conn.execute(
                sa.select(
                    Message.id, Message.sentiment_label, Message.sentiment_score, Message.sent_at
                )
                .where(
                    Message.client_id == client_id,
                    Message.owner_id == owner_id,
                    Message.direction == "inbound",
                    Message.sentiment_label.is_not(None),
                )
                .order_by(Message.sent_at.desc(), Message.id.desc())
                .limit(1)
            )
        ).first()
    counts = {d: n for d, n, _, _ in by_direction}
    firsts = [f for _, _, f, _ in by_direction if f is not None]
    outcomes: dict[str, int] = {}
    for c in conversations:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    return ClientProfile(
        id=client.id,
        name=client.name,
        email=client.email,
        phone=client.phone,
        phone_e164=f"+{client.phone_digits}" if client.phone_digits else None,
        company=client.company,
        industry=client.industry,
        tags=list(client.tags or []),
        notes=client.notes,
        channels=sorted({c.channel for c in conversations}),
        conversation_count=len(conversations),
        message_count=sum(counts.values()),
        inbound_count=counts.get("inbound", 0),
        outbound_count=counts.get("outbound", 0),
        first_contact_at=min(firsts) if firsts else None,
        last_contact_at=client.last_contact_at,
        outcomes=outcomes,
        open_conversations=[c for c in conversations if c.outcome == "open"],
        latest_mood=Mood(
            label=mood_row.sentiment_label,
            score=mood_row.sentiment_score,
            message_id=mood_row.id,
            sent_at=mood_row.sent_at,
        )
        if mood_row
        else None,
    )


async def _conversation_summaries(
    conn: Any, owner_id: int, *, client_id: int | None = None, conversation_id: int | None = None
) -> list[ConversationSummary]:
    counts = (
        sa.select(Message.conversation_id, sa.func.count().label("n"))
        .where(Message.owner_id == owner_id)
        .group_by(Message.conversation_id)
    )
    if client_id is not None:
        counts = counts.where(Message.client_id == client_id)
    if conversation_id is not None:
        counts = counts.where(Message.conversation_id == conversation_id)
    sub = counts.subquery()
    conv = Conversation.__table__
    stmt = (
        sa.select(conv, sa.func.coalesce(sub.c.n, 0).label("message_count"))
        .outerjoin(sub, sub.c.conversation_id == conv.c.id)
        .where(conv.c.owner_id == owner_id)
        .order_by(conv.c.last_message_at.desc().nulls_last(), conv.c.id)
    )
    if client_id is not None:
        stmt = stmt.where(conv.c.client_id == client_id)
    if conversation_id is not None:
        stmt = stmt.where(conv.c.id == conversation_id)
    rows = (await conn.execute(stmt)).all()
    return [ConversationSummary.model_validate(dict(r._mapping)) for r in rows]


async def get_conversation(
    db: Database, owner_id: int, conversation_id: int
) -> ConversationSummary:
    """One conversation's summary, or NotFound."""
    async with db.connect() as conn:
        found = await _conversation_summaries(conn, owner_id, conversation_id=conversation_id)
    if not found:
        raise NotFound(
            f"no conversation with id {conversation_id}; get_client lists a client's conversations"
        )
    return found[0]


# -- history -----------------------------------------------------------------


def _message_out(row: Any) -> MessageOut:
    text, cut = clip(row.text)
    return MessageOut(
        id=row.id,
        conversation_id=row.conversation_id,
        client_id=row.client_id,
        channel=row.channel,
        direction=row.direction,
        sender=row.sender,
        sent_at=row.sent_at,
        text=text,
        truncated=cut,
    )


async def conversation_history(
    db: Database,
    owner_id: int,
    *,
    client_id: int | None = None,
    conversation_id: int | None = None,
    limit: int = 50,
    before: str | None = None,
    channel: str | None = None,
) -> HistoryPage:
    """A page of messages in time order, newest page first; `before` pages back."""
    if (client_id is None) == (conversation_id is None):
        raise InvalidArgument(
            "give exactly one of client_id or conversation_id "
            "(search_clients finds a client_id; get_client lists conversation ids)"
        )
    _check_limit(limit, 200)
    _check_channel(channel)
    m = Message.__table__
    stmt = sa.select(m).where(m.c.owner_id == owner_id)
    async with db.connect() as conn:
        if client_id is not None:
            await _client_row(conn, owner_id, client_id)
            stmt = stmt.where(m.c.client_id == client_id)
        else:
            exists = await conn.scalar(
                sa.select(Conversation.id).where(
                    Conversation.id == conversation_id, Conversation.owner_id == owner_id
                )
            )
            if exists is None:
                raise NotFound(
                    f"no conversation with id {conversation_id}; "
                    "get_client lists a client's conversations"
                )
            stmt = stmt.where(m.c.conversation_id == conversation_id)
        if channel is not None:
            stmt = stmt.where(m.c.channel == channel)
        if before:
            at, last_id = _before(before)
            stmt = stmt.where(
                sa.or_(m.c.sent_at < at, sa.and_(m.c.sent_at == at, m.c.id < last_id))
            )
        stmt = stmt.order_by(m.c.sent_at.desc(), m.c.id.desc()).limit(limit + 1)
        rows = (await conn.execute(stmt)).all()
    more = len(rows) > limit
    page = list(reversed(rows[:limit]))
    next_cursor = None
    if more and page:
        oldest = page[0]
        next_cursor = encode_cursor(
            {"k": "history", "t": oldest.sent_at.isoformat(), "id": oldest.id}
        )
    return HistoryPage(
        client_id=client_id,
        conversation_id=conversation_id,
        messages=[_message_out(r) for r in page],
        next_cursor=next_cursor,
    )


def _before(before: str) -> tuple[datetime, int]:
    """`before` as (time, id): a cursor from a previous page, or an ISO-8601 time."""
    if before[:2].isdigit() and "-" in before:
        # A plain time: strictly earlier messages (no id at that instant is below 0).
        return parse_when(before, "before"), 0
    payload = decode_cursor(before, "history")
    try:
        return datetime.fromisoformat(payload["t"]), int(payload["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidArgument("before is not a cursor returned by this tool") from None


# -- message search ------------------------------------------------------------


def snippet(text: str, needles: Sequence[str], width: int = 180) -> str:
    """A window of `text` around the first of `needles` (folded words or stems), "…" where cut."""
    folded = fold(text)
    if len(folded) != len(text):  # casefold changed lengths (e.g. "ß"): positions drift
        folded = "".join(fold(ch)[:1] or ch for ch in text)
    positions = [p for p in (folded.find(n) for n in needles) if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    end = min(len(text), start + width)
    start = max(0, end - width)
    piece = text[start:end].strip()
    return ("…" if start > 0 else "") + piece + ("…" if end < len(text) else "")


async def search_messages(
    db: Database,
    owner_id: int,
    query: str,
    *,
    client_id: int | None = None,
    channel: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    embedder: Embedder | None = None,
    semantic: bool = True,
) -> MessageSearchResult:
    """Messages ranked by relevance to `query` (BM25 or equivalent), with snippets.

    With an `embedder`, full-text and semantic rankings are fused (reciprocal rank fusion)
    over the best FUSED_DEPTH of each; `semantic=False` keeps full-text only.
    """
    query = (query or "").strip()
    if not query:
        raise InvalidArgument("query must not be empty: give the words to look for")
    if len(query) > 500:
        raise InvalidArgument("query is longer than 500 characters")
    _check_limit(limit, 50)
    _check_channel(channel)
    start = parse_when(since, "since") if since else None
    end = parse_when(until, "until", end_of_day=True) if until else None
    if start and end and start >= end:
        raise InvalidArgument(f"since ({since}) must be before until ({until})")
    offset = int(decode_cursor(cursor, "messages")["o"]) if cursor else 0
    terms = query_terms(query)
    if not terms:
        raise InvalidArgument(
            f"query {query[:60]!r} has only common words or single letters; "
            "add the topic words to search for"
        )
    params: dict[str, Any] = {"owner": owner_id}
    filters = ["m.owner_id = :owner"]
    if client_id is not None:
        filters.append("m.client_id = :client_id")
        params["client_id"] = client_id
    if channel is not None:
        filters.append("m.channel = :channel")
        params["channel"] = channel
    if start is not None:
        filters.append("m.sent_at >= :since")
        params["since"] = start
    if end is not None:
        filters.append("m.sent_at < :until")
        params["until"] = end
    async with db.connect() as conn:
        if client_id is not None:
            await _client_row(conn, owner_id, client_id)
        where = " AND ".join(filters)
        retrieval = "full-text"
        if embedder is not None and semantic:
            ranked, needles, retrieval = await _fused(
                db, conn, owner_id, query, terms, where, params, embedder
            )
            ranked = ranked[offset : offset + limit + 1]
        else:
            ranked, needles = await rank_messages(
                conn,
                db.dialect,
                terms,
                where,
                params,
                offset=offset,
                count=limit + 1,
                exact=client_id is not None,
            )
            if embedder is None:
                retrieval = (
                    "full-text only: no embedding model is configured (WALLIE_EMBEDDING_MODEL)"
                )
        rows = await _messages_by_id(conn, [i for i, _ in ranked])
    scores = dict(ranked)
    more = len(rows) > limit
    hits = [
        MessageHit(
            message_id=r.id,
            client_id=r.client_id,
            client_name=r.client_name,
            conversation_id=r.conversation_id,
            channel=r.channel,
            direction=r.direction,
            sent_at=r.sent_at,
            snippet=snippet(r.text, needles),
            score=round(scores[r.id], 4),
        )
        for r in rows[:limit]
    ]
    next_cursor = encode_cursor({"k": "messages", "o": offset + limit}) if more else None
    return MessageSearchResult(query=query, hits=hits, next_cursor=next_cursor, retrieval=retrieval)


async def _messages_by_id(conn: Any, ids: list[int]) -> list[Any]:
    """Message rows with their client's name, in the order of `ids`."""
    if not ids:
        return []
    m = Message.__table__
    rows = await conn.execute(
        sa.select(
            m.c.id,
            m.c.client_id,
            Client.name.label("client_name"),
            m.c.conversation_id,
            m.c.channel,
            m.c.direction,
            m.c.sent_at,
            m.c.text,
        )
        .join(Client, Client.id == m.c.client_id)
        .where(m.c.id.in_(ids))
    )
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


FUSED_DEPTH = 50  # hits taken from each ranking before fusing


async def _fused(
    db: Database,
    conn: Any,
    owner_id: int,
    query: str,
    terms: Any,
    where: str,
    params: dict[str, Any],
    embedder: Embedder,
) -> tuple[list[tuple[int, float]], tuple[str, ...], str]:
    """Full-text and semantic rankings fused; and a line saying what ran."""
    text_hits, needles = await rank_messages(
        conn, db.dialect, terms, where, params, offset=0, count=FUSED_DEPTH
    )
    # Catch up on messages stored since the last search (bounded, newest first).
    await embeddings.embed_pending(db, owner_id, embedder, limit=embeddings.EMBED_PER_SEARCH)
    vector = (await embedder.embed([query]))[0]
    near, index = await embeddings.semantic_rank(
        conn, db.dialect, embedder.model, vector, where, params, FUSED_DEPTH
    )
    left = await embeddings.pending(db, owner_id, embedder.model)
    note = f"fused: full-text + semantic ({embedder.model}, {index})"
    if left:
        note += f"; {left} newer messages not embedded yet"
    return embeddings.fuse(text_hits, near), needles, note
