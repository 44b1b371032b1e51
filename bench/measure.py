"""Measurements over MCP: latency, throughput, memory, the echo floor and a peer server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters

from bench.harness import (
    DATA,
    OWNER,
    ROOT,
    WALLIE,
    Report,
    database_floor,
    free_port,
    percentiles,
    rss_kb,
    server_env,
    timed,
    wait_http,
    workload,
)


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
        env = server_env(url, cached, redis)
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
    port = free_port()
    env = server_env(url, True, redis)
    proc = subprocess.Popen(
        # Stateful, like the echo server it is compared with (the SDK's default for both).
        [WALLIE, "serve", "--transport", "http", "--port", str(port), "--no-auth"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", proc)
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
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_server", "--http", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}/mcp"
        wait_http(f"http://127.0.0.1:{port}/", proc)
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
