"""Start-up stays light: what `wallie serve` loads only when it is needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.db import Database, _alembic_head, head_revision

pytestmark = pytest.mark.anyio

# Loaded only by the paths that need them: a migration, Redis, PostgreSQL, an LLM, the agent.
_OPTIONAL = ("alembic", "redis", "asyncpg", "litellm", "pydantic_ai")


def _run(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_server_loads_no_optional_backend() -> None:
    found = _run(
        "import json, sys, server.app\n"
        f"print(json.dumps({{'loaded': [m for m in {_OPTIONAL!r} if m in sys.modules]}}))\n"
    )
    assert found == {"loaded": []}


def test_the_head_read_from_the_revision_files_is_alembics() -> None:
    assert head_revision() == _alembic_head()


async def test_an_up_to_date_database_opens_without_alembic(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    found = _run(
        "import asyncio, json, sys\n"
        "from tools.context import open_database\n"
        "from tools.settings import Settings\n"
        f"s = Settings(DATABASE_URL={database_url!r})\n"
        "async def main():\n"
        "    db = await open_database(s)\n"
        "    rev = await db.current_revision()\n"
        "    await db.dispose()\n"
        "    return rev\n"
        "rev = asyncio.run(main())\n"
        'print(json.dumps({"revision": rev, "alembic": "alembic" in sys.modules}))\n'
    )
    assert found == {"revision": head_revision(), "alembic": False}


async def test_a_database_behind_the_head_is_still_migrated(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        await db.upgrade("0001")
        assert await db.current_revision() == "0001"
    finally:
        await db.dispose()
    found = _run(
        "import asyncio, json\n"
        "from tools.context import open_database\n"
        "from tools.settings import Settings\n"
        f"s = Settings(DATABASE_URL={database_url!r})\n"
        "async def main():\n"
        "    db = await open_database(s, migrate=True)\n"
        "    rev = await db.current_revision()\n"
        "    await db.dispose()\n"
        "    return rev\n"
        'print(json.dumps({"revision": asyncio.run(main())}))\n'
    )
    assert found == {"revision": head_revision()}


def test_the_retrieval_only_agent_never_imports_litellm(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and k not in ("WALLIE_MODEL", "LITELLM_URL")
    }
    env["WALLIE_HOME"] = str(tmp_path)
    found = _run(
        "import json, sys\n"
        "from agents.runtime import AskOptions, choose_model\n"
        "from agents.servers import toolsets\n"
        "from tools.settings import get_settings\n"
        "settings = get_settings()\n"
        "model, retrieval_only = choose_model(AskOptions(), settings)\n"
        "toolsets(settings)\n"
        "loaded = 'litellm' in sys.modules\n"
        'print(json.dumps({"retrieval_only": retrieval_only, "litellm": loaded}))\n',
        env,
    )
    assert found == {"retrieval_only": True, "litellm": False}


def test_the_retrieval_only_loop_imports_no_agent_framework() -> None:
    # `wallie ask` with no LLM: the planner over an MCP session, without pydantic-ai.
    found = _run(
        "import json, sys, agents.runtime, agents._direct\n"
        "heavy = ('pydantic_ai', 'litellm', 'fastmcp', 'openai')\n"
        "print(json.dumps({'loaded': [m for m in heavy if m in sys.modules]}))\n"
    )
    assert found == {"loaded": []}
