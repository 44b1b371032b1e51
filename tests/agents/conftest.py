"""A demo database and the environment that makes `wallie serve` (stdio) use it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import default_scorer, ingest
from tools.owners import ensure_owner
from tools.settings import DEMO_OWNER

ANCHOR = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WALLIE_HOME holding a seeded embedded database (40 demo clients)."""
    home = tmp_path_factory.mktemp("wallie-home")

    async def seed() -> None:
        db = Database.from_url(f"sqlite:///{home / 'wallie.db'}")
        await db.upgrade()
        owner = await ensure_owner(db, DEMO_OWNER)
        await ingest(
            db, owner, generate(DemoSpec(clients=40, anchor=ANCHOR)), scorer=default_scorer()
        )
        await db.dispose()

    asyncio.run(seed())
    return home


@pytest.fixture
def demo_env(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point this process (and the `wallie serve` it starts) at the demo database."""
    monkeypatch.setenv("WALLIE_HOME", str(demo_home))
    for name in ("DATABASE_URL", "REDIS_URL", "WALLIE_MODEL", "LITELLM_URL", "WALLIE_OWNER"):
        monkeypatch.delenv(name, raising=False)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    from tools.settings import get_settings

    get_settings.cache_clear()
    yield demo_home
    get_settings.cache_clear()
    assert "WALLIE_HOME" in os.environ
