"""list_clients, list_conversations and pipeline_summary through a real MCP client session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from server.app import build_server
from tests.answers.conftest import OWNER, Book
from tests.server.test_tools import call, error
from tools.settings import DEMO_OWNER

pytestmark = pytest.mark.anyio
LIST_TOOLS = ("list_clients", "list_conversations", "pipeline_summary")


@pytest.fixture
async def client(book: Book) -> AsyncIterator[Client]:
    """A session acting as Laura."""
    async with Client(build_server(book.settings())) as session:
        yield session


async def text(client: Client, tool: str, **args: Any) -> str:
    """The readable text of a call."""
    result = await client.call_tool(tool, args)
    return result.content[0].text


async def test_tools_are_listed_with_titles_and_read_only_hints(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in LIST_TOOLS:
        tool = tools[name]
        assert tool.title and tool.output_schema and tool.description
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert "\n        " not in tool.description or name  # docstrings read for an LLM
    assert tools["list_clients"].input_schema["properties"]["limit"]["maximum"] == 100


async def _ids(client: Client) -> dict[str, int]:
    page = await call(client, "list_clients", limit=100)
    return {row["name"]: row["client_id"] for row in page["clients"]}


async def test_churn_risk_list_names_the_unhappy_client_with_cited_signs(client: Client) -> None:
    ids = await _ids(client)
    page = await call(client, "list_clients", churn_risk=True, sort="risk")
    # Begoña: unanswered, angry, talks of leaving; María: lost to a competitor she named.
    assert [row["client_id"] for row in page["clients"]] == [
        ids["Begoña Muñoz"],
        ids["María López"],
    ]
    assert page["total"] == 2 and page["next_cursor"] is None
    assert {"lost", "churn_language"} <= {s["kind"] for s in page["clients"][1]["risk_signs"]}
    row = page["clients"][0]
    kinds = {s["kind"] for s in row["risk_signs"]}
    assert {"unanswered", "churn_language", "negative_mood"} <= kinds
    # Every cited message id belongs to this client (read back through the history tool).
    history = await call(client, "get_conversation_history", client_id=row["client_id"])
    own = {m["id"] for m in history["messages"]}
    cited = {m for s in row["risk_signs"] for m in s["message_ids"]}
    assert cited and cited <= own
    assert row["latest_mood"]["label"] == "negative"
    assert row["latest_mood"]["message_id"] in own


async def test_unanswered_lists_the_client_messages_after_our_last_reply(client: Client) -> None:
    ids = await _ids(client)
    page = await call(client, "list_clients", unanswered=True)
    assert [row["client_id"] for row in page["clients"]] == [ids["Begoña Muñoz"]]
    history = await call(client, "get_conversation_history", client_id=ids["Begoña Muñoz"])
    last_two = [m["id"] for m in history["messages"][-2:]]
    assert page["clients"][0]["unanswered_message_ids"] == last_two
    waiting = await call(client, "list_conversations", unanswered=True)
    assert [c["client_id"] for c in waiting["conversations"]] == [ids["Begoña Muñoz"]]


async def test_filters_combine_and_industry_ignores_accents(client: Client) -> None:
    ids = await _ids(client)
    hotel = await call(client, "list_clients", industry="HOSTELERIA")
    assert [row["client_id"] for row in hotel["clients"]] == [ids["Begoña Muñoz"]]
    won = await call(client, "list_clients", outcome="won")
    assert [row["name"] for row in won["clients"]] == ["John Smith"]
    closed = await call(client, "list_clients", status="closed", sort="name")
    assert [row["name"] for row in closed["clients"]] == ["John Smith", "María López"]
    sms = await call(client, "list_clients", channel="sms")
    assert [row["name"] for row in sms["clients"]] == ["María López"]
    recent = await call(
        client, "list_clients", last_contact_after=_days_ago(7), sort="last_contact"
    )
    assert [row["name"] for row in recent["clients"]] == [
        "Pedro Ruiz",  # our reply yesterday counts as contact
        "John Smith",
        "Begoña Muñoz",
    ]
    best = await call(client, "list_clients", sort="success_score", limit=1)
    assert best["clients"][0]["name"] == "John Smith" and best["total"] == 4
    unknown = await error(client, "list_clients", industry="astronautas")
    assert "hostelería" in unknown and "astronautas" in unknown


async def test_clients_with_messages_in_a_window_by_who_wrote(client: Client) -> None:
    ids = await _ids(client)
    since, until = _days_ago(30)[:10], _days_ago(1)[:10]
    anyone: set[int] = set()
    wrote: set[int] = set()
    for cid in ids.values():
        window = await call(
            client,
            "get_conversation_history",
            client_id=cid,
            since=since,
            until=until,
            limit=200,
        )
        anyone |= {cid} if window["messages"] else set()
        wrote |= {cid} if any(m["direction"] == "inbound" for m in window["messages"]) else set()
    assert wrote and wrote <= anyone
    both = await call(client, "list_clients", messages_since=since, messages_until=until)
    assert {r["client_id"] for r in both["clients"]} == anyone
    assert both["total"] == len(anyone)
    theirs = await call(
        client, "list_clients", messages_since=since, messages_until=until, messages_from="client"
    )
    assert {r["client_id"] for r in theirs["clients"]} == wrote
    assert theirs["filters"]["messages_from"] == "client"
    assert "messages_from" in await error(client, "list_clients", messages_from="them")
    assert "must be before" in await error(
        client, "list_clients", messages_since=until, messages_until=since
    )


def _days_ago(days: int) -> str:
    from datetime import timedelta

    from tests.answers.conftest import NOW

    return (NOW - timedelta(days=days)).isoformat()


async def test_pages_carry_a_total_and_and_n_more(client: Client) -> None:
    first = await call(client, "list_clients", limit=1, sort="name")
    assert first["total"] == 4 and first["next_cursor"]
    assert "and 3 more" in await text(client, "list_clients", limit=1, sort="name")
    seen = [first["clients"][0]["client_id"]]
    cursor = first["next_cursor"]
    while cursor:
        page = await call(client, "list_clients", limit=1, sort="name", cursor=cursor)
        seen += [row["client_id"] for row in page["clients"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 4
    assert "not one returned" in await error(client, "list_clients", cursor="bm90LWEtY3Vyc29y")


async def test_conversation_list_and_periods(client: Client) -> None:
    week = await call(client, "list_conversations", outcome="won", period="last_7_days")
    assert [c["client_name"] for c in week["conversations"]] == ["John Smith"]
    row = week["conversations"][0]
    history = await call(client, "get_conversation_history", conversation_id=row["conversation_id"])
    assert row["last_message_id"] == history["messages"][-1]["id"]
    assert row["message_count"] == len(history["messages"]) == 4
    closed = await call(client, "list_conversations", status="closed", sort="success_score")
    assert [c["outcome"] for c in closed["conversations"]] == ["won", "lost"]
    best_open = await call(client, "list_conversations", status="open", sort="success_score")
    assert [c["client_name"] for c in best_open["conversations"]] == ["Pedro Ruiz", "Begoña Muñoz"]
    both = await error(client, "list_conversations", period="this_month", since="2026-01-01")
    assert "either period or since/until" in both
    order = await error(client, "list_conversations", since="2026-02-01", until="2026-01-01")
    assert "must be before" in order


async def test_pipeline_counts_per_outcome(client: Client) -> None:
    everything = await call(client, "pipeline_summary")
    buckets = {b["outcome"]: b for b in everything["by_outcome"]}
    assert {k: b["conversations"] for k, b in buckets.items()} == {"open": 2, "won": 1, "lost": 1}
    assert buckets["open"]["expected_wins"] == pytest.approx(0.9)
    assert everything["total_clients"] == 4
    assert everything["by_status"] == {"active": 2, "closed": 2}
    week = await call(client, "pipeline_summary", period="last_7_days")
    counts = {b["outcome"]: b["conversations"] for b in week["by_outcome"]}
    assert counts == {"open": 2, "won": 1, "lost": 0}
    convs = await call(client, "list_conversations", outcome="won", period="last_7_days")
    assert [c["conversation_id"] for c in convs["conversations"]] == buckets["won"][
        "conversation_ids"
    ]


async def test_another_owner_sees_only_their_own_clients(book: Book) -> None:
    async with Client(build_server(book.settings("otro@example.es"))) as session:
        page = await call(session, "list_clients", limit=100)
        assert [row["company"] for row in page["clients"]] == ["Secreta SL"]
    async with Client(build_server(book.settings(OWNER))) as session:
        page = await call(session, "list_clients", churn_risk=True)
        assert all(row["company"] != "Secreta SL" for row in page["clients"])


async def test_bulk_churn_verdicts_agree_with_per_client_insights(book: Book) -> None:
    """The list computes every client at once; get_client_insights one by one: same answers."""
    async with Client(build_server(book.settings(DEMO_OWNER))) as session:
        page = await call(session, "list_clients", limit=100)
        assert page["total"] == 40
        at_risk = 0
        for row in page["clients"]:
            one = await call(session, "get_client_insights", client_id=row["client_id"])
            assert row["churn_risk"] == one["churn_risk"], row["name"]
            assert row["mood_trend"] == one["mood_trend"], row["name"]
            assert sorted(row["unanswered_message_ids"]) == sorted(one["unanswered_inbound"])[-10:]
            assert {s["kind"] for s in row["risk_signs"]} == {
                r["kind"] for r in one["churn_reasons"]
            }
            at_risk += row["churn_risk"]
        risky = await call(session, "list_clients", churn_risk=True, limit=100)
        assert risky["total"] == at_risk > 0


async def test_conversation_times_are_each_conversations_own(client: Client) -> None:
    """first/last message times come from the conversation's own messages (not the batch's)."""
    page = await call(client, "list_conversations", limit=100)
    assert page["total"] == 4
    for row in page["conversations"]:
        history = await call(
            client, "get_conversation_history", conversation_id=row["conversation_id"]
        )
        times = [m["sent_at"] for m in history["messages"]]
        assert (row["first_message_at"], row["last_message_at"]) == (min(times), max(times))
