"""Sentiment for messages stored without it (older imports, or before the analyser existed)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import col

from tools.db import Database
from tools.models import Message
from tools.tables import MESSAGES


async def pending_count(db: Database, owner_id: int | None = None) -> int:
    """How many messages have no stored sentiment yet."""
    stmt = (
        sa.select(sa.func.count())
        .select_from(Message)
        .where(col(Message.sentiment_label).is_(None))
    )
    if owner_id is not None:
        stmt = stmt.where(col(Message.owner_id) == owner_id)
    async with db.connect() as conn:
        return int(await conn.scalar(stmt) or 0)


async def backfill_sentiment(
    db: Database,
    *,
    owner_id: int | None = None,
    batch_size: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score and store sentiment for every message that lacks it; returns how many."""
    from tools.sentiment import analyze_many

    done = 0
    last_id = 0
    m = MESSAGES
    while True:
        # Keyset pagination by id: each batch is its own short transaction, so a
        # backfill can be interrupted and resumed without redoing work.
        stmt = (
            sa.select(m.c.id, m.c.text)
            .where(m.c.sentiment_label.is_(None), m.c.id > last_id)
            .order_by(m.c.id)
            .limit(batch_size)
        )
        if owner_id is not None:
            stmt = stmt.where(m.c.owner_id == owner_id)
        async with db.engine.begin() as conn:
            rows = (await conn.execute(stmt)).all()
            if not rows:
                return done
            results = analyze_many([r.text for r in rows])
            await conn.execute(
                sa.update(m)
                .where(m.c.id == sa.bindparam("row_id"))
                .values(
                    sentiment_label=sa.bindparam("label"), sentiment_score=sa.bindparam("score")
                ),
                [
                    {"row_id": r.id, "label": res.label, "score": res.score}
                    for r, res in zip(rows, results, strict=True)
                ],
            )
        done += len(rows)
        last_id = rows[-1].id
        if progress:
            progress(len(rows))
