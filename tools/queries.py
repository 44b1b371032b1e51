"""Owner-scoped retrieval behind the MCP tools: finding clients and searching messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from tools.cursors import check_channel, check_limit, offset_cursor, page_offset, parse_when
from tools.db import Database
from tools.errors import InvalidArgument
from tools.history import client_row
from tools.models import UTCDateTime
from tools.schemas import ClientHit, ClientPage, MessageHit, MessageSearchResult
from tools.search import _embeddings as embeddings
from tools.search import query_terms
from tools.search._embeddings import Embedder
from tools.search._fts import fuzzy_clients
from tools.search._ranking import rank_messages
from tools.tables import CLIENTS, CONVERSATIONS, MESSAGES
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
        rows = list((await conn.execute(stmt, params)).all())
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
    if len(query) > MAX_MESSAGE_QUERY:
        raise InvalidArgument(f"query is longer than {MAX_MESSAGE_QUERY} characters")
    check_limit(limit, 50)
    check_channel(channel)
    start = parse_when(since, "since") if since else None
    end = parse_when(until, "until", end_of_day=True) if until else None
    if start and end and start >= end:
        raise InvalidArgument(f"since ({since}) must be before until ({until})")
    offset = page_offset(cursor, "messages")
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
    where = " AND ".join(filters)
    async with db.connect() as conn:
        if client_id is not None:
            await client_row(conn, owner_id, client_id)
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
            )
            retrieval = (
                "full-text"
                if embedder is not None
                else "full-text only: no embedding model is configured "
                "(WALLIE_EMBEDDING_MODEL=local for the offline multilingual model)"
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
    next_cursor = offset_cursor("messages", offset + limit) if more else None
    return MessageSearchResult(query=query, hits=hits, next_cursor=next_cursor, retrieval=retrieval)


async def _messages_by_id(conn: Any, ids: list[int]) -> list[Any]:
    """Message rows with their client's name, in the order of `ids`."""
    if not ids:
        return []
    m = MESSAGES
    rows = await conn.execute(
        sa.select(
            m.c.id,
            m.c.client_id,
            CLIENTS.c.name.label("client_name"),
            m.c.conversation_id,
            m.c.channel,
            m.c.direction,
            m.c.sent_at,
            m.c.text,
        )
        .join(CLIENTS, CLIENTS.c.id == m.c.client_id)
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
    left = await embeddings.catch_up(db, owner_id, embedder)
    vector = (await embedder.embed([query]))[0]
    near, index = await embeddings.semantic_rank(
        conn, db.dialect, embedder.model, vector, where, params, FUSED_DEPTH
    )
    note = f"fused: full-text + semantic ({embedder.model}, {index})"
    if left:
        note += f"; {left} newer messages not embedded yet"
    return embeddings.fuse(text_hits, near), needles, note


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
