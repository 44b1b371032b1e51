"""The benchmark harness: Wallie's tools against the framework floor, the database floor
and a generic SQL MCP server, on SQLite and PostgreSQL (`python -m bench [--quick]`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
LAST_RUN = DATA / "last-run.json"
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
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


def _env(url: str, cached: bool, redis: bool) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "WALLIE_OWNER": OWNER, "WALLIE_RATE_LIMIT": "0"}
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS
    env["WALLIE_CACHE_TTL"] = "600" if cached else "0"
    return env


async def stdio_latency(
    params: StdioServerParameters,
    calls: list[tuple[str, dict[str, Any]]],
    warmup: bool,
    results: list[Any] | None = None,
) -> list[float]:
    """Sequential latencies of `calls` over one stdio session (results kept if asked)."""
    async with Client(params) as client:
        if warmup:
            for tool, args in calls:
                await client.call_tool(tool, args)
        else:
            await client.call_tool(*calls[0])

        async def call(tool: str, args: dict[str, Any]) -> None:
            result = await client.call_tool(tool, args)
            if results is not None:
                results.append(result.structured_content)

        return await timed([lambda t=t, a=a: call(t, a) for t, a in calls])


async def output_schemas(url: str) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Per tool: (the schema Wallie publishes, the schema pydantic derives before compaction)."""
    from pydantic import TypeAdapter

    from server.app import build_server
    from tools.settings import Settings

    server = build_server(Settings(DATABASE_URL=url, WALLIE_OWNER=OWNER))
    published = {t.name: t.output_schema for t in await server.list_tools()}
    out = {}
    for tool in server._tool_manager.list_tools():
        meta = tool.fn_metadata
        schema = published.get(tool.name)
        if schema is not None and meta.output_model is not None:
            original = TypeAdapter(meta.output_model).json_schema(mode="serialization")
            out[tool.name] = (schema, original)
    return out


def validation_seconds(schema: dict[str, Any], instances: list[Any]) -> list[float]:
    """Time the MCP Python client's own check of each result (mcp.client.session)."""
    from jsonschema import exceptions
    from jsonschema.validators import validator_for
    from referencing import Registry

    validator = validator_for(schema)(schema, registry=Registry())  # compiled once, as the SDK
    out = []
    for instance in instances:
        started = time.perf_counter()
        exceptions.best_match(validator.iter_errors(instance))
        out.append(time.perf_counter() - started)
    return out


async def http_throughput(
    url: str, calls: list[tuple[str, dict[str, Any]]], clients: int, seconds: float
) -> float:
    """Calls per second with `clients` concurrent sessions, each calling in a loop."""
    done = 0
    stop = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        async with Client(url) as client:
            i = offset
            while time.monotonic() < stop:
                await client.call_tool(*calls[i % len(calls)])
                done += 1
                i += 1

    started = time.monotonic()
    await asyncio.gather(*[worker(k) for k in range(clients)])
    return done / (time.monotonic() - started)


def wrk_throughput(
    url: str, calls: list[tuple[str, dict[str, Any]]], connections: int, seconds: float
) -> float | None:
    """Calls per second from wrk (C, keep-alive) on one MCP session; None without wrk.

    A load generator in C measures the server: the Python MCP client spends more CPU
    checking each result than the server spends answering it (see BENCHMARKS.md).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    from mcp_types import LATEST_PROTOCOL_VERSION as VERSION

    # The 2026 wire the Python client speaks: no session; every request carries its
    # protocol version, client info and capabilities, and headers naming method and tool.
    meta = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientInfo": {"name": "wrk", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    requests = []
    for i, (tool, args) in enumerate(calls):
        params = {"name": tool, "arguments": args, "_meta": meta}
        body = json.dumps({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": params})
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "Mcp-Protocol-Version": VERSION,
            "Mcp-Method": "tools/call",
            "Mcp-Name": tool,
        }
        requests.append((headers, body))
    with httpx2.Client(timeout=10) as http:
        for headers, body in requests:  # every call must succeed before any is counted
            answer = http.post(url, content=body, headers=headers).text
            if '"isError":false' not in answer.replace(" ", ""):
                raise SystemExit(f"wrk workload call failed: {answer[:300]}")
    script = "local calls = {\n"
    for headers, body in requests:
        fields = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        script += f"  {{{{{fields}}}, [==[{body}]==]}},\n"
    script += (
        "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #calls + 1\n"
        "  local headers = {}\n"
        "  for k, v in pairs(calls[i][1]) do headers[k] = v end\n"
        "  return wrk.format('POST', nil, headers, calls[i][2])\n"
        "end\n"
    )
    lua = DATA / "wrk-calls.lua"
    DATA.mkdir(parents=True, exist_ok=True)
    lua.write_text(script)
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(lua), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw failed requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def throughput(
    url: str, calls: list[tuple[str, dict[str, Any]]], clients: int, seconds: float
) -> float:
    """Server throughput: wrk when installed, else concurrent Python MCP clients."""
    rate = wrk_throughput(url, calls, clients, seconds)
    return rate if rate is not None else await http_throughput(url, calls, clients, seconds)


async def peer_quality(sqlite_path: Path, report: Report, iterations: int) -> list[float] | None:
    """The reference SQLite MCP server on the same file: latency and what it finds."""
    peer = _peer_command()
    if peer is None:
        report.notes.append("peer (mcp-server-sqlite) could not be installed: not measured")
        return None
    # The 1.x server logs validation noise for the 2.x client's probe: keep it off the report.
    params = StdioServerParameters(
        command="sh", args=["-c", f'exec "{peer}" --db-path "{sqlite_path}" 2>/dev/null']
    )
    wallie = StdioServerParameters(
        command=WALLIE, args=["serve"], env=_env(f"sqlite:///{sqlite_path}", False, False)
    )
    checks = [
        (
            "jose garcia",
            "SELECT name FROM client WHERE name LIKE '%jose garcia%' LIMIT 10",
            "José García",
        ),
        ("nunez", "SELECT name FROM client WHERE name LIKE '%nunez%' LIMIT 10", "Núñez"),
    ]
    async with Client(params) as p, Client(wallie) as w:
        for query, sql, expect in checks:
            theirs = (await p.call_tool("read_query", {"query": sql})).content[0].text
            ours = (await w.call_tool("search_clients", {"query": query})).structured_content
            report.quality.append(
                {
                    "query": query,
                    "peer": expect in theirs,
                    "wallie": any(expect in c["name"] for c in ours["clients"]),
                }
            )
        # A phone stored as "+34 6xx xx xx xx", searched as the digits people type.
        row = await w.call_tool("search_clients", {"query": "+34"})
        sample = next(
            (
                c["phone"]
                for c in row.structured_content["clients"]
                if c["phone"] and c["phone"].startswith("+34 ")
            ),
            None,
        )
        if sample:
            digits = "".join(ch for ch in sample if ch.isdigit())[2:]
            theirs = (
                (
                    await p.call_tool(
                        "read_query",
                        {"query": f"SELECT name FROM client WHERE phone LIKE '%{digits}%' LIMIT 5"},
                    )
                )
                .content[0]
                .text
            )
            ours = (await w.call_tool("search_clients", {"query": digits})).structured_content
            report.quality.append(
                {
                    "query": f"{digits} (phone stored as '{sample}')",
                    "peer": theirs.strip() not in ("[]", ""),
                    "wallie": bool(ours["clients"]),
                }
            )
        sql = "SELECT id, name FROM client WHERE name LIKE '%garcia%' ORDER BY last_contact_at DESC LIMIT 10"
        await p.call_tool("read_query", {"query": sql})
        return await timed(
            [lambda: p.call_tool("read_query", {"query": sql}) for _ in range(iterations)]
        )


def _peer_command() -> str | None:
    venv = DATA / "peer-venv"
    exe = venv / "bin" / "mcp-server-sqlite"
    if exe.exists():
        return str(exe)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        # The reference server is written for the 1.x SDK: it gets its own environment.
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "mcp-server-sqlite", "mcp<2"],
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return str(exe) if exe.exists() else None


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), 0.5):
            return True
    except OSError:
        return False


async def measure(
    db: str,
    size: int,
    url: str,
    iterations: int,
    concurrency: list[int],
    seconds: float,
    report: Report,
    echo: dict[str, Any],
) -> None:
    """Every figure for one database at one size."""
    args = await workload(url, iterations)
    floors = await database_floor(url, args)
    redis = _redis_up()
    for tool, samples in floors.items():
        report.add(
            db=db, size=size, what=f"{tool}: database floor (in-process)", **percentiles(samples)
        )
    schemas = await output_schemas(url)
    for cached in (False, True):
        env = _env(url, cached, redis)
        params = StdioServerParameters(command=WALLIE, args=["serve"], env=env)
        for tool in floors:
            calls = [(tool, a) for a in args[tool]]
            if cached:
                calls = calls[: max(10, len(calls) // 10)] * 10  # repeats: all hits after warm-up
            results: list[Any] = []
            samples = await stdio_latency(params, calls[:iterations], cached, results)
            p = percentiles(samples)
            if cached:
                ratio, floor = p["p95"] / echo["stdio"]["p95"], "echo p95"
                label = f"{tool}: stdio, cached ({'redis' if redis else 'memory'})"
            else:
                ratio = p["p95"] / percentiles(floors[tool])["p95"]
                floor = "db p95"
                label = f"{tool}: stdio, uncached"
            report.add(db=db, size=size, what=label, ratio=ratio, floor=floor, **p)
            if not cached:
                delta = p["p95"] - percentiles(floors[tool])["p95"]
                report.rows[-1]["delta_ms"] = delta
            else:
                # The share of a cached call spent in the client checking the result's schema.
                published, original = schemas[tool]
                check = percentiles(validation_seconds(published, results))
                before = percentiles(validation_seconds(original, results))
                report.add(
                    db=db,
                    size=size,
                    what=f"{tool}: client's schema check of it",
                    ratio=check["p50"] / before["p50"],
                    floor="pydantic's schema p50",
                    **check,
                )

    # HTTP: cached latency and throughput against the echo floor, and memory under load.
    port = _free_port()
    env = _env(url, True, redis)
    proc = subprocess.Popen(
        # Stateful, like the echo server it is compared with (the SDK's default for both).
        [WALLIE, "serve", "--transport", "http", "--port", str(port), "--no-auth"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/healthz", proc)
        calls = [("search_clients", a) for a in args["search_clients"][:10]]
        async with Client(base + "/mcp") as client:
            for t, a in calls:
                await client.call_tool(t, a)
            samples = await timed(
                [lambda t=t, a=a: client.call_tool(t, a) for t, a in calls * (iterations // 10)]
            )
        p = percentiles(samples)
        report.add(
            db=db,
            size=size,
            what="search_clients: http, cached",
            ratio=p["p95"] / echo["http"]["p95"],
            floor="echo p95",
            **p,
        )
        before = rss_kb(proc.pid)
        for c in concurrency:
            rate = await throughput(base + "/mcp", calls, c, seconds)
            floor_rate = echo["throughput"].get(c)
            report.rows.append(
                {
                    "db": db,
                    "size": size,
                    "what": f"http throughput, {c} clients",
                    "rate": rate,
                    "ratio": rate / floor_rate if floor_rate else None,
                    "floor": "echo",
                }
            )
            print(
                f"{db:10s} {size:>7} http throughput {c:>2} clients: {rate:8.0f} calls/s"
                + (f" = {rate / floor_rate:.0%} of echo" if floor_rate else ""),
                flush=True,
            )
        after = rss_kb(proc.pid)
        report.rows.append(
            {"db": db, "size": size, "what": "server RSS before/after load", "rss": (before, after)}
        )
        print(
            f"{db:10s} {size:>7} server RSS {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB",
            flush=True,
        )
    finally:
        proc.terminate()
        proc.wait(10)


async def echo_floor(iterations: int, concurrency: list[int], seconds: float) -> dict[str, Any]:
    """The bare MCPServer echo tool over stdio and HTTP."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "bench.echo_server"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    calls = [("echo", {"text": f"hola {i}"}) for i in range(iterations)]
    stdio = percentiles(await stdio_latency(params, calls, warmup=False))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_server", "--http", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}/mcp"
        _wait_http(f"http://127.0.0.1:{port}/", proc)
        async with Client(base) as client:
            await client.call_tool(*calls[0])
            http = percentiles(
                await timed([lambda t=t, a=a: client.call_tool(t, a) for t, a in calls])
            )
        rates = {c: await throughput(base, calls[:10], c, seconds) for c in concurrency}
    finally:
        proc.terminate()
        proc.wait(10)
    print(
        f"echo floor: stdio p50 {stdio['p50']:.2f} p95 {stdio['p95']:.2f} ms; "
        f"http p50 {http['p50']:.2f} p95 {http['p95']:.2f} ms; "
        + ", ".join(f"{c} clients {r:.0f}/s" for c, r in rates.items()),
        flush=True,
    )
    return {"stdio": stdio, "http": http, "throughput": rates}


def write_markdown(
    report: Report, echo: dict[str, Any], command: str, seconds: float, when: str | None = None
) -> None:
    """BENCHMARKS.md: machine, versions, date, command, figures and targets."""
    from importlib.metadata import version

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except Exception:
            return "?"

    import sqlite3

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    lines = [
        "# Benchmarks",
        "",
        f"Run {when or f'{datetime.now(UTC):%Y-%m-%d %H:%M}'} UTC with `{command}` in {seconds / 60:.1f} min"
        + (
            f" ({sum(report.built.values()) / 60:.1f} of them building demo data: "
            + ", ".join(f"{k} in {v:.0f} s" for k, v in report.built.items())
            + "; later runs reuse it)"
            if report.built
            else " (demo data already built)"
        )
        + " on "
        f"{cpu}, {os.cpu_count()} cores, {int(mem) // 1024 // 1024} GiB. Python {platform.python_version()}, "
        f"mcp {v('mcp')}, SQLAlchemy {v('sqlalchemy')}, SQLite {sqlite3.sqlite_version}, redis-py {v('redis')}.",
        "",
        "Floors, measured in the same run: the **echo floor** is a bare `MCPServer` echo tool over "
        "the same transport and client; the **database floor** is the same query function called "
        "in-process with no MCP in between. Latencies are sequential calls from one client, in ms.",
        "",
        f"Echo floor: stdio p50 {echo['stdio']['p50']:.2f} / p95 {echo['stdio']['p95']:.2f} ms; "
        f"HTTP p50 {echo['http']['p50']:.2f} / p95 {echo['http']['p95']:.2f} ms; HTTP throughput "
        + ", ".join(f"{c} clients {r:.0f} calls/s" for c, r in echo["throughput"].items())
        + ".",
        "",
        "| db | clients | what | p50 | p95 | p99 | vs floor |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for r in report.rows:
        if "p50" in r:
            ratio = f"x{r['ratio']:.2f} {r['floor']}" if r.get("ratio") else ""
            if "delta_ms" in r:
                ratio += f" ({r['delta_ms']:+.1f} ms)"
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {ratio} |"
            )
    lines += ["", "| db | clients | what | figure |", "|---|---:|---|---|"]
    for r in report.rows:
        if "rate" in r:
            ratio = f" ({r['ratio']:.0%} of echo)" if r.get("ratio") else ""
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {r['rate']:.0f} calls/s{ratio} |"
            )
        if "rss" in r:
            b, a = r["rss"]
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {b / 1024:.0f} → {a / 1024:.0f} MiB |"
            )
    if report.quality:
        lines += [
            "",
            "Result quality against the reference SQLite MCP server (`mcp-server-sqlite`, "
            "`read_query` with the nearest SQL a user would write):",
            "",
            "| query | peer finds it | Wallie finds it |",
            "|---|---|---|",
        ]
        lines += [
            f"| {q['query']} | {'yes' if q['peer'] else 'no'} | {'yes' if q['wallie'] else 'no'} |"
            for q in {(q["query"], q["peer"], q["wallie"]): q for q in report.quality}.values()
        ]  # the same queries at every size: one row each
    lines += ["", "## Targets (DESIGN.md)", "", *targets(report, echo), ""]
    lines += [f"- {n}" for n in report.notes]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines).rstrip() + "\n")


def _same_run(report: Report, like: dict[str, Any], test: Callable[[str], bool]) -> dict | None:
    """The row at `like`'s database and size whose label passes `test`, if any."""
    return next(
        (
            r
            for r in report.rows
            if "what" in r
            and test(r["what"])
            and (r["db"], r["size"]) == (like["db"], like["size"])
        ),
        None,
    )


def targets(report: Report, echo: dict[str, Any]) -> list[str]:
    """Each DESIGN.md target, met or not, from this run's rows, and why when it is not."""
    out = []
    echo_stdio, echo_http = echo["stdio"]["p95"], echo["http"]["p95"]
    cached = [r for r in report.rows if ", cached" in r.get("what", "") and r.get("ratio")]
    if cached:
        worst = max(cached, key=lambda r: r["ratio"])
        ok = worst["ratio"] <= 1.5
        out.append(
            f"- cached tool call p95 within 1.5x echo: **{'met' if ok else 'not met'}** "
            f"(worst x{worst['ratio']:.2f}: {worst['what']}, {worst['db']} {worst['size']:,})"
        )
        if not ok:
            tool = worst["what"].split(":")[0]
            check = _same_run(report, worst, lambda w: w == f"{tool}: client's schema check of it")
            share = (
                f" The client's own check of the result against the output schema takes "
                f"p50 {check['p50']:.2f} ms of its p50 {worst['p50']:.2f} ms."
                if check
                else ""
            )
            out.append(
                "  Why: the echo returns one short string; a cached Wallie answer is a page of "
                "rich records (and a text rendering of it) that the server serialises, the transport "
                "carries, and the client parses into models and checks against the tool's output "
                f"schema with jsonschema, in Python.{share} The server's part of a hit (one Redis "
                "round trip and a decode) is about a millisecond. What would meet it: "
                "smaller default pages, a compiled validator in the client (TypeScript hosts use "
                "ajv; the Python SDK walks the schema per call), or a client that skips "
                "re-validating results it trusts."
            )
    for tool, budget in (
        ("search_clients", 5),
        ("search_messages", 25),
        ("get_conversation_history", 3),
    ):
        rows = [r for r in report.rows if r.get("what") == f"{tool}: stdio, uncached"]
        if rows:
            worst = max(rows, key=lambda r: r["delta_ms"])
            ok = worst["delta_ms"] <= budget
            out.append(
                f"- {tool} p95 within floor + {budget} ms: **{'met' if ok else 'not met'}** "
                f"(worst +{worst['delta_ms']:.1f} ms, {worst['db']} {worst['size']:,})"
            )
            if not ok:
                hit = _same_run(
                    report, worst, lambda w, t=tool: w.startswith(f"{t}: stdio, cached")
                )
                hit_text = (
                    f"; a cache hit of this tool, with no database work at all, costs p95 "
                    f"{hit['p95']:.2f} ms over stdio"
                    if hit
                    else ""
                )
                floor_row = _same_run(
                    report, worst, lambda w, t=tool: w == f"{t}: database floor (in-process)"
                )
                if floor_row and floor_row["p95"] > 100:
                    # A slow query's p95 moves by more than the budget between two runs of it.
                    out.append(
                        f"  Why: here the query itself is slow (floor p50 {floor_row['p50']:.0f} "
                        f"/ p95 {floor_row['p95']:.0f} ms, ranking every match of a common word "
                        f"in 1M messages), and at p50 the gap is "
                        f"{worst['p50'] - floor_row['p50']:+.1f} ms: the p95 gap is that query's "
                        "own spread between two runs, not MCP. What would meet it: cheaper "
                        "common-word queries (a top-k pre-filter or a recent-first default)."
                    )
                    continue
                out.append(
                    "  Why: the floor is the query called in-process; over stdio a bare echo "
                    f"already costs p95 {echo_stdio:.2f} ms{hit_text}. The gap is the transport, "
                    "serialising a page of results, and the client parsing it and checking it "
                    "against the output schema. What would meet it: the client-side changes "
                    "named for cached calls, or a budget counted from the echo floor."
                )
    rates = [r for r in report.rows if "rate" in r and r.get("ratio")]
    if rates:
        worst = min(rates, key=lambda r: r["ratio"])
        ok = worst["ratio"] >= 0.8
        out.append(
            f"- HTTP throughput of cached calls ≥ 80% of echo: **{'met' if ok else 'not met'}** "
            f"(worst {worst['ratio']:.0%}: {worst['what']}, {worst['db']} {worst['size']:,})"
        )
        if not ok:
            out.append(
                "  Why: the server is one Python process on one core; each cached "
                "`search_clients` call serialises a page of clients where the echo returns one "
                f"string (echo HTTP p95 {echo_http:.2f} ms), and with many clients the single "
                "event loop is the limit. What would meet it: several `--stateless` replicas "
                "behind a load balancer (cache and limits are in Redis), or smaller pages."
            )
    rss = [r for r in report.rows if "rss" in r]
    if rss:
        growth = max(r["rss"][1] - r["rss"][0] for r in rss) / 1024
        out.append(
            f"- memory flat under sustained load: **{'met' if growth < 20 else 'not met'}** "
            f"(largest growth {growth:.1f} MiB)"
        )
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write BENCHMARKS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="1k clients on SQLite, in about a minute"
    )
    parser.add_argument("--sizes", default=None, help="comma-separated client counts")
    parser.add_argument("--db", default=None, help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md")
    parser.add_argument(
        "--rewrite", action="store_true", help="rewrite BENCHMARKS.md from the last saved run"
    )
    opts = parser.parse_args(argv)
    if opts.rewrite:
        rewrite()
        return
    sizes = [
        int(s) for s in (opts.sizes or ("1000" if opts.quick else "1000,10000,100000")).split(",")
    ]
    dbs = (opts.db or ("sqlite" if opts.quick else "sqlite,postgresql")).split(",")
    iterations = 50 if opts.quick else 300
    concurrency = [1, 8] if opts.quick else [1, 8, 32]
    seconds = 1.0 if opts.quick else 5.0
    started = time.perf_counter()
    os.chdir(ROOT)
    report = Report()
    report.notes.append(
        "HTTP throughput is counted by wrk (one thread, N keep-alive connections on one MCP "
        "session, the calls in turn), so it measures the server, not a Python client."
        if shutil.which("wrk")
        else "HTTP throughput is counted by N concurrent Python MCP clients in one process "
        "(wrk is not installed: `apt-get install wrk` measures the server alone)."
    )
    echo = asyncio.run(echo_floor(iterations, concurrency, seconds))
    for db in dbs:
        for size in sizes:
            url = database(db, size, report)
            asyncio.run(measure(db, size, url, iterations, concurrency, seconds, report, echo))
            if db == "sqlite":
                peer = asyncio.run(
                    peer_quality(Path(url.removeprefix("sqlite:///")), report, iterations)
                )
                if peer:
                    report.add(
                        db=db,
                        size=size,
                        what="peer mcp-server-sqlite: LIKE search",
                        **percentiles(peer),
                    )
    elapsed = time.perf_counter() - started
    print("\n".join(["", *targets(report, echo)]))
    if not opts.no_write:
        command = (
            "python -m bench"
            + (" --quick" if opts.quick else "")
            + (f" --sizes {opts.sizes}" if opts.sizes else "")
            + (f" --db {opts.db}" if opts.db else "")
        )
        saved = {
            "report": asdict(report),
            "echo": echo,
            "command": command,
            "seconds": elapsed,
            "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        }
        LAST_RUN.write_text(json.dumps(saved, indent=1))
        write_markdown(report, echo, command, elapsed)
        print(f"\nwrote BENCHMARKS.md ({elapsed:.0f} s)")


def rewrite() -> None:
    """Write BENCHMARKS.md again from the last run's saved figures (after editing the text)."""
    saved = json.loads(LAST_RUN.read_text())
    echo = saved["echo"]
    echo["throughput"] = {int(c): r for c, r in echo["throughput"].items()}
    write_markdown(
        Report(**saved["report"]), echo, saved["command"], saved["seconds"], saved.get("when")
    )
