"""The data model: one set of SQLModel tables for SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Wallie stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        # SQLite has no timezone type: store naive UTC text that sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Channel(StrEnum):
    """Where a conversation happens."""

    whatsapp = "whatsapp"
    email = "email"
    sms = "sms"
    call = "call"
    other = "other"


class Direction(StrEnum):
    """Who sent a message: the client (inbound) or the salesperson (outbound)."""

    inbound = "inbound"
    outbound = "outbound"


class Outcome(StrEnum):
    """How a conversation ended, as far as the salesperson knows."""

    won = "won"
    lost = "lost"
    open = "open"


class Owner(SQLModel, table=True):
    """A salesperson (tenant): every other row belongs to exactly one owner."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Bumped in every write's own transaction; part of every cache key (no stale answers).
    data_version: int = Field(default=0, sa_type=sa.BigInteger)


class Client(SQLModel, table=True):
    """A person the salesperson talks to."""

    __table_args__ = (
        sa.UniqueConstraint("owner_id", "external_id", name="uq_client_owner_external"),
        sa.Index("ix_client_owner_last_contact", "owner_id", "last_contact_at"),
        sa.Index("ix_client_owner_phone", "owner_id", "phone_digits"),
        sa.Index("ix_client_owner_email", "owner_id", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    external_id: str | None = Field(default=None, max_length=200)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    phone_digits: str | None = Field(default=None, max_length=32)
    company: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    notes: str | None = Field(default=None)
    search_name: str = Field(default="", max_length=200)
    search_text: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Conversation(SQLModel, table=True):
    """A thread with one client on one channel."""

    __table_args__ = (
        sa.UniqueConstraint("owner_id", "external_id", name="uq_conversation_owner_external"),
        sa.Index("ix_conversation_client_last", "client_id", "last_message_at"),
        sa.Index("ix_conversation_owner_last", "owner_id", "last_message_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE")
    external_id: str | None = Field(default=None, max_length=200)
    channel: str = Field(default=Channel.whatsapp.value, max_length=16)
    subject: str | None = Field(default=None, max_length=300)
    status: str = Field(default="active", max_length=32)
    outcome: str = Field(default=Outcome.open.value, max_length=8)
    success_score: float | None = Field(default=None, ge=0, le=1)
    first_message_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_message_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Message(SQLModel, table=True):
    """One message; owner, client and channel are copied here so reads need no joins."""

    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "external_id", name="uq_message_conv_external"),
        sa.Index("ix_message_conv_sent", "conversation_id", "sent_at", "id"),
        sa.Index("ix_message_client_sent", "client_id", "sent_at", "id"),
        sa.Index("ix_message_owner_sent", "owner_id", "sent_at"),
        sa.Index("ix_message_owner_external", "owner_id", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    channel: str = Field(max_length=16)
    direction: str = Field(max_length=8)
    sender: str = Field(default="", max_length=200)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    text: str = Field(default="")
    external_id: str = Field(max_length=200)
    attachments: list[str] | None = Field(default=None, sa_type=sa.JSON)
    sentiment_label: str | None = Field(default=None, max_length=8)
    sentiment_score: float | None = Field(default=None)
    status: str | None = Field(default=None, max_length=16)
    sentiment_version: str | None = Field(default=None, max_length=32)


def client_search_fields(client: Client | dict[str, Any]) -> dict[str, str]:
    """The folded `search_name` and `search_text` a client is found by."""
    from tools.text import search_text

    get = client.get if isinstance(client, dict) else lambda k: getattr(client, k)
    tags = get("tags") or []
    return {
        "search_name": search_text(get("name")),
        "search_text": search_text(
            get("name"), get("email"), get("company"), get("industry"), " ".join(tags)
        ),
    }


class ApiKey(SQLModel, table=True):
    """An HTTP API key: stored as a SHA-256 hash, mapped to one owner."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    name: str = Field(default="", max_length=100)
    prefix: str = Field(max_length=16, unique=True)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# Core handles on the tables, typed for statements that need no ORM objects.
owner_table: sa.Table = SQLModel.metadata.tables["owner"]
client_table: sa.Table = SQLModel.metadata.tables["client"]
conversation_table: sa.Table = SQLModel.metadata.tables["conversation"]
message_table: sa.Table = SQLModel.metadata.tables["message"]


class ChannelLink(SQLModel, table=True):
    """A provider address (a WhatsApp business phone number id) whose messages go to one owner."""

    __tablename__ = "channel"
    __table_args__ = (sa.UniqueConstraint("kind", "address", name="uq_channel_kind_address"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    address: str = Field(max_length=64)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
