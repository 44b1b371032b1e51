"""Wallie's settings: one object, read from the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_OWNER = "demo@wallie.local"


def _default_home() -> Path:
    """The per-user data directory (XDG data home)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wallie"


class Settings(BaseSettings):
    """Every knob Wallie reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    home: Path = Field(default_factory=_default_home, alias="WALLIE_HOME")
    owner: str = Field(default=DEMO_OWNER, alias="WALLIE_OWNER")
    log_level: str = Field(default="WARNING", alias="WALLIE_LOG_LEVEL")
    cache_ttl: int = Field(default=300, ge=0, alias="WALLIE_CACHE_TTL")
    rate_limit_per_minute: int = Field(default=120, ge=0, alias="WALLIE_RATE_LIMIT")
    sentiment_mode: str = Field(default="lexicon", alias="WALLIE_SENTIMENT")
    sentiment_model: str | None = Field(default=None, alias="WALLIE_SENTIMENT_MODEL")
    model: str | None = Field(default=None, alias="WALLIE_MODEL")
    litellm_config: Path | None = Field(default=None, alias="WALLIE_LITELLM_CONFIG")
    litellm_url: str | None = Field(default=None, alias="LITELLM_URL")
    litellm_api_key: str | None = Field(default=None, alias="LITELLM_API_KEY")
    sse_heartbeat: float = Field(default=15.0, gt=0, le=300, alias="WALLIE_SSE_HEARTBEAT")

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

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
    """The process-wide settings, read once."""
    return Settings()
