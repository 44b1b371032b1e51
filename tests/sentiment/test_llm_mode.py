"""WALLIE_SENTIMENT=llm through a real MCP session, with LiteLLM's mock_response as the LLM."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from mcp import Client

from server.app import build_server
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.owners import ensure_owner
from tools.settings import Settings

pytestmark = pytest.mark.anyio
REPLY = {
    "label": "negative",
    "score": -0.8,
    "emotions": {"anger": 0.9},
    "drivers": ["tarde otra vez"],
}


async def _settings(tmp_path: Path, mock: str) -> Settings:
    config = tmp_path / "router.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_list": [
                    {
                        "model_name": "sentiment",
                        "litellm_params": {
                            "model": "openai/gpt-4o-mini",
                            "api_key": "sk-test",
                            "mock_response": mock,
                        },
                    }
                ],
                "router_settings": {"num_retries": 0},
            }
        )
    )
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db = Database.from_url(url)
    await db.upgrade()
    owner = await ensure_owner(db, "laura@example.es")
    message = MessageIn(
        client=ClientIn(key="c", name="Ana"),
        conversation=ConversationIn(key="c-wa", channel="whatsapp"),
        external_id="m1",
        direction="inbound",
        sender="Ana",
        sent_at=datetime(2026, 11, 20, tzinfo=UTC),
        text="Genial, llegó tarde otra vez.",
    )
    await ingest(db, owner, [message])
    await db.dispose()
    return Settings(
        DATABASE_URL=url,
        WALLIE_OWNER="laura@example.es",
        WALLIE_SENTIMENT="llm",
        WALLIE_SENTIMENT_MODEL="sentiment",
        WALLIE_LITELLM_CONFIG=str(config),
        REDIS_URL=None,
    )


async def test_the_llm_reads_the_sarcasm_the_lexicon_misses(tmp_path: Path) -> None:
    settings = await _settings(tmp_path, json.dumps(REPLY))
    async with Client(build_server(settings)) as client:
        text = await client.call_tool(
            "analyze_sentiment", {"text": "Genial, llegó tarde otra vez."}
        )
        stored = await client.call_tool("analyze_sentiment", {"message_id": 1})
        stats = await client.call_tool("cache_stats", {})
    result = text.structured_content["result"]
    assert result["label"] == "negative" and result["score"] == -0.8
    assert result["emotions"]["anger"] == 0.9 and result["drivers"][-1] == "(llm)"
    assert stored.structured_content["result"]["message_id"] == 1
    # The second, identical text was answered from the cache.
    assert stats.structured_content["tools"]["llm:sentiment"]["hits"] == 1


async def test_any_llm_failure_falls_back_to_the_offline_analyser(tmp_path: Path) -> None:
    settings = await _settings(tmp_path, "litellm.RateLimitError")
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("analyze_sentiment", {"text": "Muchas gracias, genial"})
    data = result.structured_content["result"]
    assert not result.is_error
    assert data["label"] == "positive"  # the lexicon's answer
    assert any("offline: LLM unavailable" in d for d in data["drivers"])
