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
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
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


@contextlib.contextmanager
def no_vocabulary() -> Iterator[None]:
    """Full-text with stems and stop words only: the bilingual sales vocabulary switched off."""
    from tools.search import _terms

    saved = _terms._vocabulary
    keep = saved()[1]
    _terms._vocabulary = lambda: ((), keep)  # type: ignore[assignment]
    _terms.stems.cache_clear()
    _terms._concept_stems.cache_clear()
    try:
        yield
    finally:
        _terms._vocabulary = saved
        _terms.stems.cache_clear()
        _terms._concept_stems.cache_clear()


def scores(ranked: list[int], relevant: set[int]) -> tuple[float, float]:
    """recall@10 (over min(10, |relevant|)) and reciprocal rank of the first relevant hit."""
    top = ranked[:10]
    recall = len(set(top) & relevant) / min(10, len(relevant)) if relevant else 0.0
    rr = next((1 / (i + 1) for i, m in enumerate(top) if m in relevant), 0.0)
    return recall, rr


Ranker = Callable[[str], Awaitable[list[int]]]


async def evaluate(
    run: Ranker, items: list[dict[str, Any]], relevant: Callable[[str], set[int]]
) -> tuple[float, float, float, float]:
    """Mean recall@10 and MRR over all items, then over the cross-language ones."""
    rows = [
        (item.get("cross", False), *scores(await run(item["query"]), relevant(item["topic"])))
        for item in items
    ]
    cross = [r for r in rows if r[0]] or [(True, 0.0, 0.0)]
    return (
        statistics.fmean(r[1] for r in rows),
        statistics.fmean(r[2] for r in rows),
        statistics.fmean(r[1] for r in cross),
        statistics.fmean(r[2] for r in cross),
    )


async def tune(
    db: Database, owner: int, items: list[dict[str, Any]], relevant: Any, embedder: Any
) -> tuple[float, float]:
    """The fusion constant k and semantic weight that do best on the dev queries."""
    from tools.search import _embeddings

    saved = _embeddings.RRF_K, _embeddings.SEMANTIC_WEIGHT
    results: list[tuple[float, float, float, float]] = []
    try:
        for k in (10, 30, 60, 120):
            for weight in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
                _embeddings.RRF_K, _embeddings.SEMANTIC_WEIGHT = k, weight
                fused = await evaluate(
                    lambda q: now(db, owner, q, embedder=embedder), items, relevant
                )
                results.append((fused[0], fused[1], k, weight))
    finally:
        _embeddings.RRF_K, _embeddings.SEMANTIC_WEIGHT = saved
    best = max(results, key=lambda r: (round(r[0], 4), round(r[1], 4), r[2] == saved[0]))
    print(
        f"dev split ({len(items)} other queries): best k={best[2]:g}, semantic weight "
        f"{best[3]:g} (recall@10 {best[0]:.2f}, MRR {best[1]:.2f}); in use: k={saved[0]:g}, "
        f"weight {saved[1]:g}"
    )
    return best[2], best[3]


def configured_embedder() -> Any:
    """WALLIE_EMBEDDING_MODEL when set, else the offline model when installed, else None."""
    from tools.search import from_settings, local_available, local_embedder

    embedder = from_settings(Settings())
    if embedder is None and local_available():
        embedder = local_embedder()
    return embedder


async def quality(url: str, tuning: bool) -> Any:
    """Recall@10 and MRR per mode, all queries and cross-language ones; the backfill time."""
    from bench.agent import truth
    from tools.owners import owner_id
    from tools.search import embed_pending

    spec = load()
    db = Database.from_url(url)
    owner = await owner_id(db, DEMO_OWNER)
    t = await truth(db, owner)

    def relevant(topic: str) -> set[int]:
        return t.topic(spec["topics"][topic])

    embedder = configured_embedder()
    modes: dict[str, tuple[Ranker, bool]] = {
        "before (prefix cut)": (lambda q: before(db, owner, q), True),
        "full-text, no vocabulary": (lambda q: now(db, owner, q, semantic=False), False),
        "full-text + vocabulary": (lambda q: now(db, owner, q, semantic=False), True),
    }
    if embedder is not None:
        async with db.connect() as conn:
            n = await conn.scalar(sa.text("SELECT count(*) FROM message"))
        started = time.perf_counter()
        stored = await embed_pending(db, owner, embedder)
        took = time.perf_counter() - started
        print(
            f"backfill: embedded {stored:,} of {n:,} messages with {embedder.model} in "
            f"{took:.1f} s ({stored / took:,.0f} messages/s; 100,000 messages would take "
            f"~{100_000 / (stored / took) / 60:.1f} min)"
        )
        modes["semantic"] = (lambda q: semantic_only(db, owner, q, embedder), True)
        modes["fused, no vocabulary"] = (lambda q: now(db, owner, q, embedder=embedder), False)
        modes["fused + vocabulary"] = (lambda q: now(db, owner, q, embedder=embedder), True)
        if tuning:
            await tune(db, owner, spec["retrieval_dev"], relevant, embedder)
    items = spec["retrieval"]
    print(
        f"\n## Retrieval quality: {len(items)} queries "
        f"({sum(bool(i.get('cross')) for i in items)} cross-language) on the 200-client demo"
    )
    print(f"{'mode':26s} {'recall@10':>10s} {'MRR':>6s} | {'cross recall@10':>15s} {'MRR':>6s}")
    for name, (run, vocabulary) in modes.items():
        with contextlib.nullcontext() if vocabulary else no_vocabulary():
            r, m, cr, cm = await evaluate(run, items, relevant)
        print(f"{name:26s} {r:10.2f} {m:6.2f} | {cr:15.2f} {cm:6.2f}")
    if embedder is None:
        from tools.search import status

        print(f"semantic / fused: not measured — {status(Settings())}")
    await db.dispose()
    return embedder


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def semantic_speed(url: str, repeats: int, embedder: Any, scale_to: int) -> None:
    """Backfill time, fused search p50/p95, and the semantic part's cost as vectors grow."""
    from bench.search_speed import choose
    from tools.owners import owner_id
    from tools.search import _embeddings, _vectors, embed_pending

    db = Database.from_url(url)
    owner = await owner_id(db, DEMO_OWNER)
    chosen, n = await choose(db)  # the common words the full-text speed figures use
    common = chosen.common
    started = time.perf_counter()
    stored = await embed_pending(db, owner, embedder)
    took = time.perf_counter() - started
    print(
        f"\nbackfill: embedded {stored:,} of {n:,} messages in {took:.0f} s "
        f"({stored / max(took, 1e-9):,.0f} messages/s, {embedder.model}, one thread)"
    )
    fused: list[float] = []
    for w in common:
        await now(db, owner, w, limit=20, embedder=embedder)
    for _ in range(repeats):
        for w in common:
            t0 = time.perf_counter()
            await now(db, owner, w, limit=20, embedder=embedder)
            fused.append((time.perf_counter() - t0) * 1000)
    print(
        f"{'fused (full-text + semantic)':28s} p50 {statistics.median(fused):7.1f} ms   "
        f"p95 {_pct(fused, 0.95):7.1f} ms"
    )
    queries = [(await embedder.embed([w]))[0] for w in common]

    async def nearest_cost(label: str) -> None:
        _vectors.forget()
        async with db.connect() as conn:
            t0 = time.perf_counter()
            await _embeddings.semantic_rank(
                conn,
                db.dialect,
                embedder.model,
                queries[0],
                "m.owner_id = :owner",
                {"owner": owner},
                50,
            )
            load = time.perf_counter() - t0
            times = []
            for _ in range(repeats):
                for q in queries:
                    t0 = time.perf_counter()
                    await _embeddings.semantic_rank(
                        conn,
                        db.dialect,
                        embedder.model,
                        q,
                        "m.owner_id = :owner",
                        {"owner": owner},
                        50,
                    )
                    times.append((time.perf_counter() - t0) * 1000)
            count = await conn.scalar(sa.text("SELECT count(*) FROM message_embedding"))
        print(
            f"semantic top 50 of {count:,} vectors ({label}): first search {load:.1f} s "
            f"(loads the sign bits), then p50 {statistics.median(times):.1f} ms, "
            f"p95 {_pct(times, 0.95):.1f} ms"
        )

    await nearest_cost("real")

    # Exact ranking of the same queries: how much of the true top 10 the shortlist keeps.
    async def top10() -> list[list[int]]:
        async with db.connect() as conn:
            return [
                [
                    i
                    for i, _ in (
                        await _embeddings.semantic_rank(
                            conn,
                            db.dialect,
                            embedder.model,
                            q,
                            "m.owner_id = :owner",
                            {"owner": owner},
                            10,
                        )
                    )[0]
                ]
                for q in queries
            ]

    saved, _vectors.SHORTLIST = _vectors.SHORTLIST, 10**9
    try:
        exact = await top10()
    finally:
        _vectors.SHORTLIST = saved
    bounded = await top10()
    agree = statistics.fmean(len(set(a) & set(b)) / 10 for a, b in zip(exact, bounded, strict=True))
    print(f"top 10 from the {saved:,} shortlist vs exact ranking of every vector: {agree:.0%}")
    if scale_to > stored and db.dialect == "sqlite":
        await _grow(db, owner, embedder.model, scale_to)
        await nearest_cost("real + perturbed copies")
    await db.dispose()


async def _grow(db: Database, owner: int, model: str, target: int) -> None:
    """Add perturbed copies of the stored vectors (ids past every message) up to `target`."""
    import numpy as np

    rng = np.random.default_rng(7)
    async with db.engine.begin() as conn:
        rows = (
            await conn.execute(
                sa.text("SELECT vector FROM message_embedding WHERE model = :m"), {"m": model}
            )
        ).all()
        base = np.stack([np.frombuffer(r.vector, np.float32) for r in rows])
        have = int(await conn.scalar(sa.text("SELECT count(*) FROM message_embedding")) or 0)
        next_id = int(await conn.scalar(sa.text("SELECT max(id) FROM message")) or 0) + 1
        await conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        started = time.perf_counter()
        while have < target:
            n = min(50_000, target - have)
            v = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.03, (n, base.shape[1]))
            v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
            await conn.execute(
                sa.text(
                    "INSERT INTO message_embedding (message_id, owner_id, model, dim, vector, "
                    "created_at) VALUES (:i, :o, :m, :d, :v, '2026-01-01 00:00:00')"
                ),
                [
                    {"i": next_id + j, "o": owner, "m": model, "d": v.shape[1], "v": v[j].tobytes()}
                    for j in range(n)
                ],
            )
            next_id += n
            have += n
    print(f"added perturbed vectors up to {target:,} in {time.perf_counter() - started:.0f} s")


async def main_async(args: argparse.Namespace) -> None:
    """Seed what is needed in a temporary directory and print both reports."""
    with tempfile.TemporaryDirectory(prefix="wallie-bench-retrieval-") as home:
        small = f"sqlite:///{Path(home) / 'demo.db'}"
        await seed(small)
        embedder = await quality(small, args.tune)
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
        if embedder is not None:
            await semantic_speed(url, args.repeats, embedder, args.vectors)


def main(argv: list[str]) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000, help="size of the speed demo")
    parser.add_argument("--url", help="an already seeded demo database for the speed part")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--vectors",
        type=int,
        default=0,
        help="also time the semantic part with this many vectors (perturbed copies; SQLite)",
    )
    parser.add_argument(
        "--tune", action="store_true", help="choose the fusion constants on the dev queries"
    )
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
