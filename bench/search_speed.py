"""`search_messages` speed at scale: `python -m bench.search_speed [--clients N ...] [--db D ...]`.

Per database and demo size (built once by bench.harness under bench/.data, or the PostgreSQL
database wallie_bench_N, and reused), p50/p95 in-process of `search_messages` (full-text; no
embedding model ships) for queries chosen from the data's own word frequencies, not by hand:
the most common topic words of each language (threads with no accented vowel, ñ, ¿ or ¡
count as English), two-word queries made of them, and rare words; the bounded
candidate path against ranking every match, in the same run. `--write` puts the table in
BENCHMARKS.md (its own kept section).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tools import queries
from tools.db import Database
from tools.search import _ranking, stop_words
from tools.text import words

SAMPLE = 20_000  # messages read to count word frequencies (whole conversations)
PER_LANGUAGE = 6  # common words per language
RARE = 6
SPANISH = set("áéíóúüñ¿¡")  # a thread with none of these is taken as English
BEGIN, END = "<!-- kept: search_speed -->", "<!-- /kept: search_speed -->"


@dataclass
class Queries:
    """What to search for, by kind."""

    common: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    rare: list[str] = field(default_factory=list)

    def kinds(self) -> dict[str, list[str]]:
        """Queries by kind, in report order."""
        return {"common word": self.common, "two common words": self.pairs, "rare word": self.rare}


async def choose(db: Database) -> tuple[Queries, int]:
    """Queries drawn from a sample of whole conversations, and the number of messages."""
    async with db.connect() as conn:
        n = int(await conn.scalar(sa.text("SELECT count(*) FROM message")) or 0)
        step = max(1, n // SAMPLE)
        rows = await conn.execute(
            sa.text("SELECT conversation_id, text FROM message WHERE conversation_id % :k = 0"),
            {"k": step},
        )
        conversations: dict[int, list[str]] = defaultdict(list)
        for conversation, text in rows:
            conversations[conversation].append(text)
    stop = stop_words()
    by_language: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for texts in conversations.values():
        plain = not any(SPANISH & set(t.lower()) for t in texts)
        for t in texts:
            by_language[plain].update(
                w for w in set(words(t)) if w not in stop and w.isalpha() and len(w) > 2
            )
    both = by_language[True] + by_language[False]
    chosen = Queries()
    for counts in by_language.values():
        # A language's own words: at least 80% of their messages are in that language.
        ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))  # ties: by spelling
        own = [w for w, c in ranked if c >= 0.8 * both[w]][:PER_LANGUAGE]
        chosen.common += own
        chosen.pairs += [f"{a} {b}" for a, b in zip(own[::2], own[1::2], strict=False)]
    # The least frequent words of the sample (the demo's vocabulary is small: few appear once).
    chosen.rare = sorted((w for w in both if len(w) >= 5), key=lambda w: (both[w], w))[:RARE]
    return chosen, n


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _times(
    db: Database, owner: int, items: list[str], repeats: int, pages: int = 1
) -> list[float]:
    """Milliseconds per search (following the cursor to page `pages`), warm cache."""

    async def one(q: str) -> None:
        cursor = None
        for _ in range(pages):
            result = await queries.search_messages(
                db, owner, q, limit=20, cursor=cursor, semantic=False
            )
            cursor = result.next_cursor
            if cursor is None:
                break

    for q in items:
        await one(q)
    out: list[float] = []
    for _ in range(repeats):
        for q in items:
            started = time.perf_counter()
            await one(q)
            out.append((time.perf_counter() - started) * 1000)
    return out


async def rank_every_match(db: Database, owner: int, query: str, limit: int = 20) -> list[int]:
    """The baseline: one statement ranking every match of the same index words."""
    from tools.search import _fts, query_terms

    terms = query_terms(query)
    async with db.connect() as conn:
        if db.dialect == "sqlite":
            match = await _fts.sqlite_match(conn, terms)
            sql = """SELECT m.id FROM message_fts JOIN message m ON m.id = message_fts.rowid
                WHERE message_fts MATCH :q AND m.owner_id = :o
                ORDER BY bm25(message_fts), m.id DESC LIMIT :n"""
            q = match.expression
        else:
            groups = [g for g in [await _fts._lexemes(conn, t.alternatives) for t in terms] if g]
            sql = """SELECT m.id, ts_rank(m.search_stem, to_tsquery('simple', :q), 1) AS score
                FROM message m WHERE m.search_stem @@ to_tsquery('simple', :q)
                    AND m.owner_id = :o
                ORDER BY score DESC, m.sent_at DESC, m.id DESC LIMIT :n"""
            q = " | ".join(groups)
        rows = await conn.execute(sa.text(sql), {"q": q, "o": owner, "n": limit + 1})
        return [r[0] for r in rows]


async def _every_match_times(
    db: Database, owner: int, items: list[str], repeats: int
) -> list[float]:
    for q in items:
        await rank_every_match(db, owner, q)
    out: list[float] = []
    for _ in range(repeats):
        for q in items:
            started = time.perf_counter()
            await rank_every_match(db, owner, q)
            out.append((time.perf_counter() - started) * 1000)
    return out


async def measure(url: str, clients: int, repeats: int) -> list[dict[str, Any]]:
    """Rows of figures for one database: per kind, bounded and ranking every match."""
    from tools.owners import owner_id
    from tools.settings import DEMO_OWNER

    db = Database.from_url(url)
    owner = await owner_id(db, DEMO_OWNER)
    chosen, n = await choose(db)
    print(f"\n## search_messages, {db.dialect}, {clients:,} clients / {n:,} messages")
    rows: list[dict[str, Any]] = []
    base = {"db": db.dialect, "clients": clients, "messages": n}
    for kind, items in chosen.kinds().items():
        print(f"{kind}: {', '.join(items)}")
        bounded = await _times(db, owner, items, repeats)
        every = await _every_match_times(db, owner, items, 1)  # slow at 100k: once
        row: dict[str, Any] = {
            **base,
            "kind": kind,
            "n": len(items),
            "queries": items,
            "p50": statistics.median(bounded),
            "p95": _pct(bounded, 0.95),
            "every_p50": statistics.median(every),
            "every_p95": _pct(every, 0.95),
        }
        rows.append(row)
        print(
            f"  bounded p50 {row['p50']:7.1f} p95 {row['p95']:7.1f} ms | rank every match "
            f"p50 {row['every_p50']:7.1f} p95 {row['every_p95']:7.1f} ms | "
            f"x{row['every_p50'] / row['p50']:.1f} at p50"
        )
    deep = await _times(db, owner, chosen.common, max(1, repeats // 2), pages=3)
    rows.append(
        {
            **base,
            "kind": "common word, pages 1-3 (cursor)",
            "n": len(chosen.common),
            "p50": statistics.median(deep),
            "p95": _pct(deep, 0.95),
        }
    )
    print(f"common word, pages 1-3: p50 {rows[-1]['p50']:7.1f} p95 {rows[-1]['p95']:7.1f} ms")
    await db.dispose()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a markdown table."""
    lines = [
        "| db | clients / messages | queries | bounded p50 / p95 ms "
        "| rank every match p50 / p95 ms |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        every = f"{r['every_p50']:.1f} / {r['every_p95']:.1f}" if "every_p50" in r else ""
        lines.append(
            f"| {r['db']} | {r['clients']:,} / {r['messages']:,} | {r['n']} x {r['kind']} "
            f"| {r['p50']:.1f} / {r['p95']:.1f} | {every} |"
        )
    return "\n".join(lines)


def write(rows: list[dict[str, Any]], command: str) -> None:
    """Replace this benchmark's section of BENCHMARKS.md."""
    import platform

    from bench.harness import ROOT

    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + text[text.index(END) + len(END) :].lstrip("\n")
    asked = {
        f"{r['clients']:,} clients, {r['kind']}: {', '.join(r['queries'])}"
        for r in rows
        if r.get("queries")
    }
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    section = "\n".join(
        [
            BEGIN,
            "## search_messages at scale",
            "",
            f"`{command}` ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
            f"{os.cpu_count()} cores shared with other jobs, load average {load} at the end, "
            f"Python {platform.python_version()}), "
            "in-process, full-text (no embedding model here), 20 hits a page. Queries come "
            "from the data's word counts: the most common topic words of each language, pairs "
            "of them, and the least frequent words of a sample. Bounded: today's search "
            f"(the newest {_ranking.CANDIDATES:,} matches read in index order and ranked, see "
            "README, Search and evaluation); rank every match: one statement ranking every "
            "match of the same index words, same run (once per query: it is slow). The "
            "pages 1-3 row follows next_cursor twice: past the first window a page ranks "
            "the next older matches.",
            "",
            table(rows),
            "",
            *(f"- {line}" for line in sorted(asked)),
            END,
        ]
    )
    path.write_text(text.rstrip() + "\n\n" + section + "\n", encoding="utf-8")


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Build or reuse each demo and measure it."""
    from bench.harness import database

    rows: list[dict[str, Any]] = []
    for size in args.clients:
        for db in args.db:
            url = await asyncio.to_thread(database, db, size)
            rows += await measure(url, size, args.repeats)
    return rows


def main(argv: list[str]) -> None:
    """Parse arguments, run, print and optionally write the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.search_speed", description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--db", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args(argv)
    rows = asyncio.run(main_async(args))
    print("\n" + table(rows))
    if args.write:
        write(rows, "python -m bench.search_speed " + " ".join(argv))


if __name__ == "__main__":
    main(sys.argv[1:])
