"""A fresh small dataset per test (SQLite and PostgreSQL) and scripted models for the AI tools."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, default_scorer, ingest
from tools.models import Conversation, Message
from tools.owners import ensure_owner
from tools.settings import Settings

OWNER = "laura@example.es"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ANA = ClientIn(key="crm-ana", name="Ana Ruiz", phone="+34 600 11 22 33", company="Hotel Mar")
THREAD = [
    ("inbound", "Hola, ¿me mandáis el presupuesto de 200 toallas?"),
    ("outbound", "Claro Ana, te lo envío mañana."),
    ("outbound", "Presupuesto: 1.200 € con entrega en 10 días."),
    ("inbound", "Es caro. Si bajáis a 1.000 € firmamos antes del viernes."),
]


def message(text: str, i: int, direction: str = "inbound", key: str = "c-ana") -> MessageIn:
    """One message of Ana's WhatsApp conversation."""
    return MessageIn(
        client=ANA,
        conversation=ConversationIn(key=key, channel="whatsapp"),
        external_id=f"{key}-{i}",
        direction=direction,
        sender="Ana Ruiz" if direction == "inbound" else "Laura",
        sent_at=T0 + timedelta(hours=i),
        text=text,
    )


@dataclass
class AiData:
    """A database with Ana's conversation, and how to reach it."""

    url: str
    db: Database
    owner_id: int
    conversation_id: int
    message_ids: list[int]
    tmp: Path
    env: dict[str, Any] = field(default_factory=dict)

    def settings(self, **env: Any) -> Settings:
        """Settings for a server over this data (in-process cache unless REDIS_URL given)."""
        values: dict[str, Any] = {
            "DATABASE_URL": self.url,
            "WALLIE_OWNER": OWNER,
            "REDIS_URL": None,
            **env,
        }
        return Settings(**values)

    async def add_message(self, text: str) -> int:
        """A new client message in the conversation; its id."""
        await ingest(self.db, self.owner_id, [message(text, 100 + len(self.message_ids))])
        ids = await message_ids(self.db, self.conversation_id)
        self.message_ids = ids
        return ids[-1]

    def router_config(self, reply: Any, *, delay: float = 0.0, model: str = "gpt-4o-mini") -> Path:
        """A LiteLLM router config whose `fast` group answers `reply` (LiteLLM's mock)."""
        params: dict[str, Any] = {
            "model": f"openai/{model}",
            "api_key": "sk-test",
            "mock_response": reply if isinstance(reply, str) else json.dumps(reply),
        }
        if delay:
            params["mock_delay"] = delay
        path = self.tmp / f"litellm-{uuid.uuid4().hex[:8]}.yaml"
        path.write_text(
            yaml.safe_dump({"model_list": [{"model_name": "fast", "litellm_params": params}]})
        )
        return path

    def with_model(self, reply: Any, **kw: Any) -> Settings:
        """Settings whose server model answers `reply`."""
        extra = {k.upper(): v for k, v in kw.pop("env", {}).items()}
        return self.settings(
            WALLIE_MODEL="fast", WALLIE_LITELLM_CONFIG=str(self.router_config(reply, **kw)), **extra
        )


async def message_ids(db: Database, conversation_id: int) -> list[int]:
    """A conversation's message ids, oldest first."""
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(Message.id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.sent_at, Message.id)
        )
        return [r[0] for r in rows]


@pytest.fixture
async def ai_data(database_url: str, tmp_path: Path) -> AsyncIterator[AiData]:
    """Ana's conversation on a fresh database, once per backend."""
    db = Database.from_url(database_url)
    await db.upgrade()
    owner_id = await ensure_owner(db, OWNER)
    await ingest(
        db,
        owner_id,
        [message(text, i, direction) for i, (direction, text) in enumerate(THREAD)],
        scorer=default_scorer(),
    )
    async with db.connect() as conn:
        conversation_id = await conn.scalar(sa.select(Conversation.id))
    ids = await message_ids(db, conversation_id)
    yield AiData(database_url, db, owner_id, conversation_id, ids, tmp_path)
    await db.dispose()
