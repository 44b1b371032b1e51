"""Semantic retrieval: message embeddings (LiteLLM or a function passed in), stored and searched.

Vectors are unit-length float32 blobs in `message_embedding`. On SQLite they are ranked by
sqlite-vec's `vec_distance_cosine` (C, brute force) when the extension loads; otherwise, and
on PostgreSQL (pgvector is detected but not used: vectors are stored as bytea), by an exact
scan in Python, which reads every vector of the owner: fine for thousands, slow for millions.
"""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.db import Database
from tools.errors import ConfigError
from tools.models import UTCDateTime, utcnow
from tools.settings import Settings

EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
EMBED_PER_SEARCH = 128  # messages a search may embed to catch up: bounds its extra time

_TABLE = sa.table(
    "message_embedding",
    sa.column("message_id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("model", sa.String),
    sa.column("dim", sa.Integer),
    sa.column("vector", sa.LargeBinary),
    sa.column("created_at", UTCDateTime()),
)


@dataclass(frozen=True)
class Embedder:
    """A named embedding function: texts in, one vector per text out."""

    model: str
    embed: EmbedFn
    batch: int = 64


def litellm_embedder(model: str, **kwargs: Any) -> Embedder:
    """Embeddings from any LiteLLM embedding model (imported only when first used)."""

    async def embed(texts: list[str]) -> list[list[float]]:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        response = await litellm.aembedding(model=model, input=texts, **kwargs)
        vectors = [list(item["embedding"]) for item in response.data]
        if len(vectors) != len(texts):
            raise ConfigError(
                f"embedding model {model!r} returned {len(vectors)} vectors for {len(texts)} texts"
            )
        return vectors

    return Embedder(model=model, embed=embed)


_FROM_SETTINGS: dict[str, Embedder] = {}


def from_settings(settings: Settings) -> Embedder | None:
    """The configured embedder (WALLIE_EMBEDDING_MODEL), or None: no offline model ships."""
    model = getattr(settings, "embedding_model", None)
    if not model:
        return None
    if model not in _FROM_SETTINGS:
        _FROM_SETTINGS[model] = litellm_embedder(model)
    return _FROM_SETTINGS[model]


def pack(vector: Sequence[float]) -> bytes:
    """A unit-length float32 blob (cosine similarity becomes a dot product)."""
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return array("f", (x / norm for x in vector)).tobytes()


def unpack(blob: bytes) -> array[float]:
    """The float32 values of a blob made by `pack`."""
    values = array("f")
    values.frombytes(blob)
    return values


async def pending(db: Database, owner_id: int, model: str) -> int:
    """How many of the owner's messages have no embedding from `model` yet."""
    async with db.connect() as conn:
        return int(
            await conn.scalar(
                sa.text(
                    """SELECT count(*) FROM message m LEFT JOIN message_embedding e
                    ON e.message_id = m.id AND e.model = :model
                    WHERE m.owner_id = :owner AND e.message_id IS NULL"""
                ),
                {"owner": owner_id, "model": model},
            )
            or 0
        )


async def embed_pending(
    db: Database, owner_id: int, embedder: Embedder, *, limit: int | None = None
) -> int:
    """Embed the owner's newest messages that lack a vector; returns how many were stored.

    Each batch is its own short transaction, so an import running alongside never waits
    for more than one batch, and an interrupted backfill resumes where it stopped.
    """
    done = 0
    while limit is None or done < limit:
        size = embedder.batch if limit is None else min(embedder.batch, limit - done)
        async with db.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        """SELECT m.id, m.text FROM message m LEFT JOIN message_embedding e
                        ON e.message_id = m.id AND e.model = :model
                        WHERE m.owner_id = :owner AND e.message_id IS NULL
                        ORDER BY m.id DESC LIMIT :n"""
                    ),
                    {"owner": owner_id, "model": embedder.model, "n": size},
                )
            ).all()
        if not rows:
            break
        vectors = await embedder.embed([r.text[:4000] for r in rows])
        async with db.engine.begin() as conn:
            ids = [r.id for r in rows]
            # One model per message: a vector from another model is replaced.
            await conn.execute(sa.delete(_TABLE).where(_TABLE.c.message_id.in_(ids)))
            await conn.execute(
                sa.insert(_TABLE),
                [
                    {
                        "message_id": r.id,
                        "owner_id": owner_id,
                        "model": embedder.model,
                        "dim": len(v),
                        "vector": pack(v),
                        "created_at": utcnow(),
                    }
                    for r, v in zip(rows, vectors, strict=True)
                ],
            )
        done += len(rows)
    return done


async def _sqlite_vec(conn: AsyncConnection) -> bool:
    """Load sqlite-vec into this connection once; False when it cannot be loaded."""
    raw = await conn.get_raw_connection()
    if "sqlite_vec" in raw.info:
        return bool(raw.info["sqlite_vec"])
    try:
        import sqlite_vec

        driver = raw.driver_connection  # the aiosqlite connection
        assert driver is not None
        await driver.enable_load_extension(True)
        await driver.load_extension(sqlite_vec.loadable_path())
        await driver.enable_load_extension(False)
        raw.info["sqlite_vec"] = True
    except Exception:  # no extension support in this SQLite build, or no wheel
        raw.info["sqlite_vec"] = False
    return bool(raw.info["sqlite_vec"])


async def semantic_rank(
    conn: AsyncConnection,
    dialect: str,
    model: str,
    query_vector: Sequence[float],
    where: str,
    params: dict[str, Any],
    k: int,
) -> tuple[list[tuple[int, float]], str]:
    """The k messages nearest to the query (cosine), and which index ranked them."""
    from tools.search._fts import _text

    q = pack(query_vector)
    base = f"""FROM message_embedding e JOIN message m ON m.id = e.message_id
        WHERE e.model = :model AND e.owner_id = :owner AND {where}"""
    args = {**params, "model": model, "qv": q, "k": k}
    if dialect == "sqlite" and await _sqlite_vec(conn):
        rows = await conn.execute(
            _text(
                f"""SELECT m.id, 1 - vec_distance_cosine(e.vector, :qv) AS score {base}
                ORDER BY vec_distance_cosine(e.vector, :qv), m.id DESC LIMIT :k""",
                args,
            ),
            args,
        )
        return [(r.id, float(r.score)) for r in rows], "sqlite-vec"
    qa = unpack(q)
    scored: list[tuple[float, int]] = []
    result = await conn.stream(_text(f"SELECT m.id, e.vector {base}", args), args)
    async for r in result:
        v = unpack(r.vector)
        if len(v) == len(qa):
            scored.append((sum(a * b for a, b in zip(qa, v, strict=True)), r.id))
    scored.sort(key=lambda x: (-x[0], -x[1]))
    index = "exact scan"
    if dialect == "postgresql":
        has = await conn.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'"))
        index += " (pgvector installed but vectors are stored as bytea)" if has else ""
    return [(i, s) for s, i in scored[:k]], index


def fuse(*rankings: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked id lists: sum of 1 / (RRF_K + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (item, _) in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda x: (-x[1], -x[0]))
