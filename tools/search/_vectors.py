"""A bounded nearest-neighbour search over stored message vectors (numpy).

Each process keeps, per database, owner and model, one sign bit per dimension of every
vector (64 bytes for 512 dimensions: 64 MB for a million messages). A query ranks them by
Hamming distance, takes a shortlist, and rescores the shortlist exactly with the float32
vectors read from the database. The cost grows with the owner's messages only through
the bit scan (one XOR and popcount per vector); everything else is bounded by SHORTLIST.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

SHORTLIST = 1000  # vectors rescored exactly per query (the rest is ranked by sign bits only)
RECHECK_SECONDS = 10.0  # how stale another process's new vectors may be in this one
_CHUNK = 2000  # rows per query when loading or rescoring (bounded statements)
_SCAN = 8192  # rows per slice of the bit scan
_LANES = np.uint64(0x00FF00FF00FF00FF)
_ONES = np.uint64(0x0001000100010001)

Bits = npt.NDArray[np.uint64]
Ids = npt.NDArray[np.int64]


def sign_bits(vectors: npt.NDArray[np.float32]) -> Bits:
    """One bit per dimension (positive or not), packed into 64-bit words per row."""
    packed = np.packbits(vectors > 0, axis=1)
    pad = (-packed.shape[1]) % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(packed).view(np.uint64)


def hamming(bits: Bits, query: Bits) -> npt.NDArray[np.uint64]:
    """Differing bits between every row and the query."""
    if len(bits) <= _SCAN:
        return _hamming(bits, query)
    # Cache-sized slices: the temporaries stay in L2 instead of streaming through memory.
    out = np.empty(len(bits), np.uint64)
    for start in range(0, len(bits), _SCAN):
        out[start : start + _SCAN] = _hamming(bits[start : start + _SCAN], query)
    return out


def _hamming(bits: Bits, query: Bits) -> npt.NDArray[np.uint64]:
    counts = np.bitwise_count(bits ^ query)  # one uint8 count (<= 64) per 64-bit word
    words = counts.shape[1]
    if words % 8:
        summed: npt.NDArray[np.uint64] = counts.sum(axis=1, dtype=np.uint64)
        return summed
    # Eight counts per 64-bit lane, added in registers instead of numpy's slow small-axis sum.
    lanes = counts.view(np.uint64)
    pairs = (lanes & _LANES) + ((lanes >> np.uint64(8)) & _LANES)  # four 16-bit sums <= 128
    total = (pairs * _ONES) >> np.uint64(48)  # their sum, <= 512
    summed = total[:, 0] if words == 8 else total.sum(axis=1)
    return summed


@dataclass
class _Index:
    """The sign bits of one owner's vectors from one model, ids ascending."""

    dim: int
    ids: Ids
    bits: Bits
    checked: float = 0.0

    def add(self, ids: Sequence[int], vectors: npt.NDArray[np.float32]) -> None:
        """Insert or replace rows."""
        if not len(ids):
            return
        new = np.asarray(ids, dtype=np.int64)
        keep = ~np.isin(self.ids, new)
        ids_all = np.concatenate([self.ids[keep], new])
        bits_all = np.concatenate([self.bits[keep], sign_bits(vectors)])
        order = np.argsort(ids_all, kind="stable")
        self.ids, self.bits = ids_all[order], bits_all[order]


_INDEXES: dict[tuple[str, int, str], _Index] = {}
_GUARD = threading.Lock()


def _key(conn: AsyncConnection, owner: int, model: str) -> tuple[str, int, str]:
    return (conn.engine.url.render_as_string(hide_password=True), owner, model)


def forget() -> None:
    """Drop every in-memory index (tests, or after restoring a database)."""
    with _GUARD:
        _INDEXES.clear()


def remember(
    url: str, owner: int, model: str, ids: Sequence[int], vectors: Sequence[Sequence[float]]
) -> None:
    """Add vectors just stored by this process to its index, if one is loaded."""
    index = _INDEXES.get((url, owner, model))
    if index is not None and vectors and len(vectors[0]) == index.dim:
        index.add(ids, np.asarray(vectors, dtype=np.float32))


def _as_matrix(blobs: Sequence[bytes], dim: int) -> npt.NDArray[np.float32]:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)


async def _count(conn: AsyncConnection, owner: int, model: str) -> int:
    return int(
        await conn.scalar(
            sa.text("SELECT count(*) FROM message_embedding WHERE owner_id = :o AND model = :m"),
            {"o": owner, "m": model},
        )
        or 0
    )


async def _load(conn: AsyncConnection, owner: int, model: str, dim: int) -> _Index:
    """Read every vector of the owner once, in id order and bounded chunks."""
    index = _Index(dim, np.empty(0, np.int64), np.empty((0, (dim + 63) // 64), np.uint64))
    ids: list[npt.NDArray[np.int64]] = []
    bits: list[Bits] = []
    after = -1
    while True:
        rows = (
            await conn.execute(
                sa.text(
                    """SELECT message_id, vector FROM message_embedding
                    WHERE owner_id = :o AND model = :m AND dim = :d AND message_id > :after
                    ORDER BY message_id LIMIT :n"""
                ),
                {"o": owner, "m": model, "d": dim, "after": after, "n": _CHUNK * 10},
            )
        ).all()
        if not rows:
            break
        ids.append(np.fromiter((r.message_id for r in rows), np.int64, len(rows)))
        bits.append(sign_bits(_as_matrix([r.vector for r in rows], dim)))
        after = rows[-1].message_id
    if ids:
        index.ids, index.bits = np.concatenate(ids), np.concatenate(bits)
    return index


async def _index(conn: AsyncConnection, owner: int, model: str, dim: int) -> _Index:
    """This process's index of the owner's vectors, reloaded when another process added some."""
    key = _key(conn, owner, model)
    index = _INDEXES.get(key)
    now = time.monotonic()
    if index is not None and index.dim == dim and now - index.checked < RECHECK_SECONDS:
        return index
    stored = await _count(conn, owner, model)
    if index is None or index.dim != dim or len(index.ids) != stored:
        index = await _load(conn, owner, model, dim)
        with _GUARD:
            _INDEXES[key] = index
    index.checked = now
    return index


async def nearest(
    conn: AsyncConnection,
    owner: int,
    model: str,
    query: Sequence[float],
    where: str,
    params: dict[str, Any],
    k: int,
) -> tuple[list[tuple[int, float]], str]:
    """The k stored vectors most similar (cosine) to `query` among messages matching `where`."""
    from tools.search._fts import _text

    q = np.asarray(query, dtype=np.float32)
    q /= float(np.linalg.norm(q)) or 1.0
    index = await _index(conn, owner, model, len(q))
    ids, bits = index.ids, index.bits
    if where.strip() != "m.owner_id = :owner":  # filters: only the matching messages compete
        sql = f"SELECT m.id FROM message m WHERE {where}"
        allowed = await conn.execute(_text(sql, params), params)
        keep = np.isin(ids, np.fromiter((r.id for r in allowed), np.int64))
        ids, bits = ids[keep], bits[keep]
    if not len(ids):
        return [], f"numpy sign-bit scan of {len(index.ids):,} vectors"
    distance = hamming(bits, sign_bits(q[None, :])[0])
    short = min(SHORTLIST, len(ids))
    pick = np.argpartition(distance, short - 1)[:short] if short < len(ids) else np.arange(len(ids))
    candidates = [int(i) for i in ids[pick]]
    scored: list[tuple[int, float]] = []
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT message_id, vector FROM message_embedding "
                    "WHERE model = :m AND message_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"m": model, "ids": chunk},
            )
        ).all()
        if rows:
            sims = _as_matrix([r.vector for r in rows], len(q)) @ q
            scored += [(r.message_id, float(s)) for r, s in zip(rows, sims, strict=True)]
    scored.sort(key=lambda x: (-x[1], -x[0]))
    how = f"numpy sign-bit scan of {len(index.ids):,} vectors, top {short:,} rescored"
    return scored[:k], how
