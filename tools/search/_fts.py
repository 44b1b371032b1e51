"""Full-text matching: query terms to index words per database, and fuzzy client names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.models import UTCDateTime
from tools.search._terms import Term, similarity

MAX_TOKENS = 64  # index words one term may match on SQLite: bounds the MATCH expression
# A message that matches a query word only through the vocabulary's other words for it
# ("proforma" for "factura") scores this share, when some message uses the word itself: a
# rarer synonym must not outrank the literal word. Words absent from the index (an English
# query over Spanish messages) keep their expansions at full weight.
EXPANSION_WEIGHT = 0.5
# (database, prefix) -> (index structure record, index words with that prefix)
_VOCABULARY: LRUCache[tuple[str, str], tuple[Any, tuple[str, ...]]] = LRUCache(maxsize=4096)


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
    # fts5vocab counts every posting of the words it lists (milliseconds per common word at
    # a million messages): keep its answers while the index's structure record, which every
    # write to the index rewrites, stays the same.
    version = await conn.scalar(sa.text("SELECT block FROM message_fts_data WHERE id = 10"))
    where = str(conn.engine.url)
    candidates: list[str] = []
    for p in prefixes:
        known = _VOCABULARY.get((where, p))
        if known is None or known[0] != version:
            # One range per statement: fts5vocab seeks it; OR-ed ranges would scan every word.
            rows = await conn.execute(
                sa.text("SELECT term FROM message_vocab WHERE term >= :lo AND term < :hi"),
                {"lo": p, "hi": p + "\U0010ffff"},
            )
            known = (version, tuple(r[0] for r in rows))
            _VOCABULARY[(where, p)] = known
        candidates += known[1]
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


def _text(sql: str, params: dict[str, Any], *extra: sa.BindParameter[Any]) -> sa.TextClause:
    """`sql` with the time filters bound as UTC timestamps (SQLite stores naive UTC text)."""
    typed = [sa.bindparam(k, type_=UTCDateTime()) for k in ("since", "until") if k in params]
    return sa.text(sql).bindparams(*typed, *extra)


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


async def loose_lexemes(
    conn: AsyncConnection, terms: list[Term], where: str, params: dict[str, Any]
) -> tuple[list[str], str]:
    """PostgreSQL: per term its OR-group of stems, and a tsquery of the messages matching
    some term only through its expansions (empty when no term's own word is stored)."""
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
    return groups, " | ".join(loose)


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
