"""Full-text ranking of messages for query terms, per database, with bounded work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.models import UTCDateTime
from tools.search._terms import Term, similarity

MAX_TOKENS = 64  # index words one term may match on SQLite: bounds the MATCH expression
CANDIDATES = 1000  # matches ranked at most per search (the newest ones), see rank_messages
# A message that matches a query word only through the vocabulary's other words for it
# ("proforma" for "factura") scores this share, when some message uses the word itself: a
# rarer synonym must not outrank the literal word. Words absent from the index (an English
# query over Spanish messages) keep their expansions at full weight.
EXPANSION_WEIGHT = 0.5


@dataclass(frozen=True)
class Match:
    """What to hand the full-text index, and the words to place a snippet around."""

    groups: tuple[str, ...]  # one FTS5 OR-group per term that matched an indexed word
    needles: tuple[str, ...]
    loose: str = ""  # messages matching some term only through its expansions (FTS5 query)

    @property
    def expression(self) -> str:
        """Any term matches."""
        return " OR ".join(self.groups)


async def sqlite_match(conn: AsyncConnection, terms: list[Term]) -> Match:
    """Per term, the indexed words that share a Snowball stem with it or with a synonym."""
    prefixes: list[str] = []
    for p in sorted({p for t in terms for p in t.prefixes}):
        if not prefixes or not p.startswith(prefixes[-1]):  # "car" already covers "caro"
            prefixes.append(p)
    if not prefixes:
        return Match((), ())
    candidates: list[str] = []
    for p in prefixes:
        # One range per statement: fts5vocab seeks it; OR-ed ranges would scan every word.
        rows = await conn.execute(
            sa.text("SELECT term FROM message_vocab WHERE term >= :lo AND term < :hi"),
            {"lo": p, "hi": p + "\U0010ffff"},
        )
        candidates += [r[0] for r in rows]
    groups: list[str] = []
    needles: list[str] = []
    loose: list[str] = []
    for term in terms:
        tokens = sorted(w for w in candidates if term.matches(w))[:MAX_TOKENS]
        if tokens:
            groups.append(_any(tokens))
            needles += tokens
            own = [w for w in tokens if term.literal(w)]
            others = [w for w in tokens if not term.literal(w)]
            if own and others:
                loose.append(f"({_any(others)} NOT {_any(own)})")
    return Match(tuple(groups), tuple(needles), " OR ".join(loose))


def _any(tokens: Sequence[str]) -> str:
    return "(" + " OR ".join(f'"{w}"' for w in tokens) + ")"


def _weighted(score: str, match: Match, rowid: str, floor: str = "") -> str:
    """`score` down-weighted for messages that matched some term only through expansions."""
    if not match.loose:
        return score
    return (
        f"({score}) * CASE WHEN {rowid} IN (SELECT rowid FROM message_fts "
        f"WHERE message_fts MATCH :loose{floor}) THEN {EXPANSION_WEIGHT} ELSE 1.0 END"
    )


def _text(sql: str, params: dict[str, Any], *extra: sa.BindParameter[Any]) -> sa.TextClause:
    """`sql` with the time filters bound as UTC timestamps (SQLite stores naive UTC text)."""
    typed = [sa.bindparam(k, type_=UTCDateTime()) for k in ("since", "until") if k in params]
    return sa.text(sql).bindparams(*typed, *extra)


async def rank_messages(
    conn: AsyncConnection,
    dialect: str,
    terms: list[Term],
    where: str,
    params: dict[str, Any],
    *,
    offset: int,
    count: int,
    exact: bool = False,
) -> tuple[list[tuple[int, float]], tuple[str, ...]]:
    """Ids and scores of the best `count` matches after `offset`, and snippet needles.

    `where` filters `message m`. Work is bounded: when more than CANDIDATES messages
    match, only messages with every term (up to CANDIDATES) and the newest CANDIDATES
    matches are ranked; `exact` (a selective filter such as one client) ranks them all.
    """
    if dialect == "sqlite":
        return await _rank_sqlite(conn, terms, where, params, offset, count, exact)
    return await _rank_postgres(conn, terms, where, params, offset, count), tuple(
        sorted({p for t in terms for p in t.prefixes})
    )


async def _rank_sqlite(
    conn: AsyncConnection,
    terms: list[Term],
    where: str,
    params: dict[str, Any],
    offset: int,
    count: int,
    exact: bool,
) -> tuple[list[tuple[int, float]], tuple[str, ...]]:
    match = await sqlite_match(conn, terms)
    if not match.groups:
        return [], ()
    q = match.expression
    if not exact:
        hits, complete = await _rank_windows(conn, match, where, params, offset + count)
        if complete or len(hits) >= offset + count:
            return hits[offset:], match.needles
        # The filters left too few of the newest matches: rank every match after all.
    rows = await conn.execute(
        _text(
            f"""SELECT m.id, {_weighted("-bm25(message_fts)", match, "m.id")} AS score
            FROM message_fts JOIN message m ON m.id = message_fts.rowid
            WHERE message_fts MATCH :q AND {where}
            ORDER BY score DESC, m.id DESC
            LIMIT :n OFFSET :o""",
            params,
        ),
        {
            **params,
            "q": q,
            "n": count,
            "o": offset,
            **({"loose": match.loose} if match.loose else {}),
        },
    )
    return [(r.id, float(r.score)) for r in rows], match.needles


async def _rank_windows(
    conn: AsyncConnection, match: Match, where: str, params: dict[str, Any], need: int
) -> tuple[list[tuple[int, float]], bool]:
    """Up to `need` filtered hits from bounded windows (all-terms matches first, then
    any-term), and whether the windows held every match (then the ranking is exact)."""
    ranked: list[tuple[int, float]] = []
    complete = True
    if len(match.groups) > 1:
        ranked, whole = await _window(conn, " AND ".join(match.groups), match)
        complete = complete and whole
    seen = {i for i, _ in ranked}
    rest, whole = await _window(conn, match.expression, match)
    complete = complete and whole
    if complete:  # every match was ranked: one BM25 order, no tiers
        ranked = rest
    else:
        ranked += [hit for hit in rest if hit[0] not in seen]
    kept: list[tuple[int, float]] = []
    for start in range(0, len(ranked), 200):
        chunk = ranked[start : start + 200]
        ids = [i for i, _ in chunk]
        allowed = {
            r[0]
            for r in await conn.execute(
                _text(
                    f"SELECT m.id FROM message m WHERE m.id IN :ids AND {where}",
                    params,
                    sa.bindparam("ids", expanding=True),
                ),
                {**params, "ids": ids},
            )
        }
        kept += [hit for hit in chunk if hit[0] in allowed]
        if len(kept) >= need:
            break
    return kept[:need], complete


async def _window(
    conn: AsyncConnection, q: str, match: Match
) -> tuple[list[tuple[int, float]], bool]:
    """The newest CANDIDATES matches of `q`, best first (BM25 computed for those only), and
    whether that was every match."""
    floor = await conn.scalar(
        sa.text(
            "SELECT rowid FROM message_fts WHERE message_fts MATCH :q "
            "ORDER BY rowid DESC LIMIT 1 OFFSET :cap"
        ),
        {"q": q, "cap": CANDIDATES},
    )
    score = _weighted("-bm25(message_fts)", match, "message_fts.rowid", " AND rowid > :floor")
    rows = await conn.execute(
        sa.text(
            f"SELECT rowid, {score} AS score FROM message_fts "
            "WHERE message_fts MATCH :q AND rowid > :floor ORDER BY score DESC, rowid DESC"
        ),
        {
            "q": q,
            "floor": floor if floor is not None else -1,
            **({"loose": match.loose} if match.loose else {}),
        },
    )
    return [(r[0], float(r[1])) for r in rows], floor is None


async def _lexemes(conn: AsyncConnection, words: Sequence[str]) -> str | None:
    """PostgreSQL's own Spanish and English stems of `words`, deduplicated, OR-ed for a
    'simple' tsquery (a query with repeated operands ranks much more slowly)."""
    found = await conn.scalar(
        sa.text(
            "SELECT string_agg(quote_literal(lexeme), ' | ') FROM unnest("
            "to_tsvector('spanish'::regconfig, :w) || to_tsvector('english'::regconfig, :w))"
        ),
        {"w": " ".join(words)},
    )
    return str(found) if found else None


async def _indexed(conn: AsyncConnection, lexemes: str, where: str, params: dict[str, Any]) -> bool:
    """Whether any message the filters allow holds one of `lexemes` (an OR-ed tsquery)."""
    found = await conn.scalar(
        _text(
            "SELECT 1 FROM message m WHERE m.search_stem @@ to_tsquery('simple'::regconfig, "
            f":own) AND {where} LIMIT 1",
            params,
        ),
        {**params, "own": lexemes},
    )
    return found is not None


async def _rank_postgres(
    conn: AsyncConnection,
    terms: list[Term],
    where: str,
    params: dict[str, Any],
    offset: int,
    count: int,
) -> list[tuple[int, float]]:
    params = dict(params)
    # A generic plan (reused after 5 runs of a prepared statement) cannot see how common
    # the words are and scans every match; plan each search for its own words.
    await conn.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    groups: list[str] = []
    loose: list[str] = []
    for t in terms:
        group = await _lexemes(conn, t.alternatives)
        if not group:
            continue
        groups.append(group)
        own = await _lexemes(conn, [t.word])
        if own and own != group and await _indexed(conn, own, where, params):
            loose.append(f"(({group}) & !({own}))")
    if not groups:
        return []
    params["q_any"] = " | ".join(groups)
    any_term = "to_tsquery('simple'::regconfig, :q_any)"
    score = f"ts_rank(m.search_stem, {any_term}, 1)"
    if loose:
        params["q_loose"] = " | ".join(loose)
        score = (
            f"{score} * CASE WHEN m.search_stem @@ to_tsquery('simple'::regconfig, :q_loose) "
            f"THEN {EXPANSION_WEIGHT} ELSE 1.0 END"
        )
    # Candidates: ids only, newest first, bounded; ranked afterwards.
    pick = f"""SELECT m.id FROM message m WHERE m.search_stem @@ {{q}} AND {where}
        ORDER BY m.id DESC LIMIT :cap"""
    candidates = f"({pick.format(q=any_term)})"
    if len(groups) > 1:
        params["q_all"] = " & ".join(f"({g})" for g in groups)
        every_term = "to_tsquery('simple'::regconfig, :q_all)"
        candidates = f"({pick.format(q=every_term)}) UNION {candidates}"
    sql = f"""
        WITH cand AS ({candidates})
        SELECT m.id, {score} AS score
        FROM message m JOIN cand ON cand.id = m.id
        ORDER BY score DESC, m.sent_at DESC, m.id DESC
        LIMIT :n OFFSET :o
    """

    async def run(cap: int | None) -> list[tuple[int, float]]:
        rows = await conn.execute(
            _text(sql, params), {**params, "cap": cap, "n": count, "o": offset}
        )
        return [(r.id, float(r.score)) for r in rows]

    found = await run(CANDIDATES)
    if len(found) < count:
        # A short page: the windows may have cut matches off, so rank every one (LIMIT NULL).
        found = await run(None)
    return found


FUZZY_CANDIDATES = 200  # names scored per fuzzy lookup


async def fuzzy_clients(
    conn: AsyncConnection, dialect: str, owner_id: int, query: str
) -> list[Any]:
    """Clients whose name is spelt like the folded `query`, best first (tier 4 rows)."""
    grams = sorted({w[i : i + 3] for w in query.split() for i in range(len(w) - 2)})
    if not grams:
        return []
    columns = (
        "c.id, c.name, c.company, c.email, c.phone, c.last_contact_at, c.search_name, 4 AS tier"
    )
    if dialect == "sqlite":
        sql = f"""SELECT {columns} FROM client_name_trgm t JOIN client c ON c.id = t.rowid
            WHERE client_name_trgm MATCH :m AND c.owner_id = :owner
            ORDER BY t.rank LIMIT :cap"""
        params: dict[str, Any] = {"m": " OR ".join(f'"{g}"' for g in grams)}
    else:
        # The pg_trgm index serves `<%`; the threshold is loosened for this statement only.
        await conn.execute(sa.text("SET LOCAL pg_trgm.word_similarity_threshold = 0.4"))
        sql = f"""SELECT {columns} FROM client c
            WHERE c.owner_id = :owner AND :q <% c.search_name
            ORDER BY word_similarity(:q, c.search_name) DESC LIMIT :cap"""
        params = {"q": query}
    rows = await conn.execute(
        sa.text(sql).columns(last_contact_at=UTCDateTime()),
        {**params, "owner": owner_id, "cap": FUZZY_CANDIDATES},
    )
    scored = [(name_score(query, r.search_name), r) for r in rows]
    return [r for score, r in sorted(scored, key=lambda x: -x[0]) if score > 0]


def name_score(query: str, name: str) -> float:
    """How alike a query and a name are, 0..1 (0 when some query word has no look-alike)."""
    names = name.split()
    best = [max((_word_score(w, n) for n in names), default=0.0) for w in query.split()]
    if not best or min(best) < 0.6:
        return 0.0
    mean = sum(best) / len(best)
    return mean if mean >= 0.7 else 0.0


def _word_score(a: str, b: str) -> float:
    # Trigrams catch swapped endings; edit ratio catches short words ("jems" ~ "james").
    return max(similarity(a, b), SequenceMatcher(None, a, b).ratio())
