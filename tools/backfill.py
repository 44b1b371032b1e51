"""Sentiment for stored messages: those never scored, and those scored by an older model."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tools.db import Database
from tools.tables import MESSAGES


def _stale(version: str) -> sa.ColumnElement[bool]:
    m = MESSAGES.c
    return sa.or_(
        m.sentiment_label.is_(None),
        m.sentiment_version.is_(None),
        m.sentiment_version != version,
    )


def current_version() -> str:
    """The version of the offline model that scores messages now."""
    from tools.sentiment import model_version

    return model_version()


async def pending_count(db: Database, owner_id: int | None = None) -> int:
    """How many messages have no score from the current model yet."""
    stmt = sa.select(sa.func.count()).select_from(MESSAGES).where(_stale(current_version()))
    if owner_id is not None:
        stmt = stmt.where(MESSAGES.c.owner_id == owner_id)
    async with db.connect() as conn:
        return int(await conn.scalar(stmt) or 0)


async def pending_owners(db: Database, owner_id: int | None = None) -> list[int]:
    """The owners with messages the current model has not scored."""
    m = MESSAGES.c
    stmt = sa.select(m.owner_id).where(_stale(current_version())).distinct()
    if owner_id is not None:
        stmt = stmt.where(m.owner_id == owner_id)
    async with db.connect() as conn:
        return sorted(int(r) for r in (await conn.scalars(stmt)).all())


async def backfill_sentiment(
    db: Database,
    *,
    owner_id: int | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score and store sentiment for every message not scored by the current model; how many."""
    from tools.sentiment import score_many

    version = current_version()
    done = 0
    last_id = 0
    m = MESSAGES
    while True:
        # Keyset pagination by id: each batch is its own short transaction, so a
        # backfill can be interrupted and resumed without redoing work.
        stmt = (
            sa.select(m.c.id, m.c.text)
            .where(_stale(version), m.c.id > last_id)
            .order_by(m.c.id)
            .limit(batch_size)
        )
        if owner_id is not None:
            stmt = stmt.where(m.c.owner_id == owner_id)
        async with db.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
            if not rows:
                return done
            results = score_many([r.text for r in rows])
            await conn.execute(
                sa.update(m)
                .where(m.c.id == sa.bindparam("row_id"))
                .values(
                    sentiment_label=sa.bindparam("label"),
                    sentiment_score=sa.bindparam("score"),
                    sentiment_version=version,
                ),
                [
                    {"row_id": r.id, "label": label, "score": score}
                    for r, (label, score) in zip(rows, results, strict=True)
                ],
            )
        done += len(rows)
        last_id = rows[-1].id
        if progress:
            progress(len(rows))
