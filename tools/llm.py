"""LiteLLM plumbing shared by the agent and the optional LLM sentiment: config and router."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from tools.errors import ConfigError
from tools.settings import Settings

CACHE_OWNER = "llm"
CACHE_TOOL = "llm:completion"
_ROUTER_SETTINGS = {
    "fallbacks",
    "context_window_fallbacks",
    "num_retries",
    "timeout",
    "routing_strategy",
    "allowed_fails",
    "cooldown_time",
    "retry_after",
    "redis_url",
    "redis_host",
    "redis_port",
    "redis_password",
    "default_max_parallel_requests",
}


def import_litellm() -> Any:
    """litellm, imported offline (no cost-map download) and only when an LLM is used."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def config_path(settings: Settings) -> Path | None:
    """The router config: WALLIE_LITELLM_CONFIG, ./litellm-config.yaml, or the shipped one."""
    candidates = [
        settings.litellm_config,
        Path.cwd() / "litellm-config.yaml",
        Path(__file__).resolve().parent.parent / "litellm-config.yaml",
    ]
    for candidate in candidates:
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    if settings.litellm_config is not None:
        raise ConfigError(f"WALLIE_LITELLM_CONFIG points at {settings.litellm_config}, not a file")
    return None


def load_config(path: Path) -> dict[str, Any]:
    """A LiteLLM proxy-format YAML file (`model_list`, `router_settings`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read LiteLLM config {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("model_list"), list):
        raise ConfigError(f"{path} has no model_list (LiteLLM proxy config format)")
    return data


def build_router(config: dict[str, Any], **overrides: Any) -> Any:
    """A `litellm.Router` from a config dict; unknown router_settings are ignored."""
    litellm = import_litellm()
    router_settings = {
        k: v for k, v in (config.get("router_settings") or {}).items() if k in _ROUTER_SETTINGS
    }
    router_settings.update(overrides)
    return litellm.Router(model_list=config["model_list"], **router_settings)
