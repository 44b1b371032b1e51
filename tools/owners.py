"""Owners (tenants): every query is scoped to one."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.models import Owner, owner_table, utcnow

_ID = sa.select(owner_table.c.id)


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if not email or "@" not in email or len(email) > 320:
        raise InvalidArgument(f"owner must be an email address, got {email!r}")
    return email


async def ensure_owner(db: Database, email: str, name: str = "") -> int:
    """The id of the owner with `email`, created when missing."""
    email = _check_email(email)
    async with db.session() as session:
        found = await session.scalar(_ID.where(owner_table.c.email == email))
        if found is not None:
            return int(found)
        owner = Owner(email=email, name=name or email.split("@")[0], created_at=utcnow())
        session.add(owner)
        try:
            await session.commit()
        except sa.exc.IntegrityError:
            # Another process created it first: use theirs.
            await session.rollback()
            found = await session.scalar(_ID.where(owner_table.c.email == email))
            assert found is not None
            return int(found)
        assert owner.id is not None
        return owner.id


async def owner_id(db: Database, email: str) -> int:
    """The id of an existing owner, or NotFound."""
    email = _check_email(email)
    async with db.session() as session:
        found = await session.scalar(_ID.where(owner_table.c.email == email))
    if found is None:
        raise NotFound(f"no owner {email!r}; import or seed data for it first")
    return int(found)


async def list_owners(db: Database) -> list[Owner]:
    """Every owner, oldest first."""
    async with db.session() as session:
        return list((await session.scalars(sa.select(Owner).order_by(owner_table.c.id))).all())


def data_versions(db: Database) -> Callable[[str], Awaitable[str]]:
    """A cache's version source: an owner's id and data version, as committed in the database.

    Every write bumps the version in its own transaction, so a key built from it never
    serves an answer computed before a committed write, whichever process wrote.
    """
    if db.dialect == "sqlite" and db.sqlite_path is not None:
        return _SqliteVersions(db.sqlite_path).version
    stmt = sa.select(owner_table.c.id, owner_table.c.data_version).where(
        owner_table.c.email == sa.bindparam("e")
    )

    async def version(email: str) -> str:
        # One indexed read per lookup: the price of strict freshness on a server database.
        async with db.engine.connect() as conn:
            row = (await conn.execute(stmt, {"e": email.strip().lower()})).first()
        return _token(row)

    return version


def _token(row: Any) -> str:
    # The id too: an owner deleted and created again starts over at version 0.
    return f"{row[0]}-{row[1]}" if row else "none"


class _SqliteVersions:
    """Owner versions from an SQLite file, re-read only after some connection committed.

    `PRAGMA data_version` changes whenever another connection commits to the file; while
    it does not, the versions read before are still the committed ones. A plain sqlite3
    connection answers in microseconds, so it runs on the event loop.
    """

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout=1000")
        self.seen: int | None = None
        self.versions: dict[str, str] = {}

    async def version(self, email: str) -> str:
        """`email`'s version token, as of the last commit to the file."""
        email = email.strip().lower()
        (changes,) = self.conn.execute("PRAGMA data_version").fetchone()
        if changes != self.seen:
            self.seen, self.versions = changes, {}
        if email not in self.versions:
            row = self.conn.execute(
                "SELECT id, data_version FROM owner WHERE email = ?", (email,)
            ).fetchone()
            self.versions[email] = _token(row)
        return self.versions[email]
