"""The AI tools: reply suggestions, conversation conclusions and message analysis.

The model is the server's LiteLLM router when one is configured; otherwise the host's own
model through MCP sampling (resolver-based, so it works on both protocol generations);
otherwise a tool error that says how to configure one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve, Sample
from mcp_types import (
    CallToolResult,
    CreateMessageResult,
    SamplingMessage,
    TextContent,
    ToolAnnotations,
)
from prometheus_client import CollectorRegistry, Counter
from pydantic import BaseModel, Field

from server._tooling import description
from tools.ai import (
    ANALYZE,
    NO_MODEL,
    SAMPLING_MODEL,
    SUGGEST_REPLY,
    SUMMARIZE,
    AiService,
    Completion,
    Prompt,
    features,
    router_completer,
    server_model,
)
from tools.ai.context import AiContext
from tools.ai.schemas import (
    CacheReport,
    ConversationConclusions,
    MessageAnalysis,
    ReplySuggestions,
)
from tools.cache import CacheStats
from tools.cursors import MAX_ID
from tools.errors import RateLimited, WallieError
from tools.runs import RunRecord, record_runs

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from server._state import ServerState

log = logging.getLogger("wallie.server.ai")

AI_TOOL = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
_SERVICE = "_wallie_ai"


def ai_service(state: ServerState) -> AiService:
    """The AI service for the server's current cache (made on first use)."""
    service: AiService | None = getattr(state, _SERVICE, None)
    if service is None or service.cache is not state.cache:
        service = AiService(state.settings, state.cache)
        setattr(state, _SERVICE, service)
    return service


async def with_ai(state: ServerState, stats: CacheStats) -> CacheReport:
    """The tool cache's figures with the AI features' calls, tokens and cost saved (those are
    across owners: a caller acting through an API key gets the tool figures only)."""
    ai = {} if state.over_http_key() else await ai_service(state).stats()
    return CacheReport(**stats.model_dump(), ai=ai)


async def ai_registry(state: ServerState) -> CollectorRegistry:
    """The AI cache's figures per feature as Prometheus counters."""
    report = await ai_service(state).stats()
    registry = CollectorRegistry()
    figures = [
        ("hits", "AI answers served from the cache"),
        ("misses", "AI cache misses"),
        ("model_calls", "model calls made for AI answers"),
        ("calls_saved", "model calls the AI cache saved"),
        ("tokens_saved", "tokens the AI cache saved"),
        ("cost_saved_usd", "USD the AI cache saved"),
    ]
    for name, text in figures:
        counter = Counter(f"wallie_ai_{name}", text + ".", ["feature"], registry=registry)
        for feature, stats in sorted(report.items()):
            counter.labels(feature).inc(getattr(stats, name))
    return registry


def _render(result: BaseModel) -> str:
    """A readable rendering; the structured content carries the data."""
    meta = result.meta  # type: ignore[attr-defined]
    head = f"({meta.model} via {meta.via}{', cached' if meta.cached else ''})"
    if isinstance(result, ReplySuggestions):
        lines = [f"Reply drafts for conversation {result.conversation_id} {head} — not sent."]
        lines.append(f"Open point: {result.open_point}")
        for i, d in enumerate(result.drafts, 1):
            lines.append(f"{i}. {d.text}" + (f"\n   why: {d.rationale}" if d.rationale else ""))
    elif isinstance(result, ConversationConclusions):
        lines = [f"Conclusions for conversation {result.conversation_id} {head}"]
        lines.append(f"Client wants: {result.client_wants}")
        lines += [f"Agreed: {p.text}" for p in result.agreed]
        lines += [f"Open objection: {p.text}" for p in result.objections]
        lines += [
            f"Commitment ({c.who}): {c.what}" + (f" — due {c.due}" if c.due else "")
            for c in result.commitments
        ]
        lines.append(f"Next step: {result.next_step}")
        lines.append(
            f"Mood: {result.mood}" + (f" — {result.mood_reason}" if result.mood_reason else "")
        )
    else:
        assert isinstance(result, MessageAnalysis)
        lines = [
            f"Message {result.message_id} {head}: intent {result.intent}, urgency "
            f"{result.urgency}; sentiment {result.sentiment.label} ({result.sentiment.score:+.2f})",
            f"Answer: {result.what_to_answer}",
        ]
    if meta.unverified_citations:
        lines.append("Removed unverifiable citations: " + ", ".join(meta.unverified_citations))
    return "\n".join(lines)


async def _sampled(ctx: Context[Any, Any], prompt: Prompt, args: dict[str, Any]) -> Any:
    """The host's answer through sampling when the server has no model: a cached answer,
    a sampling request, or None (no model anywhere; the tool body says so)."""
    state: ServerState = ctx.request_context.lifespan_context
    if server_model(state.settings) is not None:
        return None
    caps = ctx.client_capabilities
    if caps is None or caps.sampling is None:
        return None
    try:
        owner_id = await state.owner_id()
        target = await features.locate(prompt, state.database, owner_id, args)
        if not ctx.input_responses:  # count the lookup once, not again on the answer's round
            found = await ai_service(state).lookup(
                state.owner_email(), prompt, args, SAMPLING_MODEL, target.last_message_id
            )
            if found is not None:
                return {"cached": found}
        context = await features.load(prompt, state.database, owner_id, args)
    except WallieError:
        return None  # the body reports it
    return Sample(
        [
            SamplingMessage(
                role="user", content=TextContent(text=features.user_message(prompt, context, args))
            )
        ],
        system_prompt=prompt.system,
        max_tokens=prompt.max_tokens,
        temperature=0.2,
    )


# Resolvers run before the tool body; module level, since the SDK evaluates their hints.
async def _reply_host(
    ctx: Context[Any, Any], conversation_id: int, goal: str | None, tone: str | None
) -> Sample | dict[str, Any] | None:
    args = {"conversation_id": conversation_id, "goal": goal, "tone": tone}
    return await _sampled(ctx, SUGGEST_REPLY, args)  # type: ignore[no-any-return]


async def _summary_host(
    ctx: Context[Any, Any], conversation_id: int
) -> Sample | dict[str, Any] | None:
    args = {"conversation_id": conversation_id}
    return await _sampled(ctx, SUMMARIZE, args)  # type: ignore[no-any-return]


async def _analysis_host(ctx: Context[Any, Any], message_id: int) -> Sample | dict[str, Any] | None:
    return await _sampled(ctx, ANALYZE, {"message_id": message_id})  # type: ignore[no-any-return]


def register(app: MCPServer[ServerState], state: ServerState) -> None:
    """Add suggest_reply, summarize_conversation and analyze_message to `app`."""

    async def run(prompt: Prompt, args: dict[str, Any], host: Any) -> CallToolResult:
        started = time.perf_counter()
        tool = prompt.feature
        record = RunRecord(kind=f"tool:{tool}", question=f"{tool}({_args(args)})")
        ok = False
        try:
            owner = state.owner_email()
            owner_id = await state.owner_id()
            service = ai_service(state)
            target = await features.locate(prompt, state.database, owner_id, args)
            model = server_model(state.settings)
            if model is not None:
                complete = router_completer(state.settings, model)

                async def fresh() -> tuple[Completion, AiContext]:
                    context = await features.load(prompt, state.database, owner_id, args)
                    user = features.user_message(prompt, context, args)
                    return await complete(prompt.system, user, prompt.max_tokens), context

                value, cached = await service.answer(
                    owner, prompt, args, model, target.last_message_id, fresh
                )
                via: Literal["router", "sampling"] = "router"
            elif isinstance(host, dict) and "cached" in host:
                value, cached, via = host["cached"], True, "sampling"
            elif isinstance(host, CreateMessageResult):
                text = host.content.text if isinstance(host.content, TextContent) else ""
                completion = Completion(text=text, model=host.model or SAMPLING_MODEL)
                context = await features.load(prompt, state.database, owner_id, args)
                value = await service.store(
                    owner, prompt, args, SAMPLING_MODEL, context, completion
                )
                cached, via = False, "sampling"
            else:
                raise ToolError(NO_MODEL)
            result = features.build(
                prompt, value, cached=cached, via=via, last_message_id=target.last_message_id
            )
            text = _render(result)
            meta = result.meta  # type: ignore[attr-defined]
            record.answer = text
            record.model = meta.model
            record.sources = [{"ref": f"[msg:{i}]", "kind": "msg", "id": i} for i in meta.sources]
            if not cached:
                record.input_tokens = meta.input_tokens
                record.output_tokens = meta.output_tokens
                record.cost_usd = meta.cost_usd
            ok = True
        except (RateLimited, WallieError) as exc:
            record.error = str(exc)
            raise ToolError(str(exc)) from exc
        except ToolError as exc:
            record.error = str(exc)
            raise
        finally:
            elapsed = time.perf_counter() - started
            state.metrics.record(tool, elapsed, ok)
            record.latency_ms = round(elapsed * 1000, 1)
            _RUN_LOG.add(state, record)
        return CallToolResult(
            content=[TextContent(text=text)], structured_content=result.model_dump(mode="json")
        )

    async def suggest_reply(
        conversation_id: Annotated[
            int, Field(ge=1, le=MAX_ID, description="The conversation to answer.")
        ],
        goal: Annotated[
            str | None,
            Field(max_length=300, description="What the reply should achieve, e.g. 'book a demo'."),
        ] = None,
        tone: Annotated[
            str | None, Field(max_length=100, description="e.g. 'formal', 'warm', 'brief'.")
        ] = None,
        host: Annotated[Any, Resolve(_reply_host)] = None,
    ) -> Annotated[CallToolResult, ReplySuggestions]:
        """One to three drafts of the salesperson's next message in a conversation, in its
        language and channel style (WhatsApp short, email longer), answering the client's last
        open point. Drafts are never sent. Each cites the messages it relied on as [msg:ID]."""
        args = {"conversation_id": conversation_id, "goal": goal, "tone": tone}
        return await run(SUGGEST_REPLY, args, host)

    async def summarize_conversation(
        conversation_id: Annotated[
            int, Field(ge=1, le=MAX_ID, description="The conversation to read.")
        ],
        host: Annotated[Any, Resolve(_summary_host)] = None,
    ) -> Annotated[CallToolResult, ConversationConclusions]:
        """Conclusions of a conversation: what the client wants, what was agreed, open
        objections, commitments with dates, the next step and the client's mood, each point
        citing its messages as [msg:ID]."""
        return await run(SUMMARIZE, {"conversation_id": conversation_id}, host)

    async def analyze_message(
        message_id: Annotated[int, Field(ge=1, le=MAX_ID, description="A message id to analyse.")],
        host: Annotated[Any, Resolve(_analysis_host)] = None,
    ) -> Annotated[CallToolResult, MessageAnalysis]:
        """Read an incoming message: its intent (question, objection, buying signal,
        complaint, churn signal...), urgency and what the reply must address, beside the
        offline sentiment; cites the messages it relied on as [msg:ID]."""
        return await run(ANALYZE, {"message_id": message_id}, host)

    for title, fn in (
        ("Suggest a reply", suggest_reply),
        ("Summarize a conversation", summarize_conversation),
        ("Analyze a message", analyze_message),
    ):
        app.tool(title=title, description=description(fn), annotations=AI_TOOL)(fn)


def _args(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items() if v is not None)


class _RunLog:
    """Writes AI tool runs in the background, batched: the answer never waits for the log."""

    def __init__(self) -> None:
        self._pending: dict[int, list[tuple[str, RunRecord]]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def add(self, state: ServerState, record: RunRecord) -> None:
        """Queue `record` for the acting owner."""
        if state.db is None:
            return
        key = id(state)
        self._pending.setdefault(key, []).append((state.owner_email(), record))
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = asyncio.create_task(self._drain(state))

    async def _drain(self, state: ServerState) -> None:
        key = id(state)
        while self._pending.get(key) and state.db is not None:
            batch, self._pending[key] = self._pending[key], []
            try:
                await record_runs(
                    state.db, batch, retention_days=state.settings.runs_retention_days
                )
            except Exception as exc:  # a failure to log never fails a tool
                log.warning("could not record %d run(s): %s", len(batch), exc)

    async def flush(self, state: ServerState) -> None:
        """Write what is queued for `state` (before its database closes)."""
        task = self._tasks.pop(id(state), None)
        if task is not None:
            await task
        self._pending.pop(id(state), None)


_RUN_LOG = _RunLog()


async def flush_runs(state: ServerState) -> None:
    """Write the queued run-log entries of this server (call before closing its database)."""
    await _RUN_LOG.flush(state)
