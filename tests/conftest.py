"""Shared fixtures: real SQLite and PostgreSQL databases, a real Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx2
import pytest
import sqlalchemy as sa

from bench.harness import free_port as _free_port
from tools.db import Database

POSTGRES_URL = os.environ.get(
    "WALLIE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("WALLIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def require_service(url: str, default_port: int, name: str) -> None:
    """Fail (in CI) or skip (on a laptop) when a test service does not answer."""
    if _answers(url, default_port):
        return
    message = f"{name} does not answer at {url}"
    if IN_CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message + " (set CI=true to make this a failure)")


@pytest.fixture
def anyio_backend() -> str:
    """Tests run on asyncio (the backend the MCP SDK and asyncpg use)."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server URL, checked to answer."""
    require_service(POSTGRES_URL, 5432, "PostgreSQL")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis URL (database 15 by default), checked to answer."""
    require_service(REDIS_URL, 6379, "Redis")
    return REDIS_URL


def _create_pg_database(admin_url: str) -> str:
    """Create a throw-away PostgreSQL database and return its URL."""
    import asyncio

    name = f"wallie_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        db = Database.from_url(admin_url)
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        await db.dispose()

    asyncio.run(create())
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(admin_url: str, url: str) -> None:
    import asyncio

    name = url.rsplit("/", 1)[1]

    async def drop() -> None:
        db = Database.from_url(admin_url)
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await db.dispose()

    asyncio.run(drop())


def built_database(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    build: Callable[[str], Awaitable[None]],
) -> Iterator[str]:
    """A database on the backend named by `request.param`, filled once by `build(url)`."""
    import asyncio

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('built') / 'wallie.db'}"
        asyncio.run(build(url))
        yield url
        return
    admin = request.getfixturevalue("postgres_admin_url")
    url = _create_pg_database(admin)
    asyncio.run(build(url))
    yield url
    _drop_pg_database(admin, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, empty SQLite file."""
    return f"sqlite:///{tmp_path / 'wallie.db'}"


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    url = _create_pg_database(postgres_admin_url)
    yield url
    _drop_pg_database(postgres_admin_url, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per supported backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wallie.db'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    url = _create_pg_database(admin)
    yield url
    _drop_pg_database(admin, url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    database = Database.from_url(database_url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    return _free_port()


HttpServer = Callable[..., str]


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    """Start `wallie serve --transport http` (args and env given) and return its base URL."""
    running: list[subprocess.Popen[bytes]] = []

    def start(*args: str, env: dict[str, str]) -> str:
        port = _free_port()
        command = [str(Path(sys.executable).with_name("wallie")), "serve", "--transport", "http"]
        proc = subprocess.Popen(
            [*command, "--port", str(port), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        running.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(url + "/healthz").status_code == 200:
                    return url
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                error = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"wallie serve did not start: {error}")
            time.sleep(0.1)

    yield start
    for proc in running:
        proc.terminate()
        proc.wait(10)
