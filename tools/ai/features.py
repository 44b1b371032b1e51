"""The three AI features: what each reads, and the typed, citation-checked result it returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from tools import insights
from tools.ai import context
from tools.ai.context import AiContext, Target, conversation_context, message_context
from tools.ai.prompts import ANALYZE, SUGGEST_REPLY, SUMMARIZE, Prompt
from tools.ai.schemas import AiMeta, ConversationConclusions, MessageAnalysis, ReplySuggestions
from tools.db import Database
from tools.errors import InvalidArgument


async def locate(prompt: Prompt, db: Database, owner_id: int, args: dict[str, Any]) -> Target:
    """What the request is about and the newest message that keys its answer, or NotFound."""
    if prompt is ANALYZE:
        return await context.locate(db, owner_id, message_id=int(args["message_id"]))
    return await context.locate(db, owner_id, conversation_id=int(args["conversation_id"]))


async def load(prompt: Prompt, db: Database, owner_id: int, args: dict[str, Any]) -> AiContext:
    """The conversation slice a feature reads, or NotFound."""
    if prompt is ANALYZE:
        ctx = await message_context(db, owner_id, int(args["message_id"]))
        from tools.sentiment import analyze  # the offline analyser: fast, no model call

        message_id = int(args["message_id"])
        text = await insights.message_text(db, owner_id, message_id)
        sentiment = insights.sentiment_out(analyze(text), message_id)
        ctx.extra["sentiment"] = sentiment.model_dump(mode="json")
        return ctx
    ctx = await conversation_context(db, owner_id, int(args["conversation_id"]))
    if not ctx.messages:
        raise InvalidArgument(f"conversation {ctx.conversation_id} has no messages yet")
    return ctx


def user_message(prompt: Prompt, ctx: AiContext, args: dict[str, Any]) -> str:
    """The data the model reads for one request."""
    if prompt is SUGGEST_REPLY:
        return ctx.as_json(goal=args.get("goal"), tone=args.get("tone"))
    return ctx.as_json()


def build(
    prompt: Prompt,
    value: dict[str, Any],
    *,
    cached: bool,
    via: Literal["router", "sampling"],
    last_message_id: int | None,
) -> BaseModel:
    """The feature's typed result from a (cached or fresh) answer."""
    meta = AiMeta(
        feature=prompt.feature,
        model=value["model"],
        via=via,
        prompt_version=prompt.version,
        last_message_id=last_message_id,
        cached=cached,
        input_tokens=value.get("input_tokens", 0),
        output_tokens=value.get("output_tokens", 0),
        cost_usd=value.get("cost_usd", 0.0),
        sources=value["sources"],
        unverified_citations=value["removed"],
    )
    data, conversation_id = value["data"], value["conversation_id"]
    if prompt is SUGGEST_REPLY:
        return ReplySuggestions(
            conversation_id=conversation_id, channel=value["channel"], meta=meta, **data
        )
    if prompt is SUMMARIZE:
        return ConversationConclusions(conversation_id=conversation_id, meta=meta, **data)
    return MessageAnalysis(
        message_id=value["message_id"],
        conversation_id=conversation_id,
        sentiment=value["extra"]["sentiment"],
        meta=meta,
        **data,
    )
