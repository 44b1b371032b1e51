"""The benchmark harness's parts: figures, demo databases, workloads and the database floor."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
LAST_RUN = DATA / "last-run.json"
TEMPLATE = ROOT / "bench" / "BENCHMARKS.template.md"
WALLIE = str(Path(sys.executable).with_name("wallie"))
PG_ADMIN = os.environ.get(
    "WALLIE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("WALLIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
OWNER = "demo@wallie.local"

# -- figures ---------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies, in milliseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    """Run the calls one after another and return each one's duration in seconds."""
    out = []
    for call in calls:
        started = time.perf_counter()
        await call()
        out.append(time.perf_counter() - started)
    return out


@dataclass
class Report:
    """Every figure of a run, printed and written to BENCHMARKS.md."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    quality: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    built: dict[str, float] = field(default_factory=dict)  # demo data built in this run, s

    def add(self, **row: Any) -> None:
        """Record one line and print it."""
        self.rows.append(row)
        floor = f"  x{row['ratio']:.2f} of {row['floor']}" if row.get("ratio") else ""
        print(
            f"{row['db']:10s} {row['size']:>7} {row['what']:44s} "
            f"p50 {row['p50']:8.2f}  p95 {row['p95']:8.2f}  p99 {row['p99']:8.2f} ms{floor}",
            flush=True,
        )


# -- data -----------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def database(db: str, size: int, report: Report | None = None) -> str:
    """A demo database of `size` clients, built once and reused (DATABASE_URL form)."""
    DATA.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        url = f"sqlite:///{DATA / f'demo-{size}.db'}"
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/wallie_bench_{size}"
        _ensure_pg_database(url)
    env = {**os.environ, "DATABASE_URL": url, "WALLIE_OWNER": OWNER}
    env.pop("REDIS_URL", None)
    _run([WALLIE, "db", "upgrade"], env)
    status = json.loads(_run([WALLIE, "db", "status", "--json"], env))
    if status.get("clients") != size:
        print(f"building {db} demo data with {size:,} clients ...", flush=True)
        started = time.perf_counter()
        _run([WALLIE, "demo", "seed", "--clients", str(size), "--json"], env)
        seconds = time.perf_counter() - started
        print(f"  built in {seconds:.0f} s", flush=True)
        if report is not None:
            report.built[f"{db} {size:,} clients"] = seconds
    return url


def _ensure_pg_database(url: str) -> None:
    import sqlalchemy as sa

    from tools.db import Database

    name = url.rsplit("/", 1)[1]

    async def create() -> None:
        admin = Database.from_url(PG_ADMIN)
        async with admin.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            exists = await conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    asyncio.run(create())


async def workload(url: str, n: int, seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Realistic arguments per tool, drawn from the data itself."""
    import sqlalchemy as sa

    from tools.db import Database
    from tools.text import fold

    rng = random.Random(seed)
    db = Database.from_url(url)
    async with db.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT id, name, phone_digits FROM client"))).all()
    await db.dispose()
    picks = rng.sample(rows, min(n, len(rows)))
    names = []
    for i, row in enumerate(picks):
        name = row.name if i % 2 else fold(row.name)  # with and without accents
        names.append({"query": " ".join(name.split()[:2])})
    phones = [{"query": r.phone_digits[-7:]} for r in picks if r.phone_digits]
    words = [
        "precio",
        "retraso",
        "factura",
        "descuento",
        "vergüenza",
        "transferencia",
        "caro",
        "presupuesto",
        "envío",
        "late",
    ]
    return {
        "search_clients": names[: n // 2] + phones[: n // 2],
        "search_messages": [{"query": rng.choice(words)} for _ in range(n)],
        "get_conversation_history": [{"client_id": r.id, "limit": 50} for r in picks],
        "get_client": [{"client_id": r.id} for r in picks],
    }


# -- floors ---------------------------------------------------------------------------


async def database_floor(url: str, args: dict[str, list[dict[str, Any]]]) -> dict[str, list[float]]:
    """The same queries called in-process, no MCP: the database floor."""
    from tools import history, queries
    from tools.db import Database
    from tools.owners import owner_id

    db = Database.from_url(url)
    owner = await owner_id(db, OWNER)
    fns: dict[str, Callable[..., Awaitable[Any]]] = {
        "search_clients": lambda a: queries.search_clients(db, owner, **a),
        "search_messages": lambda a: queries.search_messages(db, owner, **a),
        "get_conversation_history": lambda a: history.conversation_history(db, owner, **a),
        "get_client": lambda a: history.get_client(db, owner, **a),
    }
    out = {}
    for tool, fn in fns.items():
        await fn(args[tool][0])  # warm the pool
        out[tool] = await timed([lambda a=a, fn=fn: fn(a) for a in args[tool]])
    await db.dispose()
    return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx2.get(url, timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def rss_kb(pid: int) -> int:
    """Resident memory of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- runs -----------------------------------------------------------------------------


def server_env(url: str, cached: bool, redis: bool) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "WALLIE_OWNER": OWNER, "WALLIE_RATE_LIMIT": "0"}
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS
    env["WALLIE_CACHE_TTL"] = "600" if cached else "0"
    return env


def put_section(section: str, start: str, end: str, path: Path = ROOT / "BENCHMARKS.md") -> None:
    """Replace the part of BENCHMARKS.md from `start` to `end` with `section` (or append it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"saved to {path}", flush=True)
