"""The benchmark harness's parts produce well-formed figures (no timing is asserted)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mcp import Client

from bench.echo_server import app as echo_app
from bench.harness import Report, database_floor, percentiles, workload
from bench.measure import output_schemas, validation_seconds
from bench.report import render
from bench.targets import targets
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import ingest
from tools.owners import ensure_owner


def test_percentiles_are_ordered_milliseconds() -> None:
    figures = percentiles([0.001, 0.002, 0.003, 0.010])
    assert figures["n"] == 4
    assert 1.0 <= figures["p50"] <= figures["p95"] <= figures["p99"] <= 10.0


def test_workload_and_database_floor_on_a_tiny_dataset(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    async def build() -> None:
        db = Database.from_url(url)
        await db.upgrade()
        owner = await ensure_owner(db, "demo@wallie.local")
        spec = DemoSpec(clients=20, anchor=datetime(2026, 11, 25, tzinfo=UTC))
        await ingest(db, owner, generate(spec))
        await db.dispose()

    asyncio.run(build())
    args = asyncio.run(workload(url, 6))
    assert set(args) == {
        "search_clients",
        "search_messages",
        "get_conversation_history",
        "get_client",
    }
    assert all(args.values())
    floors = asyncio.run(database_floor(url, args))
    for tool, samples in floors.items():
        assert len(samples) == len(args[tool]), tool
        assert all(s > 0 for s in samples)
    schemas = asyncio.run(output_schemas(url))
    assert set(schemas) >= set(args)
    published, original = schemas["search_clients"]
    assert "$defs" in original and "$defs" not in published
    instances = [{"query": "x", "clients": []}, {"clients": "not a list"}]
    assert len(validation_seconds(published, instances)) == 2


@pytest.mark.anyio
async def test_the_echo_floor_server_echoes() -> None:
    async with Client(echo_app) as client:
        result = await client.call_tool("echo", {"text": "hola ñ"})
    assert result.structured_content == {"result": "hola ñ"}


def _row(what: str, p50: float, p95: float, **extra: object) -> dict[str, object]:
    return {"db": "sqlite", "size": 1000, "what": what, "p50": p50, "p95": p95, "p99": p95, **extra}


def test_targets_mark_each_target_and_explain_the_missed_ones() -> None:
    echo = {"stdio": {"p50": 2.0, "p95": 2.5}, "http": {"p50": 4.0, "p95": 5.0}, "throughput": {}}
    report = Report(
        rows=[
            _row("search_clients: stdio, cached (redis)", 3.0, 3.5, ratio=1.4, floor="echo p95"),
            _row("search_messages: stdio, cached (redis)", 8.0, 10.0, ratio=4.0, floor="echo p95"),
            _row("search_messages: client's schema check of it", 1.4, 2.7, ratio=0.8, floor="call"),
            _row("search_clients: stdio, uncached", 9.0, 11.0, delta_ms=7.2),
            _row("search_messages: stdio, uncached", 12.0, 18.0, delta_ms=12.0),
        ]
    )
    lines = targets(report, echo)
    text = "\n".join(lines)
    assert "cached tool call p95 within 1.5x echo: **not met** (worst x4.00" in text
    assert "takes p50 1.40 ms of its p50 8.00 ms" in text
    assert "search_clients p95 within floor + 5 ms: **not met** (worst +7.2 ms" in text
    assert "search_messages p95 within floor + 25 ms: **met**" in text
    # One "Why" per missed target, none for a met one.
    assert sum(line.startswith("  Why:") for line in lines) == 2
    assert "costs p95 3.50 ms over stdio" in text  # the cache hit of the same tool

    page = render(report, echo, "python -m bench --quick", 60.0, when="2026-11-26 10:00")
    assert page.startswith(
        "# Benchmarks\n\nRun 2026-11-26 10:00 UTC with `python -m bench --quick` in 1.0 min"
    )
    assert "Echo floor: stdio p50 2.00 / p95 2.50 ms; HTTP p50 4.00 / p95 5.00 ms" in page
    row = "search_messages: stdio, uncached | 12.00 | 18.00 | 18.00 |  (+12.0 ms) |"
    assert f"| sqlite | 1,000 | {row}" in page
    assert page.count("  Why:") == 2  # the template's explanations, only under missed targets
    assert "<!--" not in page and "{share}" not in page


def test_the_ask_bench_reports_medians_ratios_and_the_target(tmp_path: Path) -> None:
    from bench.ask import Command, environment, table, verdict

    cmds = [
        Command("python -c pass", [], wall=[0.02, 0.03, 0.02], cpu=[0.01] * 3),
        Command("wallie --version", [], wall=[0.2, 0.3, 0.2], cpu=[0.1] * 3),
        Command("wallie ask q", [], wall=[1.5, 1.8, 1.9], cpu=[1.2] * 3),
        Command("wallie ask --stdio q", [], wall=[3.0, 3.2, 3.1], cpu=[2.5] * 3),
    ]
    lines = table(cmds)
    assert lines[2].startswith("| `python -c pass` | 0.020 s |")
    assert "| 1.800 s | 1.500-1.900 s | 1.200 s | x90.0 | x9.00 |" in lines[4]
    assert verdict(cmds) == "Target: median wall of `wallie ask` < 2 s: 1.80 s, met."
    cmds[2].wall = [2.5, 2.6, 2.7]
    assert verdict(cmds).endswith("2.60 s, MISSED.")
    env = environment(tmp_path)
    assert env["WALLIE_HOME"] == str(tmp_path)
    assert not {"WALLIE_MODEL", "DATABASE_URL"} & set(env)
    assert not any(k.endswith("_API_KEY") for k in env)
