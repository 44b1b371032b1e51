"""The AI tools through a real MCP client: a scripted server model (LiteLLM mock_response),
the host's model through MCP sampling on both protocol generations, and no model at all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp_types import CreateMessageRequestParams, CreateMessageResult, TextContent

from server.app import build_server
from tests.ai.conftest import AiData
from tests.server.conftest import call

pytestmark = pytest.mark.anyio


def reply_json(ids: list[int]) -> dict[str, Any]:
    """What a model answers for suggest_reply: one real citation and one invented."""
    return {
        "language": "es",
        "open_point": f"Pide bajar a 1.000 € [msg:{ids[-1]}]",
        "drafts": [
            {"text": "Hola Ana, podemos dejarlo en 1.080 €.", "rationale": f"[msg:{ids[-1]}]"},
            {
                "text": "Ana, ¿te cuadra 1.000 € con entrega en 15 días?",
                "rationale": "[msg:999999]",
            },
        ],
    }


def conclusions_json(ids: list[int]) -> dict[str, Any]:
    return {
        "client_wants": f"200 toallas a 1.000 € [msg:{ids[0]}] [msg:{ids[-1]}]",
        "agreed": [{"text": f"Entrega en 10 días [msg:{ids[2]}]"}],
        "objections": [{"text": f"El precio [msg:{ids[-1]}]"}],
        "commitments": [{"who": "client", "what": f"Firmar [msg:{ids[-1]}]", "due": "viernes"}],
        "next_step": "Responder a la contraoferta",
        "mood": "mixed",
        "mood_reason": "interesada pero ve caro el precio",
    }


ANALYSIS = {
    "intent": "objection",
    "secondary_intents": ["buying_signal"],
    "urgency": "high",
    "what_to_answer": "La contraoferta de 1.000 €",
}


async def test_tools_are_listed_read_only_with_titles(ai_data: AiData) -> None:
    async with Client(build_server(ai_data.settings())) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("suggest_reply", "summarize_conversation", "analyze_message"):
        assert tools[name].title
        assert tools[name].annotations.read_only_hint is True
        assert tools[name].annotations.destructive_hint is False
        assert tools[name].output_schema
        assert "host" not in tools[name].input_schema["properties"]


async def test_suggest_reply_with_the_server_model_drops_invented_citations(
    ai_data: AiData,
) -> None:
    ids = ai_data.message_ids
    settings = ai_data.with_model(reply_json(ids))
    async with Client(build_server(settings)) as client:
        result = await call(
            client, "suggest_reply", conversation_id=ai_data.conversation_id, goal="cerrar"
        )
    assert result["channel"] == "whatsapp" and result["sent"] is False
    assert len(result["drafts"]) == 2
    meta = result["meta"]
    assert meta["via"] == "router" and meta["cached"] is False
    assert meta["sources"] == [ids[-1]]
    assert meta["unverified_citations"] == ["[msg:999999]"]
    assert "999999" not in json.dumps(result["drafts"])
    assert meta["input_tokens"] > 0 and meta["cost_usd"] > 0
    assert meta["last_message_id"] == ids[-1]


async def test_summarize_and_analyze_with_the_server_model(ai_data: AiData) -> None:
    ids = ai_data.message_ids
    async with Client(build_server(ai_data.with_model(conclusions_json(ids)))) as client:
        summary = await call(
            client, "summarize_conversation", conversation_id=ai_data.conversation_id
        )
    assert summary["mood"] == "mixed"
    assert summary["commitments"][0]["due"] == "viernes"
    assert set(summary["meta"]["sources"]) == {ids[0], ids[2], ids[-1]}
    async with Client(build_server(ai_data.with_model(ANALYSIS))) as client:
        analysis = await call(client, "analyze_message", message_id=ids[-1])
    assert analysis["intent"] == "objection" and analysis["urgency"] == "high"
    assert analysis["conversation_id"] == ai_data.conversation_id
    assert analysis["sentiment"]["label"] in {"positive", "neutral", "negative"}


async def test_bad_ids_and_bad_model_output_are_clear_tool_errors(ai_data: AiData) -> None:
    async with Client(build_server(ai_data.with_model("not json at all"))) as client:
        missing = await client.call_tool("summarize_conversation", {"conversation_id": 987654})
        assert missing.is_error and "no conversation with id 987654" in missing.content[0].text
        bad = await client.call_tool("analyze_message", {"message_id": 987654})
        assert bad.is_error and "no message with id 987654" in bad.content[0].text
        garbled = await client.call_tool(
            "summarize_conversation", {"conversation_id": ai_data.conversation_id}
        )
        assert garbled.is_error and "not the expected JSON" in garbled.content[0].text
        zero = await client.call_tool("suggest_reply", {"conversation_id": 0})
        assert zero.is_error


async def test_without_any_model_the_error_says_how_to_configure_one(ai_data: AiData) -> None:
    async with Client(build_server(ai_data.settings())) as client:
        result = await client.call_tool(
            "suggest_reply", {"conversation_id": ai_data.conversation_id}
        )
    assert result.is_error
    text = result.content[0].text
    assert "WALLIE_MODEL" in text and "LITELLM_URL" in text and "draft_follow_up" in text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sampling_through_the_host_on_both_protocols(ai_data: AiData, mode: str) -> None:
    ids = ai_data.message_ids
    asked: list[CreateMessageRequestParams] = []

    async def host_model(_ctx: Any, params: CreateMessageRequestParams) -> CreateMessageResult:
        asked.append(params)
        return CreateMessageResult(
            role="assistant",
            content=TextContent(text=json.dumps(reply_json(ids))),
            model="host-claude",
        )

    server = build_server(ai_data.settings())
    async with Client(server, sampling_callback=host_model, mode=mode) as client:  # type: ignore[arg-type]
        first = await call(client, "suggest_reply", conversation_id=ai_data.conversation_id)
        again = await call(client, "suggest_reply", conversation_id=ai_data.conversation_id)
    assert len(asked) == 1  # the second answer came from the AI cache
    assert asked[0].system_prompt and asked[0].max_tokens > 0
    sent = asked[0].messages[0].content.text  # type: ignore[union-attr]
    assert "Si bajáis a 1.000 €" in json.loads(sent)["messages"][-1]["text"]
    assert first["meta"]["via"] == "sampling" and first["meta"]["model"] == "host-claude"
    assert first["meta"]["unverified_citations"] == ["[msg:999999]"]
    assert again["meta"]["cached"] is True and again["drafts"] == first["drafts"]
