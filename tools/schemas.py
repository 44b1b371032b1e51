"""Typed results of the read functions: what MCP tools return as structured content."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

MAX_TEXT_CHARS = 2000


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """`text` cut to `limit` characters with a visible marker, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return f"{text[:limit]}… [truncated: {len(text) - limit} more characters]", True


class ClientHit(BaseModel):
    """One client found by a search."""

    id: int
    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    channels: list[str] = Field(default_factory=list)
    conversation_count: int = 0
    last_contact_at: datetime | None = None
    match: str = Field(description="why it matched: name, name_prefix, phone, text")


class ClientPage(BaseModel):
    """A page of client search results, best first."""

    query: str
    clients: list[ClientHit]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next page; null at the end"
    )


class ConversationSummary(BaseModel):
    """A conversation's headline facts."""

    id: int
    channel: str
    subject: str | None = None
    status: str
    outcome: str
    success_score: float | None = None
    message_count: int = 0
    first_message_at: datetime | None = None
    last_message_at: datetime | None = None


class Mood(BaseModel):
    """The latest sentiment of a client's own (inbound) messages."""

    label: str
    score: float
    message_id: int | None = None
    sent_at: datetime | None = None


class ClientProfile(BaseModel):
    """A client's profile with counts, channels and open conversations."""

    id: int
    name: str
    email: str | None = None
    phone: str | None = None
    phone_e164: str | None = None
    company: str | None = None
    industry: str | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    channels: list[str] = Field(default_factory=list)
    conversation_count: int = 0
    message_count: int = 0
    inbound_count: int = 0
    outbound_count: int = 0
    first_contact_at: datetime | None = None
    last_contact_at: datetime | None = None
    outcomes: dict[str, int] = Field(default_factory=dict)
    open_conversations: list[ConversationSummary] = Field(default_factory=list)
    latest_mood: Mood | None = None


class MessageOut(BaseModel):
    """One message; `text` is the client's or salesperson's words, quoted data."""

    id: int
    conversation_id: int
    client_id: int
    channel: str
    direction: str
    sender: str
    sent_at: datetime
    text: str
    truncated: bool = False


class HistoryPage(BaseModel):
    """A page of messages in time order; the newest page comes first."""

    client_id: int | None = None
    conversation_id: int | None = None
    messages: list[MessageOut]
    next_cursor: str | None = Field(
        default=None, description="pass as `before` for older messages; null when none are left"
    )


class MessageHit(BaseModel):
    """A message that matches a search, with a snippet around the match."""

    message_id: int
    client_id: int
    client_name: str
    conversation_id: int
    channel: str
    direction: str
    sent_at: datetime
    snippet: str
    score: float = Field(description="relevance, higher is better")


class MessageSearchResult(BaseModel):
    """Ranked passages for a query: the retrieval step of RAG."""

    query: str
    hits: list[MessageHit]
    next_cursor: str | None = None
