"""Writes outside `ingest`: data versions that move on, phones normalised again."""

from __future__ import annotations

import sqlalchemy as sa

from tools.db import Database
from tools.models import client_table as client
from tools.models import owner_table as table
from tools.settings import Settings
from tools.text import phone_digits


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


def renormalise_phones(conn: sa.Connection, region: str | None = None) -> int:
    """Recompute every stored phone's matching form (E.164 digits); returns how many changed.

    Run by migration 0005 and whenever the normalisation or WALLIE_DEFAULT_REGION changes;
    the owners of changed clients get a new data version in the same transaction.
    """
    rows = conn.execute(
        sa.select(client.c.id, client.c.owner_id, client.c.phone, client.c.phone_digits).where(
            client.c.phone.is_not(None)
        )
    ).all()
    changed = [
        {"row_id": row.id, "digits": digits, "owner": row.owner_id}
        for row in rows
        if (digits := phone_digits(row.phone, region)) != row.phone_digits
    ]
    if changed:
        conn.execute(
            sa.update(client)
            .where(client.c.id == sa.bindparam("row_id"))
            .values(phone_digits=sa.bindparam("digits")),
            changed,
        )
        conn.execute(
            sa.update(table)
            .where(table.c.id.in_({c["owner"] for c in changed}))
            .values(data_version=table.c.data_version + 1)
        )
    return len(changed)


async def renormalise_stored_phones(db: Database, region: str | None = None) -> int:
    """`renormalise_phones` in one transaction on `db`."""
    async with db.engine.begin() as conn:
        return await conn.run_sync(renormalise_phones, region)
