"""The benchmark harness's parts produce well-formed figures (no timing is asserted)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.run import database_floor, output_schemas, percentiles, validation_seconds, workload
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
    schemas = output_schemas(url)
    assert set(schemas) >= set(args)
    published, original = schemas["search_clients"]
    assert "$defs" in original and "$defs" not in published
    instances = [{"query": "x", "clients": []}, {"clients": "not a list"}]
    assert len(validation_seconds(published, instances)) == 2


@pytest.mark.parametrize("name", ["bench.echo_server", "bench.sentiment"])
def test_entry_points_import(name: str) -> None:
    __import__(name)
