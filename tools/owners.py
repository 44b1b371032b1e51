"""Owners (tenants): every query is scoped to one."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tools.cache import VersionSource
from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.models import Owner, owner_table, utcnow

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]

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


def data_versions(db: Database) -> VersionSource:
    """A cache's version source: an owner's id and data version, as committed in the database.

    Every write bumps the version in its own transaction, so a key built from it never
    serves an answer computed before a committed write, whichever process wrote.
    """
    if db.dialect == "sqlite" and db.sqlite_path is not None:
        return _SqliteVersions(db.sqlite_path)
    if db.dialect == "postgresql":
        return _PostgresVersions(db.url)
    return _EngineVersions(db)


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
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.seen: int | None = None
        self.versions: dict[str, str] = {}

    async def __call__(self, email: str) -> str:
        """`email`'s version token, as of the last commit to the file."""
        if self.conn is None:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout=1000")
            self.seen = None
        email = email.strip().lower()
        (changes,) = self.conn.execute("PRAGMA data_version").fetchone()
        if changes != self.seen:
            self.seen, self.versions = changes, {}
        if email not in self.versions:
            row = self.conn.execute(_SQL.replace("$1", "?"), (email,)).fetchone()
            self.versions[email] = _token(row)
        return self.versions[email]

    async def aclose(self) -> None:
        """Close the file (a later call opens it again)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class _PostgresVersions:
    """Owner versions read on every lookup (strict), over a small raw asyncpg pool.

    One indexed read per lookup is the price of strict freshness on a server database;
    asyncpg without the ORM layer keeps it near one network round trip (~0.2 ms).
    """

    def __init__(self, url: str) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.pool: asyncpg.Pool | None = None
        self.lock = asyncio.Lock()

    async def __call__(self, email: str) -> str:
        """`email`'s committed version token."""
        if self.pool is None:
            import asyncpg  # only PostgreSQL needs it

            async with self.lock:
                if self.pool is None:
                    self.pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4)
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(_SQL, email.strip().lower())
        return _token(row)

    async def aclose(self) -> None:
        """Close the pool (a later call opens another)."""
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()


class _EngineVersions:
    """Owner versions through the engine (an in-memory SQLite database)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.stmt = sa.select(owner_table.c.id, owner_table.c.data_version).where(
            owner_table.c.email == sa.bindparam("e")
        )

    async def __call__(self, email: str) -> str:
        """`email`'s committed version token."""
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(self.stmt, {"e": email.strip().lower()})).first()
        return _token(row)

    async def aclose(self) -> None:
        """Nothing to close: the engine is the caller's."""


_SQL = "SELECT id, data_version FROM owner WHERE email = $1"
