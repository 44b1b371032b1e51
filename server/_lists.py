"""MCP tools for questions across clients: list_clients, list_conversations, pipeline_summary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from server._render import q
from server._state import ServerState
from server._tooling import READ_ONLY, read_tool
from tools import cursors, lists
from tools.schemas import ClientList, ConversationList, Mood, PipelineSummary

Channel = Literal["whatsapp", "email", "sms", "call", "other"]
MoodLabel = Literal["positive", "neutral", "negative"]
Period = lists.Period
DateArg = Annotated[
    str | None, Field(max_length=40, description="ISO-8601 date or time, e.g. 2026-11-01.")
]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "never"


def _mood(mood: Mood | None) -> str:
    if mood is None:
        return "no client message"
    return f"{mood.describe()} [msg:{mood.message_id}]"


def _more(total: int, offset: int, shown: int, cursor: str | None, noun: str) -> list[str]:
    rest = total - offset - shown
    if cursor and rest > 0:
        return [f"…and {rest} more {noun}: call again with cursor={cursor!r}."]
    return []


def render_client_list(result: ClientList) -> str:
    """A client list as numbered lines with the ids to cite."""
    if not result.clients:
        return f"No clients match {result.filters or 'the filters'} (total 0)."
    end = result.offset + len(result.clients)
    lines = [
        f"{result.total} client(s) match {result.filters or 'no filter'}; sorted by "
        f"{result.sort}; showing {result.offset + 1}-{end}:"
    ]
    for i, c in enumerate(result.clients, result.offset + 1):
        signs = ", ".join(
            s.kind + "".join(f" [msg:{m}]" for m in s.message_ids[-2:]) for s in c.risk_signs
        )
        lines.append(
            f"{i}. [client:{c.client_id}] {q(c.name)}"
            + (f" — {q(c.company)}" if c.company else "")
            + f"; last contact {_when(c.last_contact_at)}; mood {_mood(c.latest_mood)}, "
            f"trend {c.mood_trend}; open {c.open_conversations}, outcomes {c.outcomes}"
            + (f"; {len(c.unanswered_message_ids)} unanswered" if c.unanswered_message_ids else "")
            + (f"; CHURN RISK: {signs}" if c.churn_risk else (f"; signs: {signs}" if signs else ""))
        )
    lines += _more(result.total, result.offset, len(result.clients), result.next_cursor, "clients")
    return "\n".join(lines)


def render_conversation_list(result: ConversationList) -> str:
    """A conversation list as numbered lines with the ids to cite."""
    if not result.conversations:
        return f"No conversations match {result.filters or 'the filters'} (total 0)."
    end = result.offset + len(result.conversations)
    lines = [
        f"{result.total} conversation(s) match {result.filters or 'no filter'}; sorted by "
        f"{result.sort}; showing {result.offset + 1}-{end}:"
    ]
    for i, c in enumerate(result.conversations, result.offset + 1):
        score = f", success {c.success_score:.2f}" if c.success_score is not None else ""
        lines.append(
            f"{i}. [conversation:{c.conversation_id}] [client:{c.client_id}] {q(c.client_name)} "
            f"on {c.channel}: {c.outcome}{score}, {c.message_count} message(s), last "
            f"{_when(c.last_message_at)} [msg:{c.last_message_id}]; client mood "
            f"{_mood(c.latest_mood)}"
            + (f"; {len(c.unanswered_message_ids)} unanswered" if c.unanswered_message_ids else "")
        )
    lines += _more(
        result.total,
        result.offset,
        len(result.conversations),
        result.next_cursor,
        "conversations",
    )
    return "\n".join(lines)


def render_pipeline(result: PipelineSummary) -> str:
    """The pipeline as one line per outcome."""
    span = (
        f"{_when(result.since)} to {_when(result.until)}"
        if result.since or result.until
        else "all time"
    )
    lines = [
        f"Pipeline ({result.period or span}): {result.total_conversations} conversation(s) "
        f"with {result.total_clients} client(s)."
    ]
    for b in result.by_outcome:
        ids = " ".join(f"[conversation:{x}]" for x in b.conversation_ids[:5])
        mean = (
            f", mean success {b.mean_success_score:.2f}" if b.mean_success_score is not None else ""
        )
        wins = f", expected wins {b.expected_wins:.1f}" if b.expected_wins is not None else ""
        lines.append(
            f"- {b.outcome}: {b.conversations} conversation(s), {b.clients} client(s){mean}{wins};"
            f" by channel {b.by_channel}; e.g. {ids or 'none'}"
        )
    lines.append(result.note)
    return "\n".join(lines)


def register(app: MCPServer[ServerState], state: ServerState) -> None:
    """Add the cross-client tools to `app`, answered through the server's cache path."""

    @app.tool(title="List clients (filter, sort, count)", annotations=READ_ONLY)
    @read_tool(state, render_client_list)
    async def list_clients(
        churn_risk: Annotated[
            bool | None, Field(description="true: only clients at risk of leaving; false: none.")
        ] = None,
        mood: Annotated[
            MoodLabel | None, Field(description="The client's latest message mood.")
        ] = None,
        mood_trend: Annotated[
            Literal["improving", "worsening", "stable", "unknown"] | None,
            Field(description="Direction of the client's mood over their latest messages."),
        ] = None,
        outcome: Annotated[
            Literal["open", "won", "lost"] | None,
            Field(description="Has at least one conversation with this outcome."),
        ] = None,
        status: Annotated[
            Literal["open", "closed"] | None,
            Field(description="open: has an open conversation; closed: none open."),
        ] = None,
        channel: Annotated[
            Channel | None, Field(description="Talks to us on this channel.")
        ] = None,
        industry: Annotated[
            str | None, Field(max_length=100, description="e.g. hostelería, retail, salud.")
        ] = None,
        last_contact_after: DateArg = None,
        last_contact_before: DateArg = None,
        unanswered: Annotated[
            bool | None,
            Field(
                description="true: the client's last message(s) in an open conversation "
                "still have no reply from us."
            ),
        ] = None,
        messages_since: Annotated[
            str | None,
            Field(max_length=40, description="Has a message sent from then on (ISO date/time)."),
        ] = None,
        messages_until: Annotated[
            str | None,
            Field(
                max_length=40,
                description="Has a message sent before then (a bare date counts its whole day).",
            ),
        ] = None,
        messages_from: Annotated[
            Literal["client", "us"] | None,
            Field(description="With messages_since/until: client: the client wrote; us: we did."),
        ] = None,
        sort: Annotated[
            Literal["risk", "last_contact", "success_score", "name"],
            Field(
                description="risk: most at-risk first; last_contact: most recent first; "
                "success_score: closest to closing first."
            ),
        ] = "last_contact",
        limit: Annotated[int, Field(ge=1, le=100, description="Rows per page.")] = 20,
        cursor: Annotated[
            str | None, Field(max_length=200, description="next_cursor of the previous page.")
        ] = None,
    ) -> ClientList:
        """List clients across the whole book, filtered and sorted, with a total count.

        Use it for questions about many clients at once: "which clients are at risk of
        leaving?" (churn_risk=true, sort=risk), "who is unhappy?" (mood=negative), "who
        is waiting for my reply?" (unanswered=true), "clients I have not talked to since
        September" (last_contact_before=2026-09-01), "who wrote to me last week"
        (messages_since/messages_until, messages_from=client), "hotels with an open deal"
        (industry=hostelería, status=open). `total` counts every match: when it exceeds
        the rows shown, say "and N more" or page on with next_cursor. Each row carries
        client_id, conversation ids and the message ids behind its mood and risk signs:
        cite them as [client:ID] and [msg:ID].
        """
        return await lists.list_clients(
            state.database,
            await state.owner_id(),
            churn_risk=churn_risk,
            mood=mood,
            mood_trend=mood_trend,
            outcome=outcome,
            status=status,
            channel=channel,
            industry=industry,
            last_contact_after=last_contact_after,
            last_contact_before=last_contact_before,
            unanswered=unanswered,
            messages_since=messages_since,
            messages_until=messages_until,
            messages_from=messages_from,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )

    @app.tool(title="List conversations (filter, sort, count)", annotations=READ_ONLY)
    @read_tool(state, render_conversation_list)
    async def list_conversations(
        outcome: Annotated[
            Literal["open", "won", "lost"] | None, Field(description="How it ended (or open).")
        ] = None,
        status: Annotated[
            Literal["open", "closed"] | None,
            Field(description="open: still in play; closed: won or lost."),
        ] = None,
        channel: Annotated[Channel | None, Field(description="Only this channel.")] = None,
        industry: Annotated[
            str | None, Field(max_length=100, description="The client's industry.")
        ] = None,
        client_id: Annotated[
            int | None, Field(ge=1, le=cursors.MAX_ID, description="Only this client.")
        ] = None,
        period: Annotated[
            Period | None,
            Field(description="Last message inside this period (instead of since/until)."),
        ] = None,
        since: DateArg = None,
        until: DateArg = None,
        mood: Annotated[
            MoodLabel | None, Field(description="The client's latest message in it.")
        ] = None,
        unanswered: Annotated[
            bool | None, Field(description="true: the client is waiting for our reply.")
        ] = None,
        min_success_score: Annotated[
            float | None, Field(ge=0, le=1, description="Only conversations scored this high.")
        ] = None,
        sort: Annotated[
            Literal["last_message", "success_score", "messages"],
            Field(description="last_message: most recent first; success_score: best first."),
        ] = "last_message",
        limit: Annotated[int, Field(ge=1, le=100, description="Rows per page.")] = 20,
        cursor: Annotated[
            str | None, Field(max_length=200, description="next_cursor of the previous page.")
        ] = None,
    ) -> ConversationList:
        """List conversations across clients, filtered and sorted, with a total count.

        Examples: "deals won this month" (outcome=won, period=this_month), "open
        negotiations" (status=open, sort=success_score), "email threads waiting for my
        reply" (channel=email, unanswered=true), "closest to closing" (status=open,
        sort=success_score). A conversation is in a period when its last message is.
        Rows carry conversation_id, client_id and last_message_id to cite; say "and N
        more" when `total` exceeds the rows shown.
        """
        return await lists.list_conversations(
            state.database,
            await state.owner_id(),
            outcome=outcome,
            status=status,
            channel=channel,
            industry=industry,
            client_id=client_id,
            period=period,
            since=since,
            until=until,
            mood=mood,
            unanswered=unanswered,
            min_success_score=min_success_score,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )

    @app.tool(title="Pipeline summary", annotations=READ_ONLY)
    @read_tool(state, render_pipeline)
    async def pipeline_summary(
        period: Annotated[
            Period | None,
            Field(description="e.g. this_month, last_week, last_30_days (or since/until)."),
        ] = None,
        since: DateArg = None,
        until: DateArg = None,
        channel: Annotated[Channel | None, Field(description="Only this channel.")] = None,
        industry: Annotated[
            str | None, Field(max_length=100, description="The client's industry.")
        ] = None,
    ) -> PipelineSummary:
        """Counts of conversations and clients per outcome (open, won, lost) and status in
        a period, with mean success scores, the weighted pipeline (expected wins) and sample
        conversation ids to cite.

        Answers "how many deals did I win this month?" (period=this_month, read won),
        "how many open negotiations do I have?" (no period, read open), "how did last
        week go?" (period=last_week). No amounts are stored: values are success scores.
        """
        return await lists.pipeline_summary(
            state.database,
            await state.owner_id(),
            period=period,
            since=since,
            until=until,
            channel=channel,
            industry=industry,
        )
