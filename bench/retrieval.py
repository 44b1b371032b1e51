"""Retrieval quality and speed: `python -m bench.retrieval [--clients N] [--url URL]`.

Quality: the retrieval set of bench/data/agent_eval.yaml (queries whose relevant messages
are found by SQL patterns at bench time) on the default demo; recall@10 and MRR for the
old prefix-cut search ("before"), today's full-text search, semantic and fused search
(these two only when WALLIE_EMBEDDING_MODEL names a LiteLLM embedding model).
Speed: bench.search_speed's figures (common words of each language, pairs, rare words;
bounded against ranking every match) on a larger demo (10,000 clients by default, seeded
into a temporary directory, or --url). `python -m bench.search_speed` measures the cached
demos of several sizes on both databases and writes BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.agent import load, seed
from tools import queries
from tools.db import Database
from tools.settings import DEMO_OWNER, Settings
from tools.text import words


async def before(db: Database, owner: int, query: str, limit: int = 10) -> list[int]:
    """The search as it was: query words cut to prefixes, every match ranked."""
    from tools.search import stop_words

    def prefix(t: str) -> str:
        if t.isdigit() or len(t) <= 4:
            return t
        return t[:-1] if len(t) <= 6 else t[:-2]

    terms = list(dict.fromkeys(w for w in words(query) if w not in stop_words()))[:12]
    if not terms:
        return []
    if db.dialect != "sqlite":
        async with db.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    """SELECT m.id, ts_rank_cd(m.search_tsv, q, 1) AS score
                    FROM message m JOIN client c ON c.id = m.client_id,
                        to_tsquery('simple'::regconfig, :q) AS q
                    WHERE m.search_tsv @@ q AND m.owner_id = :o
                    ORDER BY score DESC, m.sent_at DESC, m.id DESC LIMIT :n"""
                ),
                {"q": " | ".join(f"{prefix(t)}:*" for t in terms), "o": owner, "n": limit},
            )
            return [r.id for r in rows]
    match = " OR ".join(f'"{prefix(t)}"*' for t in terms)
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.text(
                """SELECT m.id FROM message_fts JOIN message m ON m.id = message_fts.rowid
                JOIN client c ON c.id = m.client_id
                WHERE message_fts MATCH :q AND m.owner_id = :o
                ORDER BY bm25(message_fts), m.sent_at DESC, m.id DESC LIMIT :n"""
            ),
            {"q": match, "o": owner, "n": limit + 1},
        )
        return [r.id for r in rows][:limit]


async def now(
    db: Database, owner: int, query: str, limit: int = 10, embedder: Any = None, **kw: Any
) -> list[int]:
    """Today's search_messages (full-text, or fused when given an embedder)."""
    result = await queries.search_messages(db, owner, query, limit=limit, embedder=embedder, **kw)
    return [h.message_id for h in result.hits]


async def semantic_only(db: Database, owner: int, query: str, embedder: Any) -> list[int]:
    """The semantic ranking alone."""
    from tools.search import _embeddings

    vector = (await embedder.embed([query]))[0]
    async with db.connect() as conn:
        hits, _ = await _embeddings.semantic_rank(
            conn, db.dialect, embedder.model, vector, "m.owner_id = :owner", {"owner": owner}, 10
        )
    return [i for i, _ in hits]


def scores(ranked: list[int], relevant: set[int]) -> tuple[float, float]:
    """recall@10 (over min(10, |relevant|)) and reciprocal rank of the first relevant hit."""
    top = ranked[:10]
    recall = len(set(top) & relevant) / min(10, len(relevant)) if relevant else 0.0
    rr = next((1 / (i + 1) for i, m in enumerate(top) if m in relevant), 0.0)
    return recall, rr


async def quality(url: str) -> None:
    """Recall@10 and MRR per mode, all queries and cross-language ones."""
    from bench.agent import truth
    from tools.owners import owner_id
    from tools.search import embed_pending, from_settings

    spec = load()
    db = Database.from_url(url)
    owner = await owner_id(db, DEMO_OWNER)
    t = await truth(db, owner)
    embedder = from_settings(Settings())
    modes: dict[str, Any] = {
        "before (prefix cut)": lambda q: before(db, owner, q),
        "full-text": lambda q: now(db, owner, q, semantic=False),
    }
    if embedder is not None:
        started = time.perf_counter()
        stored = await embed_pending(db, owner, embedder)
        print(
            f"embedded {stored} messages with {embedder.model} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        modes["semantic"] = lambda q: semantic_only(db, owner, q, embedder)
        modes["fused"] = lambda q: now(db, owner, q, embedder=embedder)
    print(f"\n## Retrieval quality: {len(spec['retrieval'])} queries on the 200-client demo")
    print(f"{'mode':22s} {'recall@10':>10s} {'MRR':>6s} | {'cross-language':>15s} {'MRR':>6s}")
    for name, run in modes.items():
        rows = []
        for item in spec["retrieval"]:
            relevant = t.topic(spec["topics"][item["topic"]])
            rows.append((item.get("cross", False), *scores(await run(item["query"]), relevant)))
        cross = [r for r in rows if r[0]]
        print(
            f"{name:22s} {statistics.fmean(r[1] for r in rows):10.2f} "
            f"{statistics.fmean(r[2] for r in rows):6.2f} | "
            f"{statistics.fmean(r[1] for r in cross):15.2f} "
            f"{statistics.fmean(r[2] for r in cross):6.2f}"
        )
    if embedder is None:
        print(
            "semantic / fused: not measured — no embedding model configured "
            "(set WALLIE_EMBEDDING_MODEL to a LiteLLM embedding model); no offline model ships"
        )
    await db.dispose()


async def main_async(args: argparse.Namespace) -> None:
    """Seed what is needed in a temporary directory and print both reports."""
    with tempfile.TemporaryDirectory(prefix="wallie-bench-retrieval-") as home:
        small = f"sqlite:///{Path(home) / 'demo.db'}"
        await seed(small)
        await quality(small)
        if args.skip_speed:
            return
        url = args.url
        if url is None:
            from tools.demo import DemoSpec, generate
            from tools.ingest import default_scorer, ingest
            from tools.owners import ensure_owner

            url = f"sqlite:///{Path(home) / 'large.db'}"
            started = time.perf_counter()
            db = Database.from_url(url)
            await db.upgrade()
            owner = await ensure_owner(db, DEMO_OWNER)
            await ingest(
                db, owner, generate(DemoSpec(clients=args.clients)), scorer=default_scorer()
            )
            await db.dispose()
            print(f"\nseeded {args.clients:,} clients in {time.perf_counter() - started:.0f} s")
        from bench.search_speed import measure, table

        print(table(await measure(url, args.clients, args.repeats)))


def main(argv: list[str]) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000, help="size of the speed demo")
    parser.add_argument("--url", help="an already seeded demo database for the speed part")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
