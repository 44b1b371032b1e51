"""Two real `wallie serve --transport http` processes sharing a database and Redis."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.subscriptions import ResourceUpdated

from tests.live.conftest import Live, Replica

pytestmark = pytest.mark.anyio


def _record(
    n: int, *, client: str = "Marta Ruiz", phone: str = "+34 611 000 001"
) -> dict[str, Any]:
    return {
        "client": {"name": client, "phone": phone},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": f"api-{n}",
            "direction": "inbound",
            "sent_at": f"2026-11-26T10:{n:02d}:00Z",
            "text": f"Mensaje número {n}",
        },
    }


async def _post(replica: Replica, key: str, body: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            replica.url + "/api/messages", json=body, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _mcp(replica: Replica, key: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return Client(streamable_http_client(replica.url + "/mcp", http_client=http))


async def test_a_subscriber_on_one_replica_hears_a_message_posted_to_the_other(
    live: Live, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    first = await _post(a, live.key, _record(1))
    conversation = first["messages"][0]["conversation_id"]
    client_id = first["messages"][0]["client_id"]
    uris = [
        f"wallie://conversations/{conversation}",
        f"wallie://clients/{client_id}",
        "wallie://inbox",
    ]
    heard: list[str] = []
    other_heard: list[str] = []
    async with _mcp(b, live.key) as mine, _mcp(b, live.other_key) as theirs:
        resources = mine.server_capabilities.resources
        assert resources is not None and resources.subscribe is True
        async with (
            mine.listen(resource_subscriptions=uris) as sub,
            theirs.listen(resource_subscriptions=uris) as other_sub,
        ):
            all_heard = anyio.Event()

            async def collect(into: list[str], stream: Any) -> None:
                async for event in stream:
                    assert isinstance(event, ResourceUpdated)
                    into.append(event.uri)
                    if set(heard) == set(uris):
                        all_heard.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(collect, heard, sub)
                tg.start_soon(collect, other_heard, other_sub)
                await _post(a, live.key, _record(2))
                with anyio.fail_after(10):
                    await all_heard.wait()
                await anyio.sleep(0.5)  # room for a leak to show up
                tg.cancel_scope.cancel()
        inbox = await mine.read_resource("wallie://inbox")
    assert sorted(set(heard)) == sorted(uris)
    assert other_heard == []
    latest = json.loads(inbox.contents[0].text)["messages"]  # type: ignore[union-attr]
    assert [m["text"] for m in latest[:2]] == ["Mensaje número 2", "Mensaje número 1"]


async def _sse(
    replica: Replica, key: str, last_id: str | None, want: int
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    headers = {"Authorization": f"Bearer {key}"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=15)) as http,
        http.stream("GET", replica.url + "/api/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id = ""
        got = 0
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                yield event_id, json.loads(line[5:])
                got += 1
                if got >= want:
                    return


async def test_sse_resumes_after_a_disconnect_and_stays_within_the_owner(
    live: Live, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    await _post(a, live.key, _record(1))  # the client exists: later posts are client.updated
    received: list[tuple[str, dict[str, Any]]] = []

    async def first_connection() -> None:
        async for item in _sse(b, live.key, None, want=2):
            received.append(item)

    async with anyio.create_task_group() as tg:
        tg.start_soon(first_connection)
        await anyio.sleep(1.0)  # the stream is open (it starts at the newest event)
        await _post(a, live.other_key, _record(9, client="Otro Cliente"))  # another owner
        await _post(a, live.key, _record(2))
    assert [e["type"] for _, e in received] == ["message.created", "client.updated"]
    assert received[0][1]["preview"] == "Mensaje número 2"
    last_id = received[-1][0]

    # Disconnected: two more messages arrive, then the client comes back with Last-Event-ID.
    await _post(a, live.key, [_record(3), _record(4)])
    resumed = [e async for e in _sse(b, live.key, last_id, want=3)]
    assert [(e["type"], e.get("preview")) for _, e in resumed] == [
        ("message.created", "Mensaje número 3"),
        ("message.created", "Mensaje número 4"),
        ("client.updated", None),
    ]
    assert all(e["owner_id"] == received[0][1]["owner_id"] for _, e in resumed)
    ids = [i for i, _ in resumed]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))) and ids[0] > last_id


async def test_sse_heartbeats_keys_and_tail_through_a_server(
    live: Live, replicas: tuple[Replica, Replica]
) -> None:
    _, b = replicas
    async with httpx.AsyncClient(timeout=10) as http:
        no_key = await http.get(b.url + "/api/events")
        bad_resume = await http.get(
            b.url + "/api/events",
            headers={"Authorization": f"Bearer {live.key}", "Last-Event-ID": "yesterday"},
        )
        lines: list[str] = []
        with anyio.fail_after(8):
            async with http.stream(
                "GET", b.url + "/api/events", headers={"Authorization": f"Bearer {live.key}"}
            ) as response:
                async for line in response.aiter_lines():
                    lines.append(line)
                    if sum(1 for x in lines if x.startswith(": ping")) >= 2:
                        break
    assert no_key.status_code == 401
    assert bad_resume.status_code == 400
    assert sum(1 for x in lines if x.startswith(": ping")) == 2  # WALLIE_SSE_HEARTBEAT=1

    # `wallie events tail --server-url` follows the same stream, no Redis of its own.
    await _post(b, live.key, _record(1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLIE_", "REDIS_"))}
    env["WALLIE_API_KEY"] = live.key
    command = [sys.executable, "-m", "wallie", "events", "tail", "--server-url", b.url]
    tail = await anyio.run_process(
        [*command, "--json", "--after", "0-0", "--count", "2"], env=env, check=False
    )
    assert tail.returncode == 0, tail.stderr.decode()
    events = [json.loads(x) for x in tail.stdout.decode().splitlines()]
    assert [e["type"] for e in events] == ["client.created", "message.created"]
    assert events[1]["preview"] == "Mensaje número 1"
    env["WALLIE_API_KEY"] = "wal_wrong"
    refused = await anyio.run_process([*command, "--count", "1"], env=env, check=False)
    assert refused.returncode == 2 and b"HTTP 401" in refused.stderr
