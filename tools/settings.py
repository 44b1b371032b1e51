"""Wallie's settings: one object, read from the documented environment variables only."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_OWNER = "demo@wallie.local"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _default_home() -> Path:
    """The per-user data directory: `$XDG_DATA_HOME/wallie`, else `~/.local/share/wallie`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wallie"


class Settings(BaseSettings):
    """Every knob Wallie reads from the environment.

    Only the aliases below are read (`WALLIE_*` plus a few standard names): an unrelated
    `$HOME`, `$OWNER`, `$MODEL` or `$LOG_LEVEL` changes nothing.
    """

    model_config = SettingsConfigDict(
        env_prefix="",
        env_ignore_empty=True,  # `WALLIE_HOME=` means unset, not the current directory
        extra="ignore",
        populate_by_name=False,
        validate_by_name=False,
        validate_by_alias=True,
    )

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    home: Path = Field(default_factory=_default_home, alias="WALLIE_HOME")
    owner: str = Field(default=DEMO_OWNER, alias="WALLIE_OWNER")
    log_level: LogLevel = Field(default="WARNING", alias="WALLIE_LOG_LEVEL")
    log_sql: bool = Field(default=False, alias="WALLIE_LOG_SQL")
    default_region: str = Field(
        default="ES", min_length=2, max_length=2, alias="WALLIE_DEFAULT_REGION"
    )
    cache_ttl: int = Field(default=300, ge=0, alias="WALLIE_CACHE_TTL")
    rate_limit_per_minute: int = Field(default=120, ge=0, alias="WALLIE_RATE_LIMIT")
    sentiment_mode: Literal["lexicon", "llm"] = Field(default="lexicon", alias="WALLIE_SENTIMENT")
    sentiment_model: str | None = Field(default=None, alias="WALLIE_SENTIMENT_MODEL")
    model: str | None = Field(default=None, alias="WALLIE_MODEL")
    litellm_config: Path | None = Field(default=None, alias="WALLIE_LITELLM_CONFIG")
    litellm_url: str | None = Field(default=None, alias="LITELLM_URL")
    litellm_api_key: str | None = Field(default=None, alias="LITELLM_API_KEY")
    embedding_model: str | None = Field(default=None, alias="WALLIE_EMBEDDING_MODEL")
    # The MCP server (see docs/mcp.md).
    output_budget: int = Field(default=40_000, ge=1_000, alias="WALLIE_OUTPUT_BUDGET")
    public_url: str | None = Field(default=None, alias="WALLIE_PUBLIC_URL")
    key_cache_ttl: float = Field(default=30.0, ge=0, alias="WALLIE_KEY_CACHE_TTL")
    max_sessions_per_key: int = Field(default=20, ge=1, alias="WALLIE_MAX_SESSIONS_PER_KEY")
    session_idle_timeout: float = Field(default=1800.0, gt=0, alias="WALLIE_SESSION_IDLE_TIMEOUT")
    sse_heartbeat: float = Field(default=15.0, gt=0, le=300, alias="WALLIE_SSE_HEARTBEAT")
    # Bounds of one agent run on an LLM: output tokens per request, tokens per run, seconds.
    max_output_tokens: int = Field(default=2048, ge=16, alias="WALLIE_MAX_OUTPUT_TOKENS")
    run_token_budget: int = Field(default=200_000, ge=1, alias="WALLIE_RUN_TOKEN_BUDGET")
    run_timeout: float = Field(default=120.0, gt=0, alias="WALLIE_RUN_TIMEOUT")
    ai_model: str | None = Field(default=None, alias="WALLIE_AI_MODEL")
    ai_cache_ttl: int = Field(default=1800, ge=0, alias="WALLIE_AI_CACHE_TTL")
    ai_rate_limit: int = Field(default=30, ge=0, alias="WALLIE_AI_RATE_LIMIT")
    ai_daily_budget_usd: float = Field(default=5.0, ge=0, alias="WALLIE_AI_DAILY_BUDGET")
    runs_retention_days: int = Field(default=30, ge=0, alias="WALLIE_RUNS_RETENTION_DAYS")

    @field_validator("log_level", "default_region", "sentiment_mode", mode="before")
    @classmethod
    def _case(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.lower() if info.field_name == "sentiment_mode" else value.upper()

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers

        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region code such as ES, GB, US or MX")
        return value

    @property
    def sqlite_path(self) -> Path:
        """The embedded database file used when DATABASE_URL is unset."""
        return self.home / "wallie.db"

    @property
    def async_database_url(self) -> str:
        """DATABASE_URL (or the embedded default) with its async driver chosen."""
        from tools.db import to_async_url

        if self.database_url:
            return to_async_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.sqlite_path}"

    @property
    def is_embedded(self) -> bool:
        """True when the embedded SQLite default is in use."""
        return not self.database_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once; a malformed variable is a ConfigError."""
    from pydantic import ValidationError

    from tools.errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise ConfigError(f"invalid setting: {problems}") from None
