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

    def describe(self) -> str:
        """The mood as a reader takes it: "neutral, leaning negative (-0.27)"."""
        return mood_words(self.label, self.score)


# A neutral label (no sentiment word, or the model unsure) can still lean: say so.
LEANING = 0.2


def mood_words(label: str, score: float) -> str:
    """A label and score in words, naming the lean of a neutral label that has one."""
    lean = ""
    if label == "neutral" and abs(score) >= LEANING:
        lean = ", leaning positive" if score > 0 else ", leaning negative"
    return f"{label}{lean} ({score:+.2f})"


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
    retrieval: str = Field(
        default="full-text",
        description="how hits were found: full-text, or fused with semantic search",
    )


class SentimentOut(BaseModel):
    """Sentiment of one text: label, score in -1..1, language, emotions and why."""

    label: str
    score: float
    confidence: float
    language: str
    emotions: dict[str, float] = Field(default_factory=dict)
    drivers: list[str] = Field(default_factory=list, description="words that drove the result")
    message_id: int | None = None


class MessageMood(BaseModel):
    """One message's stored sentiment, with the client's rolling mood after it."""

    message_id: int
    sent_at: datetime
    direction: str
    label: str
    score: float
    rolling: float | None = Field(
        default=None, description="the client's rolling inbound mood after this message"
    )


class TurningPoint(BaseModel):
    """Where the client's mood changed, and at which message."""

    message_id: int
    sent_at: datetime
    before: float
    after: float
    change: str = Field(description="improved or worsened")


class ConversationMood(BaseModel):
    """Per-message sentiment of a conversation, the client's trend and turning points."""

    conversation_id: int
    client_id: int
    messages: list[MessageMood]
    latest_mood: Mood | None = None
    trend: str = Field(description="improving, worsening, stable or unknown")
    turning_points: list[TurningPoint] = Field(default_factory=list)
    omitted_messages: int = Field(
        default=0, description="older messages left out to fit the output budget"
    )


class Fact(BaseModel):
    """A computed fact with the ids it stands on, for the agent to cite."""

    kind: str
    text: str
    message_ids: list[int] = Field(default_factory=list)
    conversation_ids: list[int] = Field(default_factory=list)


class ClientInsights(BaseModel):
    """Facts about a client to reason over: mood, replies, open items, outcomes, churn risk."""

    client_id: int
    name: str
    mood_trend: str
    latest_mood: Mood | None = None
    turning_points: list[TurningPoint] = Field(default_factory=list)
    median_client_reply_minutes: float | None = Field(
        default=None, description="how long the client takes to answer us"
    )
    median_our_reply_minutes: float | None = Field(
        default=None, description="how long we take to answer the client"
    )
    unanswered_inbound: list[int] = Field(
        default_factory=list, description="ids of client messages still without our reply"
    )
    open_conversations: list[ConversationSummary] = Field(default_factory=list)
    outcomes: dict[str, int] = Field(default_factory=dict)
    mean_success_score: float | None = None
    churn_risk: bool = False
    churn_reasons: list[Fact] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)


# -- questions across clients (tools/lists.py) --------------------------------------


class RiskSign(BaseModel):
    """One churn-risk sign with the ids it stands on."""

    kind: str = Field(
        description="unanswered, negative_mood, worsening, churn_language, lost or silence"
    )
    message_ids: list[int] = Field(default_factory=list)
    conversation_ids: list[int] = Field(default_factory=list)


class ClientListRow(BaseModel):
    """One client in a cross-client list, with the ids to cite."""

    client_id: int
    name: str
    company: str | None = None
    industry: str | None = None
    channels: list[str] = Field(default_factory=list)
    last_contact_at: datetime | None = None
    conversation_ids: list[int] = Field(default_factory=list)
    open_conversations: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    best_success_score: float | None = None
    latest_mood: Mood | None = None
    mood_trend: str = Field(default="unknown", description="improving, worsening, stable, unknown")
    unanswered_message_ids: list[int] = Field(
        default_factory=list, description="client messages still without our reply"
    )
    churn_risk: bool = False
    risk_signs: list[RiskSign] = Field(default_factory=list)


class ClientList(BaseModel):
    """A filtered, sorted page of clients; `total` counts every match, not just this page."""

    total: int = Field(description="clients matching the filters, across all pages")
    offset: int = 0
    clients: list[ClientListRow]
    filters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    sort: str
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` for the next page; null at the end"
    )


class ConversationListRow(BaseModel):
    """One conversation in a cross-client list, with the ids to cite."""

    conversation_id: int
    client_id: int
    client_name: str
    company: str | None = None
    industry: str | None = None
    channel: str
    subject: str | None = None
    status: str
    outcome: str
    success_score: float | None = None
    message_count: int = 0
    first_message_at: datetime | None = None
    last_message_at: datetime | None = None
    last_message_id: int | None = None
    latest_mood: Mood | None = Field(
        default=None, description="the client's latest message in this conversation"
    )
    unanswered_message_ids: list[int] = Field(default_factory=list)


class ConversationList(BaseModel):
    """A filtered, sorted page of conversations; `total` counts every match."""

    total: int
    offset: int = 0
    conversations: list[ConversationListRow]
    filters: dict[str, str | int | float | bool] = Field(default_factory=dict)
    sort: str
    next_cursor: str | None = None


class PipelineBucket(BaseModel):
    """Conversations with one outcome in the period, with sample ids to cite."""

    outcome: str = Field(description="open, won or lost")
    conversations: int
    clients: int
    mean_success_score: float | None = None
    expected_wins: float | None = Field(
        default=None, description="sum of success scores: the weighted pipeline (open only)"
    )
    by_channel: dict[str, int] = Field(default_factory=dict)
    conversation_ids: list[int] = Field(
        default_factory=list, description="the newest of these conversations (at most 20)"
    )
    client_ids: list[int] = Field(default_factory=list)


class PipelineSummary(BaseModel):
    """Counts and scores per outcome and status for conversations active in a period."""

    since: datetime | None = None
    until: datetime | None = None
    period: str | None = None
    total_conversations: int
    total_clients: int
    by_outcome: list[PipelineBucket]
    by_status: dict[str, int] = Field(default_factory=dict)
    note: str = ""
