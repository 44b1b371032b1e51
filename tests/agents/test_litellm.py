"""The LiteLLM backend, offline: LiteLLM's own `mock_response` stands in for providers."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelRequest, ToolCallPart, UserPromptPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.tools import ToolDefinition

from agents.llm import LiteLLMModel, build_router, import_litellm, make_model
from tools.cache import MemoryCache, RedisCache
from tools.errors import ConfigError
from tools.settings import Settings


def _router(**deployments: Any) -> Any:
    """A router whose groups answer with the given mock responses; `fast` falls back to `smart`."""
    return build_router(
        {
            "model_list": [
                {
                    "model_name": group,
                    "litellm_params": {
                        "model": model,
                        "api_key": "sk-test",
                        "mock_response": reply,
                    },
                }
                for group, (model, reply) in deployments.items()
            ],
            "router_settings": {"fallbacks": [{"fast": ["smart"]}], "num_retries": 0},
        }
    )


FALLBACK = {
    "fast": ("openai/gpt-4o-mini", "litellm.RateLimitError"),
    "smart": ("openai/gpt-4o", "Respuesta del modelo de reserva [client:1]"),
}


@pytest.mark.anyio
async def test_a_failing_deployment_falls_back_to_the_next_group() -> None:
    model = LiteLLMModel("fast", _router(**FALLBACK), cache=MemoryCache())
    result = await Agent(model).run("hola")
    assert result.output == "Respuesta del modelo de reserva [client:1]"
    assert result.usage.requests == 1
    assert model.total_cost > 0  # priced from LiteLLM's local cost table


@pytest.mark.anyio
async def test_streaming_through_the_router_delivers_text_in_order() -> None:
    model = LiteLLMModel("fast", _router(**FALLBACK), cache=None)
    async with Agent(model).run_stream("hola") as stream:
        deltas = [d async for d in stream.stream_text(delta=True)]
    assert deltas
    assert "".join(deltas) == "Respuesta del modelo de reserva [client:1]"


def _tool_call_reply() -> Any:
    litellm = import_litellm()
    return litellm.ModelResponse(
        choices=[
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {
                                "name": "search_clients",
                                "arguments": '{"query": "Ana García"}',
                            },
                        }
                    ],
                },
            }
        ],
        model="gpt-4o-mini",
    )


PARAMS = ModelRequestParameters(
    function_tools=[
        ToolDefinition(
            name="search_clients",
            description="Find clients.",
            parameters_json_schema={
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        )
    ],
    allow_text_output=True,
)


@pytest.mark.anyio
async def test_tool_calls_pass_through_the_router() -> None:
    router = _router(fast=("openai/gpt-4o-mini", _tool_call_reply()))
    model = LiteLLMModel("fast", router, cache=None)
    request = [ModelRequest(parts=[UserPromptPart("¿Cómo va Ana?")])]
    response = await model.request(request, None, PARAMS)
    calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
    assert [(c.tool_name, c.args_as_dict()) for c in calls] == [
        ("search_clients", {"query": "Ana García"})
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_second_identical_completion_is_a_cache_hit(
    backend: str, request: pytest.FixtureRequest
) -> None:
    cache = (
        MemoryCache() if backend == "memory" else RedisCache(request.getfixturevalue("redis_url"))
    )
    await cache.bump_version("llm")  # a fresh namespace on the shared Redis
    calls = 0
    router = _router(fast=("openai/gpt-4o-mini", "Hola, soy un modelo."))
    original = router.acompletion

    async def counting(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await original(**kwargs)

    router.acompletion = counting
    model = LiteLLMModel("fast", router, cache=cache)
    prompt = f"hola {backend}"
    first = await Agent(model).run(prompt)
    second = await Agent(model).run(prompt)
    async with Agent(model).run_stream(prompt) as stream:
        streamed = await stream.get_output()
    async with Agent(model).run_stream(prompt) as stream:
        streamed_again = await stream.get_output()
    assert first.output == second.output == streamed == streamed_again == "Hola, soy un modelo."
    assert calls == 2  # one plain, one streamed; the repeats came from the cache
    stats = (await cache.stats()).tools["llm:completion"]
    assert stats.hits >= 2
    await cache.aclose()


def test_model_names_are_groups_or_litellm_strings(tmp_path: Any) -> None:
    settings = Settings(WALLIE_HOME=str(tmp_path))
    assert make_model("fast", settings, cache=MemoryCache()).model_name == "fast"
    assert (
        make_model("ollama/llama3.1", settings, cache=MemoryCache()).model_name == "ollama/llama3.1"
    )
    with pytest.raises(ConfigError, match="neither a group"):
        make_model("gpt-nonsense", settings, cache=MemoryCache())


@pytest.mark.anyio
async def test_streamed_tool_calls_pass_through_the_router() -> None:
    router = _router(fast=("openai/gpt-4o-mini", _tool_call_reply()))
    model = LiteLLMModel("fast", router, cache=None)
    request = [ModelRequest(parts=[UserPromptPart("¿Cómo va Ana?")])]
    async with model.request_stream(request, None, PARAMS) as stream:
        async for _ in stream:
            pass
        response = stream.get()
    calls = [p for p in response.parts if isinstance(p, ToolCallPart)]
    assert [(c.tool_name, c.args_as_dict()) for c in calls] == [
        ("search_clients", {"query": "Ana García"})
    ]
