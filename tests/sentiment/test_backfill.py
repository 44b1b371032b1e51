"""Versioned backfill on SQLite and PostgreSQL: old or missing scores redone, current kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tools.backfill import backfill_sentiment, current_version, pending_count, pending_owners
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import default_scorer, ingest
from tools.models import Message
from tools.owners import ensure_owner
from tools.sentiment import analyze

pytestmark = pytest.mark.anyio
ANCHOR = datetime(2026, 11, 25, tzinfo=UTC)


async def _messages(db: Database) -> dict[int, tuple[str | None, float | None, str | None, str]]:
    m = Message.__table__.c
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(m.id, m.sentiment_label, m.sentiment_score, m.sentiment_version, m.text)
        )
        return {r.id: (r[1], r[2], r[3], r[4]) for r in rows}


async def _seed(db: Database, email: str, clients: int, seed: int) -> int:
    owner = await ensure_owner(db, email)
    spec = DemoSpec(clients=clients, seed=seed, anchor=ANCHOR)
    report = await ingest(db, owner, generate(spec), scorer=None)
    return report.messages_added


async def test_import_stores_the_model_version_and_backfill_skips_it(db: Database) -> None:
    owner = await ensure_owner(db, "ana@example.com")
    spec = DemoSpec(clients=5, seed=1, anchor=ANCHOR)
    await ingest(db, owner, generate(spec), scorer=default_scorer())
    stored = await _messages(db)
    assert stored and {v[2] for v in stored.values()} == {current_version()}
    assert await pending_count(db) == 0
    assert await backfill_sentiment(db) == 0


async def test_backfill_rescores_only_missing_and_older_versions(db: Database) -> None:
    added = await _seed(db, "ana@example.com", 6, 2)
    other = await _seed(db, "luis@example.com", 4, 3)
    assert await pending_count(db) == added + other
    assert await backfill_sentiment(db, batch_size=7) == added + other
    first = await _messages(db)
    assert {v[2] for v in first.values()} == {current_version()}
    for label, score, _, text in first.values():
        expected = analyze(text)
        assert (label, score) == (expected.label, expected.score)

    # Two messages scored by an older model and one never scored: only those three are redone.
    ids = sorted(first)
    m = Message.__table__
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.update(m)
            .where(m.c.id.in_(ids[:2]))
            .values(sentiment_version="lr-old", sentiment_label="positive", sentiment_score=0.9)
        )
        await conn.execute(
            sa.update(m)
            .where(m.c.id == ids[2])
            .values(sentiment_version=None, sentiment_label=None, sentiment_score=None)
        )
    assert await pending_count(db) == 3
    assert len(await pending_owners(db)) == 1
    assert await backfill_sentiment(db) == 3
    second = await _messages(db)
    assert second == first  # rescored to the current model's answer, nothing else touched
    assert await backfill_sentiment(db) == 0


async def test_backfill_of_one_owner_leaves_the_others(db: Database) -> None:
    await _seed(db, "ana@example.com", 3, 4)
    luis_added = await _seed(db, "luis@example.com", 3, 5)
    async with db.connect() as conn:
        luis_id = await conn.scalar(
            sa.text("SELECT id FROM owner WHERE email = 'luis@example.com'")
        )
    assert await pending_owners(db, luis_id) == [luis_id]
    assert await backfill_sentiment(db, owner_id=luis_id) == luis_added
    assert await pending_owners(db) != [] and luis_id not in await pending_owners(db)


def test_cli_backfill_is_versioned_and_invalidates_the_owner_cache(
    tmp_path: Path, redis_url: str
) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "WALLIE_HOME": str(home),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "REDIS_URL": redis_url,
    }
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"
    env["DATABASE_URL"] = db_url

    owner = f"ana-{uuid.uuid4().hex[:6]}@example.com"  # a fresh owner: no other test's keys

    async def prepare() -> None:
        db = Database.from_url(db_url)
        await db.upgrade()
        await _seed(db, owner, 3, 6)
        await db.dispose()

    asyncio.run(prepare())

    async def cached_answer(answer: str) -> str:
        # A cached value survives until the owner's data is said to have changed.
        from tools.cache import make_cache
        from tools.owners import data_versions
        from tools.settings import Settings

        db = Database.from_url(db_url)
        cache = make_cache(Settings(REDIS_URL=redis_url), versions=data_versions(db))
        try:

            async def compute() -> str:
                return answer

            return str(await cache.cached(owner, "test:backfill", {}, compute))
        finally:
            await cache.aclose()
            await db.dispose()

    def run() -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "wallie", "sentiment", "backfill", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    assert asyncio.run(cached_answer("before")) == "before"
    assert asyncio.run(cached_answer("unchanged")) == "before"
    first = run()
    assert first["scored"] and first["model_version"] == current_version()
    assert first["owners_invalidated"] == [owner]
    assert asyncio.run(cached_answer("after")) == "after"
    again = run()
    assert again["scored"] == 0 and again["owners_invalidated"] == []
    assert asyncio.run(cached_answer("later")) == "after"


def test_cli_analyze_names_other_languages_and_explains_a_lost_deal(tmp_path: Path) -> None:
    env = {**os.environ, "WALLIE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wallie", "sentiment", "analyze", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    french = run("Merci beaucoup, mais nous ne sommes pas intéressés")
    assert french.returncode == 0 and "language fr" in french.stdout
    assert "not scored" in french.stdout
    lost = run("--json", "Gracias por todo, pero nos quedamos con otro proveedor")
    data = json.loads(lost.stdout)
    assert data["label"] == "negative" and data["language"] == "es"
    assert any(d.startswith("(lost deal)") for d in data["drivers"])
