"""What the AI tools return: typed drafts, conclusions and analyses that cite messages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.cache import CacheStats
from tools.schemas import SentimentOut

Intent = Literal[
    "question",
    "objection",
    "buying_signal",
    "complaint",
    "churn_signal",
    "scheduling",
    "information",
    "greeting",
    "other",
]
Urgency = Literal["low", "medium", "high"]


class AiMeta(BaseModel):
    """How an AI answer was made: model, prompt version, cache, usage, checked citations."""

    feature: str
    model: str = Field(description="the model that wrote it (or the host's, through sampling)")
    via: Literal["router", "sampling"] = Field(description="server LiteLLM router or MCP sampling")
    prompt_version: str
    last_message_id: int | None = Field(description="the conversation's newest message id")
    cached: bool = Field(description="served from the AI cache (no model call)")
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = Field(default=0.0, description="LiteLLM's price of the model call")
    sources: list[int] = Field(default_factory=list, description="message ids cited and verified")
    unverified_citations: list[str] = Field(
        default_factory=list,
        description="citations of messages the model was not given: removed from the text",
    )


class Draft(BaseModel):
    """One reply draft, never sent."""

    text: str = Field(description="the message, in the client's language and channel style")
    rationale: str = Field(default="", description="why this draft, with [msg:ID] citations")


class ReplySuggestions(BaseModel):
    """One to three drafts of the next message to a client; nothing is sent."""

    conversation_id: int
    channel: str
    language: str = Field(description="language of the drafts (the conversation's)")
    open_point: str = Field(description="the client's last open point the drafts address")
    drafts: list[Draft] = Field(min_length=1, max_length=3)
    sent: Literal[False] = Field(default=False, description="drafts are never sent")
    meta: AiMeta


class Point(BaseModel):
    """A conclusion with the messages it rests on."""

    text: str = Field(description="the point, citing [msg:ID]")


class Commitment(BaseModel):
    """Something one side promised, with its date when one was given."""

    who: Literal["client", "salesperson"]
    what: str = Field(description="the commitment, citing [msg:ID]")
    due: str | None = Field(default=None, description="the date or deadline as stated")


class ConversationConclusions(BaseModel):
    """What a conversation comes to: wants, agreements, objections, commitments, next step."""

    conversation_id: int
    client_wants: str
    agreed: list[Point] = Field(default_factory=list)
    objections: list[Point] = Field(default_factory=list, description="still open")
    commitments: list[Commitment] = Field(default_factory=list)
    next_step: str
    mood: Literal["positive", "neutral", "negative", "mixed"]
    mood_reason: str = ""
    meta: AiMeta


class MessageAnalysis(BaseModel):
    """An incoming message read for intent and urgency, beside the offline sentiment."""

    message_id: int
    conversation_id: int
    intent: Intent
    secondary_intents: list[Intent] = Field(default_factory=list)
    urgency: Urgency
    what_to_answer: str = Field(description="what the reply should address, citing [msg:ID]")
    sentiment: SentimentOut = Field(description="the offline analyser's reading")
    meta: AiMeta


class FeatureStats(BaseModel):
    """One AI feature's cache and cost figures, shared by every server process with Redis."""

    hits: int = 0
    misses: int = 0
    hit_rate: float = Field(default=0.0, description="hits as a percentage of lookups")
    model_calls: int = 0
    calls_saved: int = Field(default=0, description="answers served without a model call")
    tokens: int = Field(default=0, description="tokens spent by model calls")
    tokens_saved: int = 0
    cost_usd: float = 0.0
    cost_saved_usd: float = 0.0


class CacheReport(CacheStats):
    """The tool cache's figures, and the AI features' calls, tokens and cost saved."""

    ai: dict[str, FeatureStats] = Field(default_factory=dict)
