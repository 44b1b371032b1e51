"""The AI cache on real Redis and in process: keys, single flight, figures, budget, rate limit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from server.app import build_server
from server.http import prometheus_text
from tests.ai.conftest import AiData
from tests.ai.test_ai_tools import ANALYSIS, call, conclusions_json

pytestmark = pytest.mark.anyio
WALLIE = str(Path(sys.executable).with_name("wallie"))


@pytest.fixture(params=["redis", "memory"])
def cache_env(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings for the AI cache's backend, with a fresh Redis namespace per test."""
    if request.param == "memory":
        return {}
    url = request.getfixturevalue("redis_url")
    return {"REDIS_URL": url}


async def _clear(settings: Any) -> None:
    from tools.cache import make_cache

    cache = make_cache(settings)
    await cache.clear()
    await cache.aclose()


async def test_identical_call_hits_and_a_new_message_makes_a_fresh_answer(
    ai_data: AiData, cache_env: dict[str, Any]
) -> None:
    settings = ai_data.with_model(conclusions_json(ai_data.message_ids), env=cache_env)
    await _clear(settings)
    cid = ai_data.conversation_id
    server = build_server(settings)
    async with Client(server) as client:
        first = await call(client, "summarize_conversation", conversation_id=cid)
        second = await call(client, "summarize_conversation", conversation_id=cid)
        new_id = await ai_data.add_message("¿Entonces lo dejamos en 1.000 €?")
        third = await call(client, "summarize_conversation", conversation_id=cid)
        fourth = await call(client, "summarize_conversation", conversation_id=cid)
        stats = await call(client, "cache_stats")
        metrics = await prometheus_text(server.state)  # type: ignore[attr-defined]
    assert [r["meta"]["cached"] for r in (first, second, third, fourth)] == [
        False,
        True,
        False,
        True,
    ]
    assert third["meta"]["last_message_id"] == new_id != first["meta"]["last_message_id"]
    figures = stats["ai"]["summarize_conversation"]
    assert figures["hits"] == 2 and figures["misses"] == 2
    assert figures["model_calls"] == 2 and figures["calls_saved"] == 2
    assert figures["tokens_saved"] > 0 and figures["cost_saved_usd"] > 0
    assert 'wallie_ai_calls_saved_total{feature="summarize_conversation"} 2.0' in metrics.decode()
    if "REDIS_URL" in cache_env:  # every process sees the same figures, the CLI too
        done = await asyncio.to_thread(
            subprocess.run,
            [WALLIE, "cache", "stats", "--json"],
            capture_output=True,
            text=True,
            env={"REDIS_URL": cache_env["REDIS_URL"], "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        shown = json.loads(done.stdout)["ai"]["summarize_conversation"]
        assert shown["calls_saved"] == 2 and shown["hit_rate"] == 50.0


async def test_other_arguments_are_other_answers(ai_data: AiData) -> None:
    from tests.ai.test_ai_tools import reply_json

    settings = ai_data.with_model(reply_json(ai_data.message_ids))
    cid = ai_data.conversation_id
    async with Client(build_server(settings)) as client:
        a = await call(client, "suggest_reply", conversation_id=cid, tone="formal")
        b = await call(client, "suggest_reply", conversation_id=cid, tone="cercano")
        c = await call(client, "suggest_reply", conversation_id=cid, tone="formal")
    assert (a["meta"]["cached"], b["meta"]["cached"], c["meta"]["cached"]) == (False, False, True)


async def test_a_concurrent_identical_pair_makes_one_model_call(
    ai_data: AiData, cache_env: dict[str, Any]
) -> None:
    settings = ai_data.with_model(ANALYSIS, delay=0.4, env=cache_env)
    await _clear(settings)
    async with Client(build_server(settings)) as client:
        pair = await asyncio.gather(
            call(client, "analyze_message", message_id=ai_data.message_ids[-1]),
            call(client, "analyze_message", message_id=ai_data.message_ids[-1]),
        )
        stats = await call(client, "cache_stats")
    assert {r["intent"] for r in pair} == {"objection"}
    figures = stats["ai"]["analyze_message"]
    assert figures["model_calls"] == 1
    assert figures["calls_saved"] == 1


async def test_the_daily_budget_refuses_further_calls_but_serves_cached_answers(
    ai_data: AiData, cache_env: dict[str, Any]
) -> None:
    settings = ai_data.with_model(ANALYSIS, env={**cache_env, "WALLIE_AI_DAILY_BUDGET": 0.0000001})
    await _clear(settings)
    ids = ai_data.message_ids
    async with Client(build_server(settings)) as client:
        first = await call(client, "analyze_message", message_id=ids[-1])
        assert first["meta"]["cost_usd"] > 0.0000001
        refused = await client.call_tool("analyze_message", {"message_id": ids[0]})
        cached = await call(client, "analyze_message", message_id=ids[-1])
    assert refused.is_error
    text = refused.content[0].text
    assert "daily AI budget" in text and "WALLIE_AI_DAILY_BUDGET" in text
    assert cached["meta"]["cached"] is True


async def test_model_calls_are_rate_limited_per_owner(ai_data: AiData) -> None:
    settings = ai_data.with_model(ANALYSIS, env={"WALLIE_AI_RATE_LIMIT": 1})
    ids = ai_data.message_ids
    async with Client(build_server(settings)) as client:
        await call(client, "analyze_message", message_id=ids[-1])
        limited = await client.call_tool("analyze_message", {"message_id": ids[0]})
        again = await call(client, "analyze_message", message_id=ids[-1])  # a hit: no call
    assert limited.is_error and "retry after" in limited.content[0].text
    assert again["meta"]["cached"] is True
