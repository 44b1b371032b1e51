"""Which model writes AI answers, and one completion through the server's LiteLLM router."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache as memoize
from pathlib import Path
from typing import Any

from tools.settings import Settings

PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "MISTRAL_API_KEY")
SAMPLING_MODEL = "host-sampling"
NO_MODEL = (
    "no model is configured for AI tools and this client does not support MCP sampling. "
    "Configure the server's model: set WALLIE_MODEL to a group of the LiteLLM router config "
    "(WALLIE_LITELLM_CONFIG, e.g. fast or smart) or to a LiteLLM model string such as "
    "openai/gpt-4o-mini (with its API key), or point LITELLM_URL at a LiteLLM proxy; or use "
    "a client that supports sampling. Without a model, the draft_follow_up prompt lets your "
    "assistant's own model write the draft from Wallie's read tools."
)


@dataclass(frozen=True)
class Completion:
    """A model's answer and what it cost."""

    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


Complete = Callable[[str, str, int], Awaitable[Completion]]
"""(system, user, max_tokens) -> Completion."""


def server_model(settings: Settings) -> str | None:
    """The router model group or model string AI tools use, or None when none is configured."""
    name = settings.ai_model or settings.model
    if name in ("retrieval", "none"):
        return None
    if name:
        return name
    if settings.litellm_url or settings.litellm_config is not None:
        return "fast"
    if any(os.environ.get(k) for k in PROVIDER_KEYS):
        return "fast"
    return None


@memoize
def _router(config_file: str | None, group: str, proxy: str | None, proxy_key: str | None) -> Any:
    from tools.llm import build_router, load_config

    if proxy:
        params = {"model": f"litellm_proxy/{group}", "api_base": proxy, "api_key": proxy_key}
        return build_router({"model_list": [{"model_name": group, "litellm_params": params}]})
    config = load_config(Path(config_file)) if config_file else {"model_list": []}
    if group not in {m.get("model_name") for m in config["model_list"]}:
        config = {"model_list": [{"model_name": group, "litellm_params": {"model": group}}]}
    return build_router(config)


def router_completer(settings: Settings, group: str) -> Complete:
    """Completions from the server's LiteLLM router (or proxy) for model group `group`."""

    async def complete(system: str, user: str, max_tokens: int) -> Completion:
        from tools.llm import config_path, import_litellm

        path = None if settings.litellm_url else config_path(settings)
        router = _router(
            str(path) if path else None, group, settings.litellm_url, settings.litellm_api_key
        )
        response = await router.acompletion(
            model=group,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            max_tokens=max_tokens,
            temperature=0.2,
        )
        usage = getattr(response, "usage", None)
        cost = (getattr(response, "_hidden_params", None) or {}).get("response_cost")
        if cost is None:
            try:
                cost = import_litellm().completion_cost(completion_response=response)
            except Exception:  # a model without a price: cost unknown, not an error
                cost = 0.0
        return Completion(
            text=str(response.choices[0].message.content or ""),
            model=str(getattr(response, "model", None) or group),
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=float(cost or 0.0),
        )

    return complete
