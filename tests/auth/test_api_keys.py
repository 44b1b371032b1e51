"""API keys: HTTP needs a valid bearer key, and each key sees only its owner's data."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.harness import free_port as _free_port
from tools.apikeys import create_key, list_keys, revoke_key, verify_key
from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner

WALLIE = str(Path(sys.executable).with_name("wallie"))


def _message(client: str, text: str) -> MessageIn:
    return MessageIn(
        client=ClientIn(key=client, name=client),
        conversation=ConversationIn(key=f"{client}-wa", channel="whatsapp"),
        external_id=f"{client}-1",
        direction="inbound",
        sender=client,
        sent_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        text=text,
    )


@pytest.mark.anyio
async def test_a_key_maps_to_its_owner_and_stops_working_when_revoked(db: Database) -> None:
    key, info = await create_key(db, "Laura@Example.com", "laptop")
    assert key.startswith("wal_") and info.prefix == key[:12]
    assert await verify_key(db, key) == "laura@example.com"
    assert await verify_key(db, key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert await verify_key(db, "not-a-key") is None
    listed = await list_keys(db)
    assert [k.prefix for k in listed] == [info.prefix] and listed[0].last_used_at is not None
    await revoke_key(db, info.prefix)
    assert await verify_key(db, key) is None
    with pytest.raises(NotFound):
        await revoke_key(db, "wal_nothere")
    with pytest.raises(InvalidArgument):
        await revoke_key(db, "nope")


@contextmanager
def _serve(
    tmp_path: Path, *args: str, **extra_env: str
) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    """`wallie serve --transport http` on a SQLite file holding two owners' clients."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["WALLIE_HOME"] = str(tmp_path)
    env.update(extra_env)

    async def seed() -> dict[str, str]:
        db = Database.from_url(f"sqlite:///{tmp_path / 'wallie.db'}")
        await db.upgrade()
        keys = {}
        for owner, client in (("ana@x.es", "Cliente Ana"), ("bob@x.es", "Cliente Bob")):
            owner_id = await ensure_owner(db, owner)
            await ingest(db, owner_id, [_message(client, "hola, el precio")])
            keys[owner], _ = await create_key(db, owner)
        await db.dispose()
        return keys

    keys = asyncio.run(seed())
    port = _free_port()
    proc = subprocess.Popen(
        [WALLIE, "serve", "--transport", "http", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a loaded CI machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx2.get(url + "/healthz").status_code == 200:
                break
        except httpx2.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("wallie serve --transport http did not come up")
    try:
        yield url, keys, proc
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`wallie serve --transport http` on a SQLite file holding two owners' clients."""
    with _serve(tmp_path) as (url, keys, _proc):
        yield url, keys


async def _names(url: str, key: str) -> list[str]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"})
    async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        result = await client.call_tool("search_clients", {"query": "cliente"})
        assert not result.is_error, result.content
        return [c["name"] for c in result.structured_content["clients"]]


@pytest.mark.anyio
async def test_http_acts_as_the_keys_owner(http_server: tuple[str, dict[str, str]]) -> None:
    url, keys = http_server
    assert await _names(url, keys["ana@x.es"]) == ["Cliente Ana"]
    assert await _names(url, keys["bob@x.es"]) == ["Cliente Bob"]


def test_http_without_a_valid_key_is_refused(http_server: tuple[str, dict[str, str]]) -> None:
    url, _ = http_server
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"accept": "application/json, text/event-stream"}
    assert httpx2.post(url + "/mcp", json=body, headers=headers).status_code == 401
    bad = {**headers, "Authorization": "Bearer wal_wrongwrongwrongwrong"}
    assert httpx2.post(url + "/mcp", json=body, headers=bad).status_code == 401
    # Health stays open for load balancers.
    assert httpx2.get(url + "/healthz").status_code == 200


def test_no_auth_is_refused_on_a_public_address(tmp_path: Path) -> None:
    env = {**os.environ, "WALLIE_HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [WALLIE, "serve", "--transport", "http", "--host", "0.0.0.0", "--no-auth"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--no-auth is only allowed on a loopback host" in done.stderr
    assert "Traceback" not in done.stderr


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"accept": "application/json, text/event-stream"}


def test_the_401_advertises_only_what_exists(tmp_path: Path) -> None:
    # Bound to every interface: nothing may point clients at http://0.0.0.0.
    with _serve(tmp_path, "--host", "0.0.0.0") as (url, _keys, _proc):
        refused = httpx2.post(url + "/mcp", json=INITIALIZE, headers=ACCEPT)
        assert refused.status_code == 401
        challenge = refused.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert "resource_metadata" not in challenge and "0.0.0.0" not in challenge
        assert "0.0.0.0" not in refused.text
        # No OAuth metadata that would send OAuth clients to endpoints that do not exist.
        for path in (
            "/.well-known/oauth-protected-resource/mcp",
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-authorization-server",
        ):
            assert httpx2.get(url + path).status_code == 404


def test_a_revoked_key_stops_at_once_with_no_key_cache(tmp_path: Path) -> None:
    async def revoke(key: str) -> None:
        db = Database.from_url(f"sqlite:///{tmp_path / 'wallie.db'}")
        await revoke_key(db, key[:12])
        await db.dispose()

    with _serve(tmp_path, WALLIE_KEY_CACHE_TTL="0") as (url, keys, _proc):
        key = keys["ana@x.es"]
        assert asyncio.run(_names(url, key)) == ["Cliente Ana"]
        asyncio.run(revoke(key))
        headers = {**ACCEPT, "Authorization": f"Bearer {key}"}
        assert httpx2.post(url + "/mcp", json=INITIALIZE, headers=headers).status_code == 401


def test_sessions_per_key_are_capped(tmp_path: Path) -> None:
    with _serve(tmp_path, WALLIE_MAX_SESSIONS_PER_KEY="2") as (url, keys, _proc):
        ana = {**ACCEPT, "Authorization": f"Bearer {keys['ana@x.es']}"}
        bob = {**ACCEPT, "Authorization": f"Bearer {keys['bob@x.es']}"}
        opened = [httpx2.post(url + "/mcp", json=INITIALIZE, headers=ana) for _ in range(2)]
        assert [r.status_code for r in opened] == [200, 200]
        third = httpx2.post(url + "/mcp", json=INITIALIZE, headers=ana)
        assert third.status_code == 429
        assert "WALLIE_MAX_SESSIONS_PER_KEY" in third.json()["error"]["message"]
        # Another key is not affected, and closing a session frees its place.
        assert httpx2.post(url + "/mcp", json=INITIALIZE, headers=bob).status_code == 200
        sid = opened[0].headers["mcp-session-id"]
        closed = httpx2.delete(url + "/mcp", headers={**ana, "mcp-session-id": sid})
        assert closed.status_code in (200, 204)
        assert httpx2.post(url + "/mcp", json=INITIALIZE, headers=ana).status_code == 200


async def _cache_stats(url: str, key: str, searches: int) -> dict[str, Any]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"})
    async with Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        for _ in range(searches):
            assert not (await client.call_tool("search_clients", {"query": "cliente"})).is_error
        result = await client.call_tool("cache_stats", {})
        assert not result.is_error, result.content
        stats: dict[str, Any] = result.structured_content
        return stats


@pytest.mark.anyio
async def test_cache_stats_over_http_show_only_the_callers_owner(
    http_server: tuple[str, dict[str, str]],
) -> None:
    url, keys = http_server
    ana = await _cache_stats(url, keys["ana@x.es"], searches=3)
    assert ana["tools"]["search_clients"]["misses"] == 1
    assert ana["tools"]["search_clients"]["hits"] == 2
    bob = await _cache_stats(url, keys["bob@x.es"], searches=0)
    assert bob["tools"] == {}
