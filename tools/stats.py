"""Counts of what a database holds, for status screens."""

from __future__ import annotations

import sqlalchemy as sa

from tools.db import Database
from tools.models import Client, Conversation, Message, Owner


async def database_counts(db: Database) -> dict[str, int]:
    """Rows per table, across owners."""
    counts: dict[str, int] = {}
    async with db.connect() as conn:
        for name, model in (
            ("owners", Owner),
            ("clients", Client),
            ("conversations", Conversation),
            ("messages", Message),
        ):
            counts[name] = int(
                await conn.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            )
    return counts
