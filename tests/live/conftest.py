"""Live-data fixtures: a migrated database on both backends, a real Redis, and servers over them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tools import events as ev
from tools.apikeys import create_key
from tools.channels import APP_SECRET_ENV, VERIFY_TOKEN_ENV, add_channel
from tools.db import Database
from tools.settings import Settings, get_settings

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "verify-me-please"
PHONE_NUMBER_ID = "106540352242922"
OWNER = "ventas@example.es"
OTHER = "otra@example.es"


def fixture(name: str) -> dict[str, Any]:
    """A webhook payload written from Meta's documented examples."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Live:
    """One test's world: its database, Redis and the keys of two owners."""

    url: str
    redis_url: str | None
    key: str
    other_key: str

    def settings(self) -> Settings:
        """Settings pointing at this world."""
        return Settings(DATABASE_URL=self.url, REDIS_URL=self.redis_url, WALLIE_OWNER=OWNER)

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a `wallie` subprocess in this world."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLIE_", "REDIS_"))}
        env.update(
            DATABASE_URL=self.url,
            WALLIE_HOME=str(home),
            XDG_DATA_HOME=str(home),
            WALLIE_OWNER=OWNER,
            WALLIE_LOG_LEVEL="WARNING",
            WALLIE_SSE_HEARTBEAT="1",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            **{APP_SECRET_ENV: APP_SECRET, VERIFY_TOKEN_ENV: VERIFY_TOKEN},
        )
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env


async def _prepare(url: str) -> tuple[str, str]:
    db = Database.from_url(url)
    await db.upgrade()
    key, _ = await create_key(db, OWNER, "live tests")
    other, _ = await create_key(db, OTHER, "live tests")
    await add_channel(db, "whatsapp", PHONE_NUMBER_ID, OWNER)
    await db.dispose()
    return key, other


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    """The test Redis database, emptied (streams from earlier tests must not leak in)."""
    redis.Redis.from_url(redis_url).flushdb()
    return redis_url


@pytest.fixture
async def live(
    database_url: str, clean_redis: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Live]:
    """A migrated database with two owners' keys and a linked WhatsApp number; Redis events."""
    key, other = await _prepare(database_url)
    world = Live(database_url, clean_redis, key, other)
    _use_env(monkeypatch, world)
    yield world
    await _close_buses()


@pytest.fixture
async def live_memory(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Live]:
    """The same world without Redis: in-process events."""
    key, other = await _prepare(sqlite_url)
    world = Live(sqlite_url, None, key, other)
    _use_env(monkeypatch, world)
    yield world
    await _close_buses()


def _use_env(monkeypatch: pytest.MonkeyPatch, world: Live) -> None:
    monkeypatch.setenv("DATABASE_URL", world.url)
    if world.redis_url:
        monkeypatch.setenv("REDIS_URL", world.redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv(APP_SECRET_ENV, APP_SECRET)
    monkeypatch.setenv(VERIFY_TOKEN_ENV, VERIFY_TOKEN)
    get_settings.cache_clear()
    monkeypatch.setattr(ev, "_buses", {})


async def _close_buses() -> None:
    for bus in list(ev._buses.values()):
        await bus.aclose()
    get_settings.cache_clear()


@asynccontextmanager
async def in_process(world: Live, *, auth: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client to the server's ASGI app in this process (lifespan running)."""
    from server.app import build_server

    app = build_server(world.settings(), auth_url="http://127.0.0.1:8000" if auth else None)
    asgi = app.streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1")
    async with asgi.router.lifespan_context(asgi):
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
            yield c


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    """A running `wallie serve --transport http` process."""

    url: str
    process: subprocess.Popen[bytes]


def start_replica(world: Live, home: Path) -> Replica:
    """Start a real HTTP server process over this world and wait until it is ready."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "wallie", "serve", "--transport", "http", "--port", str(port)],
        env=world.env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return Replica(url, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not become ready in 60 s")


@pytest.fixture
def replicas(live: Live, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    """Two server processes sharing one database and one Redis."""
    started = [start_replica(live, tmp_path / "a"), start_replica(live, tmp_path / "b")]
    yield started[0], started[1]
    for r in started:
        r.process.terminate()
        try:
            r.process.wait(10)
        except subprocess.TimeoutExpired:
            r.process.kill()
