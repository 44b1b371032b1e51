"""Bounded ranking of message matches: the newest candidates, ranked, one tier at a time.

Ranking every match of a common word costs time in proportion to the archive (about a
million messages at 100,000 clients). Instead both databases read matches newest first,
through an index that already holds them in that order (FTS5 doclists by rowid on SQLite;
the (owner_id, id) b-tree on PostgreSQL, so the owner filter is part of the scan) and stop
after CANDIDATES, then rank those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.search._fts import EXPANSION_WEIGHT, _text, loose_lexemes, sqlite_match
from tools.search._terms import Term

CANDIDATES = 1000  # matches per tier (newest first), ranked together
SCAN = 16  # PostgreSQL: messages read in order per window, in CANDIDATES
SMALL = 5000  # SQLite: filtered messages few enough to test each against the index
_MAX_BATCH = 65536  # rowids read at once while the filters skip most matches (SQLite)


@dataclass
class _Batch:
    """Matches newest first, with the position to continue below, and whether they ran out."""

    ids: list[int] = field(default_factory=list)
    below: Any = None
    done: bool = False


class _Source(Protocol):
    async def newest(self, every: bool, below: Any, need: int, skip: set[int]) -> _Batch: ...

    async def scores(self, every: bool, ids: list[int]) -> dict[int, float]: ...


async def rank_messages(
    conn: AsyncConnection,
    dialect: str,
    terms: list[Term],
    where: str,
    params: dict[str, Any],
    *,
    offset: int,
    count: int,
) -> tuple[list[tuple[int, float]], tuple[str, ...]]:
    """Ids and scores of the hits at `offset` .. `offset + count` of one order, and needles.

    `where` filters `message m`. The order: the newest CANDIDATES matches with every term
    and the newest CANDIDATES with any term, ranked (tier 0); then older matches,
    CANDIDATES at a time, each tier ranked. When tier 0 holds every match that is the plain
    ranking of all of them. Pages never repeat or skip a hit; a deep page costs more.
    """
    source: _Source
    if dialect == "sqlite":
        match = await sqlite_match(conn, terms)
        if not match.groups:
            return [], ()
        source = _SqliteSource(conn, match.groups, where, params, match.loose)
        multi, needles, every_first = len(match.groups) > 1, match.needles, True
    else:
        # A generic plan (reused after 5 runs of a prepared statement) cannot see how common
        # the words are; plan each search for its own words.
        await conn.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
        groups, loose = await loose_lexemes(conn, terms, where, params)
        if not groups:
            return [], ()
        source = _PostgresSource(conn, groups, where, params, loose)
        multi, every_first = len(groups) > 1, False
        needles = tuple(sorted({p for t in terms for p in t.prefixes}))
    return await _page(source, multi, every_first, offset, count), needles


async def _page(
    source: _Source, multi: bool, every_first: bool, offset: int, count: int
) -> list[tuple[int, float]]:
    every = await source.newest(True, None, CANDIDATES, set()) if multi else _Batch(done=True)
    some = await source.newest(False, None, CANDIDATES, set())
    if some.done:  # every match is in hand: one ranking of all of them
        tier = _ranked(some.ids, await source.scores(False, some.ids))
        return tier[offset : offset + count]
    seen = set(every.ids)  # every-term matches are ranked in tier 0, old or new
    rest = [i for i in some.ids if i not in seen]
    if every_first:  # SQLite: messages with every term first (BM25 alone may bury them)
        some_scores = await source.scores(False, rest)  # first: it often scores both windows
        tier = _ranked(every.ids, await source.scores(True, every.ids))
        tier += _ranked(rest, some_scores)
    else:
        both = every.ids + rest
        tier = _ranked(both, await source.scores(False, both))
    hits = tier[offset : offset + count]
    skip = max(0, offset - len(tier))
    below = some.below
    while len(hits) < count:
        batch = await source.newest(False, below, CANDIDATES, seen)
        if skip >= len(batch.ids):  # a whole tier before this page: no need to rank it
            skip -= len(batch.ids)
        else:
            ranked = _ranked(batch.ids, await source.scores(False, batch.ids))
            hits += ranked[skip : skip + count - len(hits)]
            skip = 0
        if batch.done or not batch.ids:
            break
        below = batch.below
    return hits


def _ranked(ids: list[int], scores: dict[int, float]) -> list[tuple[int, float]]:
    """Best score first; ties newest first (ids are in newest-first order)."""
    order = {i: n for n, i in enumerate(ids)}
    return sorted(((i, scores.get(i, 0.0)) for i in ids), key=lambda h: (-h[1], order[h[0]]))


class _SqliteSource:
    """FTS5 matches newest (highest rowid) first; the filters checked on the message rows."""

    def __init__(
        self,
        conn: AsyncConnection,
        groups: tuple[str, ...],
        where: str,
        params: dict[str, Any],
        loose: str = "",
    ) -> None:
        self.conn, self.where, self.params, self.groups = conn, where, params, groups
        self.loose = loose  # FTS5 query of matches through expansions only: scored lower
        self.q = {False: " OR ".join(groups), True: " AND ".join(groups)}
        self.known: dict[int, float] = {}
        self.few: list[int] | None = None
        self.few_checked = False

    async def _few(self) -> list[int] | None:
        """The filtered message ids, newest first, when a filter beyond the owner (a client,
        a channel, dates) leaves at most SMALL of them; else None."""
        if not self.few_checked:
            self.few_checked = True
            if set(self.params) - {"owner"}:
                rows = await self.conn.execute(
                    _text(f"SELECT m.id FROM message m WHERE {self.where} LIMIT :cap", self.params),
                    {**self.params, "cap": SMALL + 1},
                )
                ids = sorted((r[0] for r in rows), reverse=True)
                self.few = ids if len(ids) <= SMALL else None
        return self.few

    async def newest(self, every: bool, below: Any, need: int, skip: set[int]) -> _Batch:
        """Up to `need` filtered matches with a rowid under `below`, not in `skip`."""
        few = await self._few()
        if few is not None:  # test those messages against the index (FTS5 seeks each rowid)
            ids = [i for i in few if below is None or i < below]
            # One word group at a time: FTS5 seeks rowids fast for OR, not for AND.
            matched: set[int] | None = None
            for q in self.groups if every else (self.q[False],):
                rows = await self.conn.execute(
                    sa.text(
                        "SELECT rowid FROM message_fts WHERE message_fts MATCH :q "
                        "AND rowid IN (SELECT value FROM json_each(:ids))"
                    ),
                    {"q": q, "ids": json.dumps(ids)},
                )
                got = {r[0] for r in rows}
                matched = got if matched is None else matched & got
            matched = (matched or set()) - skip
            found = [i for i in ids if i in matched]
            return _Batch(found[:need], found[:need][-1] if found else below, len(found) <= need)
        out = _Batch(below=below)
        batch = need + len(skip) + 64
        while True:
            rows = await self.conn.execute(
                sa.text(
                    "SELECT rowid FROM message_fts WHERE message_fts MATCH :q"
                    + ("" if out.below is None else " AND rowid < :below")
                    + " ORDER BY rowid DESC LIMIT :n"
                ),
                {"q": self.q[every], "below": out.below, "n": batch},
            )
            ids = [r[0] for r in rows]
            allowed = await self._allowed(ids)
            for n, i in enumerate(ids):
                if i in allowed and i not in skip:
                    out.ids.append(i)
                    if len(out.ids) == need:
                        out.below = i
                        out.done = len(ids) < batch and n == len(ids) - 1
                        return out
            if len(ids) < batch:
                out.done = True
                return out
            out.below = ids[-1]
            batch = min(batch * 4, _MAX_BATCH)

    async def _allowed(self, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        rows = await self.conn.execute(
            _text(
                "SELECT m.id FROM message m WHERE m.id IN "
                f"(SELECT value FROM json_each(:ids)) AND {self.where}",
                self.params,
            ),
            {**self.params, "ids": json.dumps(ids)},
        )
        return {r[0] for r in rows}

    async def scores(self, every: bool, ids: list[int]) -> dict[int, float]:
        """BM25 of `ids`, computed over the rowid range of those not scored yet.

        Each statement's bm25() first counts every posting of every query word (the IDF), so
        statements are few: BM25 of the any-term expression equals that of the every-term
        one for a message with every term (the same phrases), and one range serves both.
        """
        missing = [i for i in ids if i not in self.known]
        if missing:
            rows = await self.conn.execute(
                sa.text(
                    "SELECT rowid, -bm25(message_fts) FROM message_fts "
                    "WHERE message_fts MATCH :q AND rowid BETWEEN :lo AND :hi"
                ),
                {"q": self.q[every], "lo": min(missing), "hi": max(missing)},
            )
            scored = {r[0]: float(r[1]) for r in rows}
            if self.loose:
                rows = await self.conn.execute(
                    sa.text(
                        "SELECT rowid FROM message_fts WHERE message_fts MATCH :q "
                        "AND rowid BETWEEN :lo AND :hi"
                    ),
                    {"q": self.loose, "lo": min(missing), "hi": max(missing)},
                )
                for (i,) in rows:
                    if i in scored:
                        scored[i] *= EXPANSION_WEIGHT
            self.known.update(scored)
        return {i: self.known[i] for i in ids if i in self.known}


class _PostgresSource:
    """Matches newest (highest id) first, scored as they are read.

    The planner's estimate of how many messages match (the GIN statistics) picks the path.
    Dense: the newest filtered messages are read in order through the (owner_id, id) b-tree
    and tested, stopping at the window's last match (a GIN bitmap of a common word costs
    more). Sparse, or too few matches among the SCAN x CANDIDATES messages read: the GIN
    index finds them, and-ed with an id range sized from the density so that only about a
    window's worth is read from the table. The every-term window of a dense query is the
    every-term matches among the messages read (two common words: their GIN bitmaps cost).
    """

    def __init__(
        self,
        conn: AsyncConnection,
        groups: list[str],
        where: str,
        params: dict[str, Any],
        loose: str = "",
    ) -> None:
        self.conn, self.where = conn, where
        self.params = {
            **params,
            "q_any": " | ".join(groups),
            "q_all": " & ".join(f"({g})" for g in groups),
            **({"q_loose": loose} if loose else {}),
        }
        self.known: dict[int, float] = {}
        self.density: dict[str, float] = {}
        self.every: list[int] = []
        self.first: _Batch | None = None  # the any-term window found with the every-term one

    def _score(self, row: str) -> str:
        """The rank of `row`'s stems, down-weighted for matches through expansions only."""
        score = f"ts_rank({row}.search_stem, to_tsquery('simple'::regconfig, :q_any), 1)"
        if "q_loose" not in self.params:
            return score
        return (
            f"{score} * CASE WHEN {row}.search_stem @@ to_tsquery('simple'::regconfig, "
            f":q_loose) THEN {EXPANSION_WEIGHT} ELSE 1.0 END"
        )

    def _older(self, below: Any, args: dict[str, Any]) -> str:
        if below is None:
            return ""
        args["below"] = below
        return " AND m.id < :below"

    async def _estimate(self, q: str) -> float:
        """The planner's share of the filtered messages that match query `q`."""
        if q not in self.density:
            rows = []
            for match in (f" AND m.search_stem @@ to_tsquery('simple'::regconfig, :{q})", ""):
                plan = await self.conn.scalar(
                    _text(
                        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM message m WHERE {self.where}{match}",
                        self.params,
                    ),
                    self.params,
                )
                plan = json.loads(plan) if isinstance(plan, str) else plan
                rows.append(float(plan[0]["Plan"]["Plan Rows"]))
            self.density[q] = rows[0] / max(rows[1], 1.0)
        return self.density[q]

    async def newest(self, every: bool, below: Any, need: int, skip: set[int]) -> _Batch:
        """Up to `need` filtered matches with an id under `below`, not in `skip`."""
        if not every and below is None and not skip and self.first is not None:
            return self.first
        n = need + len(skip)
        density = await self._estimate("q_any")
        if density * SCAN < 1:  # fewer than one message in SCAN matches: GIN
            out = await self._bitmap("q_any", below, [], density, need, skip)
            if every:
                self.first = out
                dense = await self._estimate("q_all")
                self.every = (await self._bitmap("q_all", None, [], dense, need, set())).ids
            return _Batch(ids=self.every, done=True) if every else out
        args: dict[str, Any] = {**self.params, "scan": SCAN * n, "n": n}
        older = self._older(below, args)
        # In id order, stopping at the n-th match (the subquery's order is kept).
        hits = list(
            await self.conn.execute(
                _text(
                    f"""SELECT s.id,
                        s.search_stem @@ to_tsquery('simple'::regconfig, :q_all) AS every,
                        {self._score("s")} AS score
                    FROM (SELECT m.id, m.search_stem FROM message m WHERE {self.where}{older}
                        ORDER BY m.id DESC LIMIT :scan) s
                    WHERE s.search_stem @@ to_tsquery('simple'::regconfig, :q_any)
                    LIMIT :n""",
                    args,
                ),
                args,
            )
        )
        for r in hits:
            self.known[r.id] = float(r.score)
        out = self._take(hits, need, skip, below, False)
        sparse = False
        if len(hits) < n:  # how far the scan went, and whether that was every message
            end = (
                await self.conn.execute(
                    _text(
                        f"""SELECT min(s.id) AS id, count(*) AS examined FROM (SELECT m.id
                        FROM message m WHERE {self.where}{older}
                        ORDER BY m.id DESC LIMIT :scan) s""",
                        args,
                    ),
                    args,
                )
            ).one()
            out.done = end.examined < args["scan"]
            sparse = not out.done
            if sparse:  # too few among the messages read: the GIN index for older ones
                rest = await self._bitmap(
                    "q_any", end.id, hits, len(hits) / end.examined, need - len(out.ids), skip
                )
                out = _Batch(out.ids + rest.ids, rest.below, rest.done)
        if not every:
            return out
        self.first = out
        self.every = [r.id for r in hits if r.every][:need]
        if sparse and len(self.every) < need:
            dense = await self._estimate("q_all")
            more = await self._bitmap("q_all", end.id, [], dense, need - len(self.every), set())
            self.every += more.ids
        return _Batch(ids=self.every, done=True)

    def _take(self, rows: list[Any], need: int, skip: set[int], below: Any, done: bool) -> _Batch:
        out = _Batch(below=below, done=done)
        for k, r in enumerate(rows):
            if r.id in skip:
                continue
            out.ids.append(r.id)
            out.below = r.id
            if len(out.ids) == need:
                out.done = done and k == len(rows) - 1
                break
        return out

    async def _bitmap(
        self, q: str, below: Any, seen: list[Any], density: float, need: int, skip: set[int]
    ) -> _Batch:
        """Up to `need` matches of `q` under id `below` through the GIN index, not in `skip`."""
        n = need + len(skip)
        args: dict[str, Any] = {**self.params, "n": n}
        older = self._older(below, args)
        # The planner's estimates are often twice the truth either way: aim wide.
        span: int | None = int(n / density * 2.5) + 1 if density > 0 else None
        if span is not None and span > 64 * n:
            span = None  # sparse: every match is cheap to read
        while True:
            bound = None
            if span is not None:
                bound = await self.conn.scalar(
                    _text(
                        f"""SELECT m.id FROM message m WHERE {self.where}{older}
                        ORDER BY m.id DESC OFFSET :span LIMIT 1""",
                        args,
                    ),
                    {**args, "span": span},
                )
                span = None if bound is None else span
            recent = "" if span is None else " AND m.id >= :bound"
            # The b-tree would be read newest first testing every row: take bitmaps instead.
            await self.conn.execute(sa.text("SET LOCAL enable_indexscan = off"))
            rows = (
                await self.conn.execute(
                    _text(
                        f"""WITH c AS (
                            SELECT c.id FROM (
                                SELECT m.id FROM message m
                                WHERE m.search_stem @@ to_tsquery('simple'::regconfig, :{q})
                                    AND {self.where}{older}{recent} OFFSET 0) c
                            ORDER BY c.id DESC LIMIT :n)
                        SELECT c.id, {self._score("m")} AS score
                        FROM c JOIN message m ON m.id = c.id
                        ORDER BY c.id DESC""",
                        args,
                    ),
                    {**args, "bound": bound},
                )
            ).all()
            await self.conn.execute(sa.text("SET LOCAL enable_indexscan = on"))
            if len(rows) >= n or span is None:
                break
            # Widen to where the matches found say the n-th one is.
            span = span * 8 if not rows else int(span * n / len(rows) * 1.5) + 1
        for r in rows:
            self.known[r.id] = float(r.score)
        return self._take(list(rows), need, skip, below, len(rows) < n)

    async def scores(self, every: bool, ids: list[int]) -> dict[int, float]:
        """Scores were computed by the scans that read the ids."""
        return {i: self.known[i] for i in ids}
