"""`resources/subscribe` for hosts on the handshake-era protocol (2025-06-18), per owner."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp_types import ResourceUpdatedNotification

from server.app import build_server
from tests.live.conftest import Live, Replica
from tests.live.test_replicas import _post, _record
from tests.live.test_subscriptions import _message, two_owners
from tools.ingest import ingest

pytestmark = [
    pytest.mark.anyio,
    # The SDK warns that 2026-07-28 removed these requests; older hosts still send them.
    pytest.mark.filterwarnings("ignore:resources/(un)?subscribe is removed"),
]

OLD = "2025-06-18"


class OldHost:
    """An MCP host speaking 2025-06-18 JSON-RPC over streamable HTTP, as desktop hosts do."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url
        self.session_id = ""
        self.next_id = 0
        self.updates: list[str] = []
        self.capabilities: dict[str, Any] = {}
        self.arrived = anyio.Event()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream"}
        if self.session_id:
            headers |= {"Mcp-Session-Id": self.session_id, "MCP-Protocol-Version": OLD}
        return headers

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return its JSON-RPC response (JSON or a one-event SSE body)."""
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        response = await self.http.post(self.url, json=body, headers=self._headers())
        assert response.status_code == 200, response.text
        self.session_id = response.headers.get("mcp-session-id", self.session_id)
        if response.headers["content-type"].startswith("text/event-stream"):
            data = [x[5:] for x in response.text.splitlines() if x.startswith("data:")]
            messages = [json.loads(d) for d in data if d.strip()]
            return next(m for m in messages if m.get("id") == self.next_id)
        return dict(response.json())

    async def initialize(self) -> None:
        """The handshake, then the standalone GET stream that carries server notifications."""
        answer = await self.request(
            "initialize",
            {
                "protocolVersion": OLD,
                "capabilities": {},
                "clientInfo": {"name": "old-desktop-host", "version": "1.0"},
            },
        )
        assert answer["result"]["protocolVersion"] == OLD
        self.capabilities = answer["result"]["capabilities"]
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        response = await self.http.post(self.url, json=note, headers=self._headers())
        assert response.status_code == 202

    async def listen(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        """Collect `notifications/resources/updated` from the standalone stream."""
        headers = self._headers() | {"Accept": "text/event-stream"}
        async with self.http.stream("GET", self.url, headers=headers) as response:
            assert response.status_code == 200
            task_status.started()
            async for line in response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("method") == "notifications/resources/updated":
                    self.updates.append(message["params"]["uri"])
                    self.arrived.set()

    async def wait_for(self, uri: str) -> None:
        """Until an update for `uri` arrived (10 s at most)."""
        with anyio.fail_after(10):
            while uri not in self.updates:
                self.arrived = anyio.Event()
                await self.arrived.wait()


@asynccontextmanager
async def old_host(replica: Replica, key: str) -> AsyncIterator[OldHost]:
    """An initialized 2025-06-18 host on `replica`, acting as `key`'s owner, listening."""
    headers = {"Authorization": f"Bearer {key}"}
    timeout = httpx.Timeout(10, read=None)
    async with (
        httpx.AsyncClient(headers=headers, timeout=timeout) as http,
        anyio.create_task_group() as tg,
    ):
        host = OldHost(http, replica.url + "/mcp")
        await host.initialize()
        await tg.start(host.listen)
        yield host
        tg.cancel_scope.cancel()


async def test_an_old_http_host_hears_a_message_posted_to_another_replica(
    live: Live, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    first = (await _post(b, live.key, _record(1)))["messages"][0]
    conversation = f"wallie://conversations/{first['conversation_id']}"
    client = f"wallie://clients/{first['client_id']}"
    async with old_host(a, live.key) as mine, old_host(a, live.other_key) as theirs:
        assert mine.capabilities["resources"]["subscribe"] is True
        for uri in (conversation, client, "wallie://inbox"):
            assert (await mine.request("resources/subscribe", {"uri": uri}))["result"] == {}
            await theirs.request("resources/subscribe", {"uri": uri})  # same ids, other owner

        await _post(b, live.key, _record(2))
        for uri in (conversation, client, "wallie://inbox"):
            await mine.wait_for(uri)

        # Unsubscribed from the conversation: the next message updates the inbox only.
        assert (await mine.request("resources/unsubscribe", {"uri": conversation}))["result"] == {}
        mine.updates.clear()
        await _post(b, live.key, _record(3))
        await mine.wait_for("wallie://inbox")
        await anyio.sleep(0.5)  # room for a late conversation update to show up
        assert conversation not in mine.updates
        assert theirs.updates == []  # another owner's session heard nothing

        # The other owner's own message reaches them, and not us.
        mine.updates.clear()
        await _post(b, live.other_key, _record(4, client="Otro Cliente"))
        await theirs.wait_for("wallie://inbox")
        await anyio.sleep(0.5)
        assert mine.updates == []


async def test_a_legacy_session_subscribes_and_unsubscribes_in_process(live: Live) -> None:
    """The handshake-era stream loop in this process, fed through Redis."""
    await _subscribe_and_unsubscribe(
        live,
        lambda on_message: Client(
            build_server(live.settings()), mode="legacy", message_handler=on_message
        ),
    )


async def test_a_legacy_stdio_host_subscribes_and_unsubscribes(live: Live, tmp_path: Path) -> None:
    """A real `wallie serve` stdio subprocess; the writes happen in this process."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "wallie", "serve"], env=live.env(tmp_path)
    )
    await _subscribe_and_unsubscribe(
        live, lambda on_message: Client(params, mode="legacy", message_handler=on_message)
    )


async def _subscribe_and_unsubscribe(
    live: Live, connect: Callable[[Callable[[Any], Awaitable[None]]], Client]
) -> None:
    """Handshake, subscribe, updates for this owner only, unsubscribe stops them."""
    db, mine, theirs, uri = await two_owners(live)
    heard: list[str] = []
    arrived = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            heard.append(message.params.uri)
            arrived.set()

    async with connect(on_message) as client:
        assert client.protocol_version != "2026-07-28"
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe is True
        await client.subscribe_resource(uri)
        await client.subscribe_resource("wallie://inbox")
        await anyio.sleep(0.3)  # the fan-out reader is listening
        await ingest(db, theirs, [_message(1, "Ana")])  # another owner's Ana
        await ingest(db, mine, [_message(2, "Ana")])
        with anyio.fail_after(10):
            while sorted(heard) != sorted([uri, "wallie://inbox"]):
                arrived = anyio.Event()
                await arrived.wait()

        await client.unsubscribe_resource(uri)
        await client.unsubscribe_resource("wallie://never-subscribed")  # harmless
        heard.clear()
        await ingest(db, mine, [_message(3, "Ana")])
        with anyio.fail_after(10):
            while "wallie://inbox" not in heard:
                arrived = anyio.Event()
                await arrived.wait()
        await anyio.sleep(0.3)
        assert heard == ["wallie://inbox"]
    await db.dispose()
