"""LLMs through LiteLLM: a pydantic-ai model over a `litellm.Router` (groups, fallbacks, retries).

The model reuses pydantic-ai's OpenAI chat mapping (messages, tools, streaming) and swaps
the HTTP client for the router, so everything LiteLLM supports — model groups such as
`fast`/`smart`, fallbacks, retries, timeouts, cooldowns, any provider — works unchanged.
Completions are cached through Wallie's cache (Redis when REDIS_URL is set).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.litellm import LiteLLMProvider
from pydantic_ai.providers.openai import OpenAIProvider

from tools.errors import ConfigError
from tools.llm import (
    CACHE_OWNER,
    CACHE_TOOL,
    build_router,
    config_path,
    import_litellm,
    load_config,
)
from tools.settings import Settings


def make_model(name: str, settings: Settings, *, cache: Any = None) -> LiteLLMModel:
    """A model group of the router config, or any LiteLLM model string ("openai/gpt-4o-mini")."""
    path = config_path(settings)
    config = load_config(path) if path else {"model_list": []}
    groups = {m.get("model_name") for m in config["model_list"]}
    if name not in groups:
        if "/" not in name:
            known = ", ".join(sorted(g for g in groups if g)) or "none"
            raise ConfigError(
                f"model {name!r} is neither a group of {path or 'the router config'} ({known}) "
                "nor a LiteLLM model string such as openai/gpt-4o-mini"
            )
        config = {
            "model_list": [{"model_name": name, "litellm_params": {"model": name}}],
            "router_settings": {"num_retries": 2},
        }
    if cache is None:
        from tools.cache import make_cache

        cache = make_cache(settings)
    return LiteLLMModel(name, build_router(config), cache=cache)


def proxy_model(settings: Settings) -> OpenAIChatModel:
    """A model behind a LiteLLM proxy (LITELLM_URL), named by WALLIE_MODEL or `fast`."""
    provider = LiteLLMProvider(api_base=settings.litellm_url, api_key=settings.litellm_api_key)
    return OpenAIChatModel(settings.model or "fast", provider=provider)


def _omitted(value: Any) -> bool:
    return type(value).__name__ in {"Omit", "NotGiven"}


class _Stream:
    """An OpenAI-style async stream over LiteLLM chunks, recording them for the cache."""

    def __init__(self, chunks: AsyncIterator[Any], on_done: Any) -> None:
        self._chunks = chunks
        self._on_done = on_done
        self.response = None  # the OpenAI SDK's streams expose the HTTP response here

    async def __aenter__(self) -> _Stream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[ChatCompletionChunk]:
        seen: list[dict[str, Any]] = []
        async for chunk in self._chunks:
            data = chunk if isinstance(chunk, dict) else chunk.model_dump(exclude_none=True)
            seen.append(data)
            yield ChatCompletionChunk.model_validate(data)
        await self._on_done(seen)


class _Completions:
    def __init__(self, owner: LiteLLMModel) -> None:
        self._owner = owner

    async def create(self, **kwargs: Any) -> ChatCompletion | _Stream:
        return await self._owner._complete(kwargs)


class _Chat:
    def __init__(self, owner: LiteLLMModel) -> None:
        self.completions = _Completions(owner)


class _RouterClient:
    """The slice of the OpenAI client pydantic-ai calls, answered by the LiteLLM router."""

    base_url = "litellm-router://"

    def __init__(self, owner: LiteLLMModel) -> None:
        self.chat = _Chat(owner)


class LiteLLMModel(OpenAIChatModel):
    """A pydantic-ai model whose completions go through a `litellm.Router`."""

    def __init__(self, model_name: str, router: Any, *, cache: Any = None) -> None:
        # The provider only supplies pydantic-ai's OpenAI profile; no request uses its client.
        placeholder = AsyncOpenAI(api_key="unused", base_url="http://litellm-router.invalid/v1")
        super().__init__(model_name, provider=OpenAIProvider(openai_client=placeholder))
        self.router = router
        self.cache = cache
        self.total_cost = 0.0
        self._client = _RouterClient(self)

    @property
    def client(self) -> Any:
        """The router, dressed as an OpenAI client."""
        return self._client

    @property
    def system(self) -> str:
        """The provider name reported in traces."""
        return "litellm"

    async def _complete(self, kwargs: dict[str, Any]) -> ChatCompletion | _Stream:
        params = {k: v for k, v in kwargs.items() if not _omitted(v)}
        for name in ("extra_headers", "extra_body", "timeout", "stream_options"):
            params.pop(name, None)  # the router owns timeouts; headers are the SDK's own
        stream = bool(params.get("stream"))
        key = {
            "model": params.get("model"),
            "messages": params.get("messages"),
            "tools": params.get("tools"),
            "tool_choice": params.get("tool_choice"),
            "response_format": params.get("response_format"),
            "stream": stream,
        }
        if self.cache is not None:
            found, value = await self.cache.get(CACHE_OWNER, CACHE_TOOL, key)
            if found:
                return _replay(value) if stream else ChatCompletion.model_validate(value)
        if stream:
            params["stream_options"] = {"include_usage": True}
            chunks = await self.router.acompletion(**params)
            if not hasattr(chunks, "__aiter__"):
                # Some deployments (and LiteLLM's mocks) answer a stream with one response.
                chunks = _iterate(_as_chunks(chunks.model_dump(exclude_none=True)))

            async def done(seen: list[dict[str, Any]]) -> None:
                self._add_cost(seen=seen)
                if self.cache is not None:
                    await self.cache.put(CACHE_OWNER, CACHE_TOOL, key, seen)

            return _Stream(chunks, done)
        response = await self.router.acompletion(**params)
        data = response.model_dump(exclude_none=True)
        self._add_cost(response=response)
        if self.cache is not None:
            await self.cache.put(CACHE_OWNER, CACHE_TOOL, key, data)
        return ChatCompletion.model_validate(data)

    def _add_cost(self, *, response: Any = None, seen: list[dict[str, Any]] | None = None) -> None:
        """Add a completion's cost (LiteLLM's price table) to the run total, when known."""
        try:
            litellm = import_litellm()
            if response is None and seen:
                response = litellm.stream_chunk_builder(seen)
            cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
            if cost is None and response is not None:
                cost = litellm.completion_cost(completion_response=response)
            self.total_cost += float(cost or 0.0)
        except Exception:  # unknown model prices are not an error
            return


async def _iterate(chunks: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for chunk in chunks:
        yield chunk


def _as_chunks(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """A whole completion as the stream chunks that would have carried it."""
    chunks = []
    for choice in completion.get("choices", []):
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant"}
        if message.get("content"):
            delta["content"] = message["content"]
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {"index": i, **call} for i, call in enumerate(message["tool_calls"])
            ]
        chunks.append(
            {
                "id": completion.get("id", "chatcmpl-replay"),
                "object": "chat.completion.chunk",
                "created": completion.get("created", 0),
                "model": completion.get("model", ""),
                "choices": [
                    {
                        "index": choice.get("index", 0),
                        "delta": delta,
                        "finish_reason": choice.get("finish_reason"),
                    }
                ],
                **({"usage": completion["usage"]} if completion.get("usage") else {}),
            }
        )
    return chunks


def _replay(chunks: list[dict[str, Any]]) -> _Stream:
    async def nothing(_seen: list[dict[str, Any]]) -> None:
        return None

    return _Stream(_iterate(chunks), nothing)
