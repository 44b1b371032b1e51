"""The event buses (Redis Streams and in-process) and every writer publishing through them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest
import redis

from tests.live.conftest import OWNER, PHONE_NUMBER_ID, Live
from tools import events as ev

pytestmark = pytest.mark.anyio


def _created(owner_id: int, n: int) -> ev.MessageCreated:
    return ev.MessageCreated(
        owner_id=owner_id,
        message_id=n,
        conversation_id=1,
        client_id=1,
        channel="whatsapp",
        direction="inbound",
        sender="Ana",
        sent_at=datetime(2026, 11, 26, tzinfo=UTC),
        external_id=f"m{n}",
        preview=f"hola {n}",
    )


@pytest.fixture(params=["redis", "memory"])
async def bus(
    request: pytest.FixtureRequest,
) -> AsyncIterator[ev.MemoryEventBus | ev.RedisEventBus]:
    """A bus with a small bound, on each backend."""
    if request.param == "memory":
        yield ev.MemoryEventBus(maxlen=50)
        return
    made = ev.RedisEventBus(request.getfixturevalue("clean_redis"), maxlen=50)
    yield made
    await made.aclose()


async def test_read_resumes_after_an_id_and_never_crosses_owners(bus: ev.EventBus) -> None:
    assert await bus.last_id(1) == "0-0"
    stored = await bus.publish([_created(1, 1), _created(2, 2), _created(1, 3)])
    assert [e.id is not None for e in stored] == [True, True, True]
    mine = await bus.read(1, "0-0", wait=0.1)
    assert [e.message_id for e in mine] == [1, 3]  # type: ignore[union-attr]
    assert [e.message_id for e in await bus.read(1, mine[0].id or "", wait=0.1)] == [3]  # type: ignore[union-attr]
    assert await bus.read(1, mine[1].id or "", wait=0.1) == []
    assert await bus.last_id(1) == mine[1].id
    assert [e.owner_id for e in await bus.read(2, "0-0", wait=0.1)] == [2]


async def test_a_blocked_reader_wakes_on_publish(bus: ev.EventBus) -> None:
    got: list[ev.Event] = []

    async def reader() -> None:
        got.extend(await bus.read(7, "0-0", wait=5))

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        await anyio.sleep(0.2)
        await bus.publish([_created(7, 1)])
    assert [e.type for e in got] == ["message.created"]


async def test_streams_are_bounded(bus: ev.EventBus) -> None:
    for chunk in range(10):
        await bus.publish([_created(1, chunk * 10 + i) for i in range(10)])
    kept = await bus.read(1, "0-0", wait=0.1, count=1000)
    # Redis trims approximately (whole macro nodes); never below the bound, never unbounded.
    assert 50 <= len(kept) < 100
    assert kept[-1].message_id == 99  # type: ignore[union-attr]


async def test_events_round_trip_as_json() -> None:
    event = _created(3, 9)
    again = ev.parse_event(event.model_dump_json())
    assert again == event
    assert ev.resource_uris(again) == [
        "wallie://conversations/1",
        "wallie://clients/1",
        "wallie://inbox",
    ]
    assert ev.resource_uris(ev.ClientUpdated(owner_id=3, client_id=4)) == ["wallie://clients/4"]


def _wallie(
    live: Live, home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wallie", *args],
        env=env or live.env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_writers_publish_and_events_tail_prints_them(live: Live, tmp_path: Path) -> None:
    line = {
        "client": {"name": "Pablo Gil", "phone": "+34 622 000 111"},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": "j1",
            "direction": "inbound",
            "sent_at": "2026-11-26T08:00:00Z",
            "text": "¿Hay stock?",
        },
    }
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    imported = _wallie(live, tmp_path, "import", "jsonl", str(path))
    assert imported.returncode == 0, imported.stderr
    seeded = _wallie(live, tmp_path, "demo", "seed", "--clients", "3", "--owner", OWNER)
    assert seeded.returncode == 0, seeded.stderr
    tail = _wallie(live, tmp_path, "events", "tail", "--json", "--after", "0-0", "--count", "3")
    assert tail.returncode == 0, tail.stderr
    events = [json.loads(x) for x in tail.stdout.splitlines()]
    assert [e["type"] for e in events] == ["client.created", "message.created", "client.created"]
    assert events[1]["preview"] == "¿Hay stock?"
    r = redis.Redis.from_url(live.redis_url or "")
    stream = r.xrange(ev.RedisEventBus.stream(1))
    types = [json.loads(fields[b"e"])["type"] for _id, fields in stream]
    assert types.count("client.created") == 4  # Pablo plus three demo clients
    assert types.count("message.created") >= 1 + 3
    human = _wallie(live, tmp_path, "events", "tail", "--after", "0-0", "--count", "2")
    assert human.stdout.splitlines()[1].endswith("inbound whatsapp “¿Hay stock?”")


async def test_cli_errors_are_one_line(live_memory: Live, tmp_path: Path) -> None:
    no_redis = _wallie(live_memory, tmp_path, "events", "tail")
    assert no_redis.returncode == 2
    assert "set REDIS_URL, or use --server-url" in no_redis.stderr
    bad_id = _wallie(live_memory, tmp_path, "events", "tail", "--after", "later")
    assert bad_id.returncode == 2 and "--after must be an event id" in bad_id.stderr


async def test_channels_add_never_prints_secrets(live: Live, tmp_path: Path) -> None:
    secret_file = tmp_path / "app-secret"
    secret_file.write_text("s3cr3t-from-a-file\n")
    env_home = tmp_path / "home"
    env = {k: v for k, v in live.env(env_home).items() if k != "WALLIE_WHATSAPP_APP_SECRET"}
    env["WALLIE_WHATSAPP_APP_SECRET_FILE"] = str(secret_file)
    added = _wallie(
        live,
        env_home,
        *("channels", "add", "whatsapp", "--phone-number-id", "123456789012"),
        *("--owner", "nuevo@example.es"),
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "linked whatsapp 123456789012 -> nuevo@example.es" in added.stderr
    assert "WALLIE_WHATSAPP_APP_SECRET: read from $WALLIE_WHATSAPP_APP_SECRET_FILE" in added.stderr
    assert "s3cr3t" not in added.stderr + added.stdout
    listed = _wallie(live, env_home, "channels", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"kind": "whatsapp", "phone_number_id": PHONE_NUMBER_ID, "owner": OWNER, "name": ""},
        {
            "kind": "whatsapp",
            "phone_number_id": "123456789012",
            "owner": "nuevo@example.es",
            "name": "",
        },
    ]
    bad = _wallie(
        live,
        env_home,
        "channels",
        "add",
        "whatsapp",
        "--phone-number-id",
        "+34 600",
        "--owner",
        OWNER,
    )
    assert bad.returncode == 2 and "--phone-number-id must be the numeric id" in bad.stderr
