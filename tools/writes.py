"""What happens after an owner's data changes outside `ingest`: its data version moves on."""

from __future__ import annotations

import sqlalchemy as sa

from tools.db import Database
from tools.models import owner_table as table
from tools.settings import Settings


async def bump_data_version(db: Database, owner: str) -> None:
    """Advance `owner`'s data version, so no cache serves an answer computed before now."""
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.update(table)
            .where(table.c.email == owner.strip().lower())
            .values(data_version=table.c.data_version + 1)
        )


async def data_changed(settings: Settings, owner: str) -> None:
    """`bump_data_version` on the settings' database.

    Writes through `tools.ingest.ingest` bump the version inside their own transaction;
    this is for writers that commit on their own (for example a sentiment backfill).
    """
    db = Database.from_settings(settings)
    try:
        await bump_data_version(db, owner)
    finally:
        await db.dispose()
