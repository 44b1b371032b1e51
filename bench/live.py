"""`python -m bench.live [--quick]`: live messages, from POST to every listener.

Measures, in one run:
- latency from `POST /api/messages` (replica A) to the event at (a) an MCP client listening
  on `wallie://inbox` on replica B and (b) an SSE client of `GET /api/events` on replica B,
  p50/p95 over N messages, against a bare Redis XADD -> XREAD round trip (the floor);
- sustained ingest (messages/s) into one server process, on SQLite and on PostgreSQL.
Targets: p95 under 100 ms; at least 1,000 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import sqlalchemy as sa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from bench.harness import free_port as _free_port
from bench.harness import percentiles, put_section

PG_ADMIN = os.environ.get(
    "WALLIE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("WALLIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
OWNER = "bench-live@wallie.local"


def _record(n: int, run: str) -> dict[str, Any]:
    return {
        "client": {"name": f"Cliente {n % 50}", "phone": f"+34 600 {n % 50:06d}"},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": f"{run}-{n}",
            "direction": "inbound",
            "sent_at": "2026-11-26T10:00:00Z",
            "text": f"Hola, ¿tenéis el modelo {n} en stock? Lo necesito esta semana.",
        },
    }


async def _prepare(url: str) -> str:
    """Migrate the database and return an API key for the bench owner."""
    from tools.apikeys import create_key
    from tools.db import Database

    db = Database.from_url(url)
    await db.upgrade()
    key, _ = await create_key(db, OWNER, "bench")
    await db.dispose()
    return key


@contextmanager
def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'live-{uuid.uuid4().hex[:6]}.db'}"
        return
    from tools.db import Database

    name = f"wallie_bench_live_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        db = Database.from_url(PG_ADMIN)
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(sql))
        await db.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def _server(url: str, home: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALLIE_")}
    env.update(
        DATABASE_URL=url,
        REDIS_URL=REDIS,
        WALLIE_HOME=str(home),
        WALLIE_OWNER=OWNER,
        WALLIE_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "wallie", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server exited: {err[-500:]}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not come up in 60 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def redis_floor(n: int) -> list[float]:
    """Bare Redis Streams: XADD on one connection, received by a blocked XREAD on another."""
    import redis.asyncio as redis

    writer = redis.Redis.from_url(REDIS)
    reader = redis.Redis.from_url(REDIS)
    stream = f"wallie:bench:floor:{uuid.uuid4().hex[:8]}"
    samples: list[float] = []
    last = "$"
    try:
        for i in range(n):
            read = asyncio.ensure_future(reader.xread({stream: last}, block=5000, count=1))
            await asyncio.sleep(0)  # the XREAD is on the wire before the XADD
            await asyncio.sleep(0.001)
            started = time.perf_counter()
            await writer.xadd(stream, {"e": json.dumps({"n": i})}, maxlen=1000)
            found = await read
            samples.append(time.perf_counter() - started)
            last = found[0][1][-1][0].decode()
    finally:
        await writer.delete(stream)
        await writer.aclose()
        await reader.aclose()
    return samples


@asynccontextmanager
async def _mcp(base: str, key: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    async with Client(streamable_http_client(base + "/mcp", http_client=http)) as client:
        yield client


async def end_to_end(a: str, b: str, key: str, n: int) -> dict[str, list[float]]:
    """POST to A, one at a time; time until B's MCP listener and SSE client each hear it."""
    auth = {"Authorization": f"Bearer {key}"}
    run = uuid.uuid4().hex[:6]
    mcp_heard: asyncio.Queue[float] = asyncio.Queue()
    sse_heard: asyncio.Queue[float] = asyncio.Queue()
    out: dict[str, list[float]] = {"mcp": [], "sse": [], "post": []}

    async def sse_reader(http: httpx.AsyncClient, ready: asyncio.Event) -> None:
        params = {"types": "message.created"}
        async with http.stream("GET", b + "/api/events", headers=auth, params=params) as r:
            ready.set()
            async for line in r.aiter_lines():
                if line.startswith("data:"):
                    sse_heard.put_nowait(time.perf_counter())

    async with _mcp(b, key) as client, httpx.AsyncClient(timeout=httpx.Timeout(30)) as http:
        # A first message, so the owner and the inbox exist before listening.
        await http.post(a + "/api/messages", json=_record(-1, run), headers=auth)
        async with client.listen(resource_subscriptions=["wallie://inbox"]) as sub:

            async def mcp_reader() -> None:
                async for _event in sub:
                    mcp_heard.put_nowait(time.perf_counter())

            ready = asyncio.Event()
            tasks = [
                asyncio.create_task(mcp_reader()),
                asyncio.create_task(sse_reader(http, ready)),
            ]
            await ready.wait()
            await asyncio.sleep(0.5)
            for i in range(n):
                started = time.perf_counter()
                response = await http.post(a + "/api/messages", json=_record(i, run), headers=auth)
                accepted = time.perf_counter()
                response.raise_for_status()
                got_mcp = await asyncio.wait_for(mcp_heard.get(), 10)
                got_sse = await asyncio.wait_for(sse_heard.get(), 10)
                out["post"].append(accepted - started)
                out["mcp"].append(got_mcp - started)
                out["sse"].append(got_sse - started)
            for task in tasks:
                task.cancel()
    return out


async def sustained(base: str, key: str, total: int, batch: int, concurrency: int) -> float:
    """Messages stored per second by one server, `concurrency` clients posting batches."""
    auth = {"Authorization": f"Bearer {key}"}
    run = uuid.uuid4().hex[:6]
    batches = [
        [_record(i, run) for i in range(start, min(start + batch, total))]
        for start in range(0, total, batch)
    ]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for b in batches:
        queue.put_nowait(b)
    stored = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal stored
        while not queue.empty():
            body = queue.get_nowait()
            r = await http.post(base + "/api/messages", json=body, headers=auth)
            r.raise_for_status()
            stored += int(r.json()["messages_added"])

    async with httpx.AsyncClient(timeout=httpx.Timeout(120)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    if stored != total:
        raise SystemExit(f"stored {stored} of {total} messages")
    return total / seconds


def _line(what: str, samples: list[float], floor: dict[str, float] | None = None) -> str:
    p = percentiles(samples)
    ratio = f"  (floor + {p['p95'] - floor['p95']:.2f} ms at p95)" if floor else ""
    return f"{what:48s} p50 {p['p50']:7.2f}  p95 {p['p95']:7.2f}  p99 {p['p99']:7.2f} ms{ratio}"


MARK_START, MARK_END = "<!-- kept: live -->", "<!-- /kept: live -->"


def save(lines: list[str], command: str, seconds: float) -> None:
    """Put the figures in BENCHMARKS.md's live section (replacing the previous run's)."""
    path = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    load = os.getloadavg()[0]
    section = "\n".join(
        [
            MARK_START,
            "## Live messages (`python -m bench.live`)",
            "",
            f"`{command}` on {os.cpu_count()} cores, load average {load:.1f} at the end, "
            f"{seconds:.0f} s. Latency runs from sending `POST /api/messages` to replica A until "
            "replica B's MCP listener (`wallie://inbox`) and SSE client receive it; events are "
            "published before the POST is answered, so an event can arrive first.",
            "",
            "```",
            *lines,
            "```",
            MARK_END,
        ]
    )
    put_section(section, MARK_START, MARK_END, path)


def main(argv: list[str] | None = None) -> None:
    """Run the live benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="200 messages, 5,000 for ingest.")
    parser.add_argument("--messages", type=int, help="Latency samples (default 1,000).")
    parser.add_argument("--ingest", type=int, help="Messages for the ingest rate (20,000).")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--save", action="store_true", help="Write the figures to BENCHMARKS.md.")
    args = parser.parse_args(argv)
    n = args.messages or (200 if args.quick else 1000)
    total = args.ingest or (5000 if args.quick else 20_000)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    print(f"live bench: {n} messages for latency, {total:,} for ingest; Redis {REDIS}", flush=True)
    lines: list[str] = []
    started = time.monotonic()
    floor = asyncio.run(redis_floor(n))
    floor_p = percentiles(floor)
    lines.append(_line("bare Redis XADD -> XREAD (floor)", floor))
    print(lines[-1], flush=True)
    results: dict[str, Any] = {"floor": floor_p}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for kind in kinds:
            with _database(kind, tmp) as url:
                key = asyncio.run(_prepare(url))
                with _server(url, tmp / f"{kind}-a") as a, _server(url, tmp / f"{kind}-b") as b:
                    e2e = asyncio.run(end_to_end(a, b, key, n))
                    new = [
                        _line(f"{kind}: POST accepted (A)", e2e["post"]),
                        _line(f"{kind}: POST -> MCP inbox notification (B)", e2e["mcp"], floor_p),
                        _line(f"{kind}: POST -> SSE event (B)", e2e["sse"], floor_p),
                    ]
                    print("\n".join(new), flush=True)
                    rate = asyncio.run(sustained(a, key, total, batch=100, concurrency=4))
                    new.append(f"{kind}: sustained ingest, one server: {rate:,.0f} msgs/s")
                    print(new[-1], flush=True)
                    lines += new
                    results[kind] = {
                        "post": percentiles(e2e["post"]),
                        "mcp": percentiles(e2e["mcp"]),
                        "sse": percentiles(e2e["sse"]),
                        "ingest_per_s": rate,
                    }
    for kind in kinds:
        r = results[kind]
        worst = max(r["mcp"]["p95"], r["sse"]["p95"])
        ok = "met" if worst < 100 else "MISSED"
        ingest_ok = "met" if r["ingest_per_s"] >= 1000 else "MISSED"
        lines.append(
            f"targets {kind}: p95 {worst:.1f} ms < 100 ms {ok}; "
            f"{r['ingest_per_s']:,.0f} msgs/s >= 1,000 {ingest_ok}"
        )
        print(lines[-1], flush=True)
    if args.save:
        command = "python -m bench.live " + " ".join(argv if argv is not None else sys.argv[1:])
        save(lines, command.strip(), time.monotonic() - started)


if __name__ == "__main__":
    main()
