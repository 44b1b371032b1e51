"""The three AI features: what each reads, and the typed, citation-checked result it returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from tools.ai.context import AiContext, conversation_context, message_context
from tools.ai.prompts import ANALYZE, SUGGEST_REPLY, SUMMARIZE, Prompt
from tools.ai.schemas import AiMeta, ConversationConclusions, MessageAnalysis, ReplySuggestions
from tools.ai.service import check_citations
from tools.db import Database
from tools.errors import InvalidArgument


async def load(prompt: Prompt, db: Database, owner_id: int, args: dict[str, Any]) -> AiContext:
    """The conversation slice a feature reads, or NotFound."""
    if prompt is ANALYZE:
        return await message_context(db, owner_id, int(args["message_id"]))
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
    ctx: AiContext,
    *,
    cached: bool,
    via: Literal["router", "sampling"],
    sentiment: Any = None,
) -> BaseModel:
    """The feature's result, with citations of messages it was not given removed."""
    data, cited, removed = check_citations(value["raw"], ctx.message_ids)
    meta = AiMeta(
        feature=prompt.feature,
        model=value["model"],
        via=via,
        prompt_version=prompt.version,
        last_message_id=ctx.last_message_id,
        cached=cached,
        input_tokens=value.get("input_tokens", 0),
        output_tokens=value.get("output_tokens", 0),
        cost_usd=value.get("cost_usd", 0.0),
        sources=cited,
        unverified_citations=removed,
    )
    if prompt is SUGGEST_REPLY:
        return ReplySuggestions(
            conversation_id=ctx.conversation_id, channel=ctx.channel, meta=meta, **data
        )
    if prompt is SUMMARIZE:
        return ConversationConclusions(conversation_id=ctx.conversation_id, meta=meta, **data)
    assert ctx.focus_message_id is not None
    return MessageAnalysis(
        message_id=ctx.focus_message_id,
        conversation_id=ctx.conversation_id,
        sentiment=sentiment,
        meta=meta,
        **data,
    )
