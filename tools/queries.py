"""Owner-scoped retrieval behind the MCP tools: finding clients and searching messages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tools.cursors import check_channel, check_limit, offset_cursor, page_offset, parse_when
from tools.db import Database
from tools.errors import InvalidArgument
from tools.history import client_row
from tools.models import UTCDateTime
from tools.schemas import ClientHit, ClientPage, MessageHit, MessageSearchResult
from tools.tables import CLIENTS, CONVERSATIONS
from tools.text import STOP_WORDS as STOPWORDS
from tools.text import fold, phone_digits, query_digits, words

MAX_QUERY = 200  # search_clients
MAX_MESSAGE_QUERY = 500  # search_messages


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
    check_limit(limit, 50)
    offset = page_offset(cursor, "clients")

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
        channels = await _channels(conn, [r.id for r in rows])
    tiers = {0: "exact", 1: "name_prefix", 2: "name_words", 3: "text"}
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
    next_cursor = offset_cursor("clients", offset + limit) if more else None
    return ClientPage(query=query, clients=hits, next_cursor=next_cursor)


async def _channels(conn: Any, client_ids: list[int]) -> dict[int, dict[str, int]]:
    """Conversation counts per channel for each client."""
    if not client_ids:
        return {}
    rows = await conn.execute(
        sa.select(CONVERSATIONS.c.client_id, CONVERSATIONS.c.channel, sa.func.count())
        .where(CONVERSATIONS.c.client_id.in_(client_ids))
        .group_by(CONVERSATIONS.c.client_id, CONVERSATIONS.c.channel)
    )
    found: dict[int, dict[str, int]] = {}
    for client_id, channel, count in rows.all():
        found.setdefault(client_id, {})[channel] = count
    return found


# -- message search ------------------------------------------------------------


def _search_terms(query: str) -> list[str]:
    terms = [w for w in words(query) if w not in STOPWORDS]
    seen: dict[str, None] = {}
    for t in terms:
        seen.setdefault(t, None)
    return list(seen)[:12]


def _prefix(term: str) -> str:
    """A light stem for prefix matching: "precios" and "precio" both become "preci"."""
    if term.isdigit() or len(term) <= 4:
        return term
    return term[:-1] if len(term) <= 6 else term[:-2]


def snippet(text: str, terms: list[str], width: int = 180) -> str:
    """A window of `text` around the first match of any term, with "…" where cut."""
    folded = fold(text)
    if len(folded) != len(text):  # casefold changed lengths (e.g. "ß"): positions drift
        folded = "".join(fold(ch)[:1] or ch for ch in text)
    positions = [p for p in (folded.find(_prefix(t)) for t in terms) if p >= 0]
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
) -> MessageSearchResult:
    """Messages ranked by relevance to `query` (BM25 or equivalent), with snippets."""
    query = (query or "").strip()
    if not query:
        raise InvalidArgument("query must not be empty: give the words to look for")
    if len(query) > MAX_MESSAGE_QUERY:
        raise InvalidArgument(f"query is longer than {MAX_MESSAGE_QUERY} characters")
    check_limit(limit, 50)
    check_channel(channel)
    start = parse_when(since, "since") if since else None
    end = parse_when(until, "until", end_of_day=True) if until else None
    if start and end and start >= end:
        raise InvalidArgument(f"since ({since}) must be before until ({until})")
    offset = page_offset(cursor, "messages")
    terms = _search_terms(query)
    if not terms:
        raise InvalidArgument(
            f"query {query!r} has only common words; add the topic words to search for"
        )
    params: dict[str, Any] = {"owner": owner_id, "limit": limit + 1, "offset": offset}
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
    where = " AND ".join(filters)
    if db.dialect == "sqlite":
        params["q"] = " OR ".join(
            f'"{_prefix(t)}"*' if _prefix(t) != t or len(t) >= 3 else f'"{t}"' for t in terms
        )
        sql = f"""
            SELECT m.id, m.client_id, c.name AS client_name, m.conversation_id, m.channel,
                m.direction, m.sent_at, m.text, -bm25(message_fts) AS score
            FROM message_fts
            JOIN message m ON m.id = message_fts.rowid
            JOIN client c ON c.id = m.client_id
            WHERE message_fts MATCH :q AND {where}
            ORDER BY bm25(message_fts), m.sent_at DESC, m.id DESC
            LIMIT :limit OFFSET :offset
        """
    else:
        params["q"] = " | ".join(f"{_prefix(t)}:*" for t in terms)
        sql = f"""
            SELECT m.id, m.client_id, c.name AS client_name, m.conversation_id, m.channel,
                m.direction, m.sent_at, m.text,
                ts_rank_cd(m.search_tsv, q, 1) AS score
            FROM message m
            JOIN client c ON c.id = m.client_id,
                to_tsquery('simple'::regconfig, :q) AS q
            WHERE m.search_tsv @@ q AND {where}
            ORDER BY score DESC, m.sent_at DESC, m.id DESC
            LIMIT :limit OFFSET :offset
        """
    stmt = (
        sa.text(sql)
        .bindparams(
            *[
                sa.bindparam(name, type_=UTCDateTime())
                for name in ("since", "until")
                if name in params
            ]
        )
        .columns(sent_at=UTCDateTime())
    )
    async with db.connect() as conn:
        if client_id is not None:
            await client_row(conn, owner_id, client_id)
        rows = (await conn.execute(stmt, params)).all()
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
            snippet=snippet(r.text, terms),
            score=round(float(r.score), 4),
        )
        for r in rows[:limit]
    ]
    next_cursor = offset_cursor("messages", offset + limit) if more else None
    return MessageSearchResult(query=query, hits=hits, next_cursor=next_cursor)


# -- completions ---------------------------------------------------------------


async def id_completions(
    db: Database, owner_id: int, kind: str, prefix: str, limit: int = 20
) -> list[str]:
    """The owner's client or conversation ids that start with `prefix`, most recent first."""
    table, recent = (
        (CLIENTS, CLIENTS.c.last_contact_at)
        if kind == "client"
        else (CONVERSATIONS, CONVERSATIONS.c.last_message_at)
    )
    stmt = (
        sa.select(table.c.id)
        .where(table.c.owner_id == owner_id)
        .where(sa.cast(table.c.id, sa.String).like(_like_escape(prefix) + "%", escape="\\"))
        .order_by(recent.desc().nulls_last(), table.c.id.desc())
        .limit(limit)
    )
    async with db.connect() as conn:
        return [str(i) for i in (await conn.scalars(stmt)).all()]
