"""Database engine, sessions and migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import functools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from tools.errors import ConfigError
from tools.settings import Settings
from tools.text import mask_password

MIGRATIONS = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def to_async_url(url: str) -> str:
    """`url` as people write it, with the async driver Wallie uses for its database."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(f"DATABASE_URL is not a database URL: {mask_password(url)!r}") from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"DATABASE_URL uses {backend!r}; Wallie supports postgresql:// and sqlite:// URLs"
        )
    return parsed.set(drivername=_ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


def _quiet_sql_logs(log_sql: bool) -> None:
    """Statements and their parameters are logged only when asked for (WALLIE_LOG_SQL=1)."""
    # aiosqlite's DEBUG lines print each call with its arguments, parameters included.
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG if log_sql else logging.INFO)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO if log_sql else logging.WARNING)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the MCP server) run while an import writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # Concurrent imports queue for the write lock rather than fail.
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


@dataclass
class Database:
    """An async engine plus the helpers every query needs."""

    engine: AsyncEngine
    url: str

    @classmethod
    def from_url(cls, url: str, *, log_sql: bool = False) -> Database:
        """Open (lazily) the database at `url`; the async driver is chosen here.

        SQL parameters (searched names, emails) stay out of logs and error messages
        unless `log_sql` (WALLIE_LOG_SQL=1) asks for them.
        """
        async_url = to_async_url(url)
        parsed = make_url(async_url)
        _quiet_sql_logs(log_sql)
        kwargs: dict[str, Any] = {"hide_parameters": not log_sql}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        engine = create_async_engine(async_url, **kwargs)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cls(engine=engine, url=async_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """Open the database the settings point at (embedded SQLite when unset)."""
        return cls.from_url(settings.async_database_url, log_sql=settings.log_sql)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def sqlite_path(self) -> str | None:
        """The SQLite file, or None for PostgreSQL and in-memory databases."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return str(Path(parsed.database).expanduser())

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session; commit is the caller's."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A read connection for Core queries."""
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    # -- migrations -------------------------------------------------------

    async def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to `revision`."""
        from alembic import command

        async with self.engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(_alembic_config(c), revision))

    async def downgrade(self, revision: str) -> None:
        """Run the Alembic migrations down to `revision`."""
        from alembic import command

        async with self.engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(_alembic_config(c), revision))

    async def current_revision(self) -> str | None:
        """The revision the database is at, or None when it was never migrated."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current_revision)


def _current_revision(conn: sa.Connection) -> str | None:
    # One query instead of loading Alembic (the common case: a single row at the head).
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) <= 1:
        return rows[0] if rows else None
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()  # its error for many heads


def _alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest migration revision shipped with this version."""
    return _scanned_head() or _alembic_head()


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _scanned_head() -> str | None:
    """The head read from the revision files' assignments, or None when they are unusual."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head
