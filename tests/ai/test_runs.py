"""The run log: AI tool calls and agent answers recorded per owner, listed and shown."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from mcp import Client
from pydantic_ai.mcp import MCPToolset

from server.app import build_server
from tests.ai.conftest import OWNER, AiData
from tests.ai.test_ai_tools import ANALYSIS, call
from tools import runs as runs_module
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.errors import NotFound
from tools.ingest import ingest
from tools.models import utcnow
from tools.owners import ensure_owner
from tools.runs import Run, RunRecord, get_run, list_runs, record_run
from tools.settings import DEMO_OWNER, get_settings

pytestmark = pytest.mark.anyio
WALLIE = str(Path(sys.executable).with_name("wallie"))


async def test_ai_tool_calls_are_recorded_for_their_owner_only(ai_data: AiData) -> None:
    ids = ai_data.message_ids
    async with Client(build_server(ai_data.with_model(ANALYSIS))) as client:
        await call(client, "analyze_message", message_id=ids[-1])
        await call(client, "analyze_message", message_id=ids[-1])
        await client.call_tool("analyze_message", {"message_id": 987654})
    runs = await list_runs(ai_data.db, OWNER)
    assert [r.kind for r in runs] == ["tool:analyze_message"] * 3
    failed, hit, miss = runs
    assert "no message with id 987654" in (failed.error or "")
    assert miss.error is None and miss.model.endswith("gpt-4o-mini")
    assert miss.input_tokens > 0 and miss.cost_usd > 0 and miss.latency_ms > 0
    assert hit.cost_usd == 0  # served from the cache: nothing spent
    assert f"message_id={ids[-1]}" in miss.question and "objection" in miss.answer
    assert await list_runs(ai_data.db, "someone@else.es") == []
    await ensure_owner(ai_data.db, "someone@else.es")
    with pytest.raises(NotFound):
        await get_run(ai_data.db, "someone@else.es", miss.id)


async def test_retention_drops_old_runs(db: Database) -> None:
    old = await record_run(db, OWNER, RunRecord(kind="ask", question="antigua"))
    async with db.session() as session:
        await session.execute(
            sa.update(Run).where(Run.id == old).values(created_at=utcnow() - timedelta(days=40))
        )
        await session.commit()
    runs_module._pruned_at = -runs_module.PRUNE_EVERY  # as if no sweep ran recently
    await record_run(db, OWNER, RunRecord(kind="ask", question="nueva"), retention_days=30)
    assert [r.question for r in await list_runs(db, OWNER)] == ["nueva"]


@pytest.fixture
async def demo_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seeded embedded database this process and the CLI use."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'wallie.db'}")
    await db.upgrade()
    owner = await ensure_owner(db, DEMO_OWNER)
    await ingest(db, owner, generate(DemoSpec(clients=12)))
    await db.dispose()
    monkeypatch.setenv("WALLIE_HOME", str(tmp_path))
    for name in ("DATABASE_URL", "REDIS_URL", "WALLIE_MODEL", "LITELLM_URL", "WALLIE_OWNER"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


async def test_wallie_ask_is_recorded_and_shown_by_the_cli(demo_home: Path) -> None:
    from agents.runtime import AskOptions
    from wallie.commands.agent import _Printer, _run

    toolset = MCPToolset(build_server(get_settings()), id="wallie")
    options = AskOptions(model="retrieval", toolsets=[toolset])
    await _run("¿Qué clientes se quejan del precio?", options, _Printer(as_json=True))
    env = {"WALLIE_HOME": str(demo_home), "PATH": "/usr/bin:/bin"}

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WALLIE, "runs", *args], capture_output=True, text=True, env=env, check=check
        )

    listed = await asyncio.to_thread(cli, "list", "--json")
    runs = json.loads(listed.stdout)
    assert runs[0]["kind"] == "ask" and runs[0]["error"] is None
    shown = await asyncio.to_thread(cli, "show", str(runs[0]["id"]), "--json")
    run = json.loads(shown.stdout)
    assert run["question"] == "¿Qué clientes se quejan del precio?"
    assert run["tool_calls"] and all(c["ms"] is not None and c["ok"] for c in run["tool_calls"])
    assert run["tool_calls"][0]["tool"] in {"search_messages", "search_clients"}
    assert run["answer"] and run["sources"]
    assert run["model"] == "retrieval-only (no LLM)"
    missing = await asyncio.to_thread(cli, "show", "999", check=False)
    assert missing.returncode == 2 and "no run with id 999" in missing.stderr
