"""Fit a tool's result into the output budget (WALLIE_OUTPUT_BUDGET characters).

Pages are filled with as many items as fit and point at the rest with `next_cursor`;
what still does not fit is cut with a visible marker, so nothing is silently lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from tools import cursors
from tools.schemas import ClientPage, ConversationMood, HistoryPage, MessageSearchResult

Render = Callable[[Any], str]
M = TypeVar("M", bound=BaseModel)


def size(result: BaseModel, render: Render) -> int:
    """Characters a host receives: the larger of the text and the structured JSON."""
    return max(len(render(result)), len(result.model_dump_json()))


def cut(text: str, budget: int) -> str:
    """`text` cut to `budget` characters with a visible marker."""
    if len(text) <= budget:
        return text
    marker = f"\n… [cut: {len(text) - budget} more characters over the output budget]"
    return text[: max(0, budget - len(marker))] + marker


def fit(result: M, render: Render, budget: int, arguments: dict[str, Any]) -> M:
    """`result` with as many items as fit in `budget`, and a cursor to the rest."""
    if size(result, render) <= budget:
        return result
    if isinstance(result, HistoryPage) and len(result.messages) > 1:
        # The page is oldest first; the newest messages stay, the cursor pages back.
        keep = _most(result.messages, lambda k: _history(result, k), render, budget)
        return cast(M, _history(result, keep))
    if isinstance(result, MessageSearchResult) and len(result.hits) > 1:
        start = cursors.page_offset(arguments.get("cursor"), "messages")
        keep = _most(result.hits, lambda k: _hits(result, k, start), render, budget)
        return cast(M, _hits(result, keep, start))
    if isinstance(result, ClientPage) and len(result.clients) > 1:
        start = cursors.page_offset(arguments.get("cursor"), "clients")
        keep = _most(result.clients, lambda k: _clients(result, k, start), render, budget)
        return cast(M, _clients(result, keep, start))
    if isinstance(result, ConversationMood) and len(result.messages) > 1:
        keep = _most(result.messages, lambda k: _mood(result, k), render, budget)
        return cast(M, _mood(result, keep))
    return result


def _most(
    items: Sequence[Any],
    shrink: Callable[[int], BaseModel],
    render: Render,
    budget: int,
) -> int:
    """The largest count of items (at least one) whose result fits the budget."""
    low, high = 1, len(items)
    while low < high:
        mid = (low + high + 1) // 2
        if size(shrink(mid), render) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _history(page: HistoryPage, keep: int) -> HistoryPage:
    kept = page.messages[-keep:]
    return page.model_copy(
        update={
            "messages": kept,
            "next_cursor": cursors.history_cursor(kept[0].sent_at, kept[0].id),
        }
    )


def _hits(result: MessageSearchResult, keep: int, start: int) -> MessageSearchResult:
    return result.model_copy(
        update={
            "hits": result.hits[:keep],
            "next_cursor": cursors.offset_cursor("messages", start + keep),
        }
    )


def _clients(page: ClientPage, keep: int, start: int) -> ClientPage:
    return page.model_copy(
        update={
            "clients": page.clients[:keep],
            "next_cursor": cursors.offset_cursor("clients", start + keep),
        }
    )


def _mood(mood: ConversationMood, keep: int) -> ConversationMood:
    return mood.model_copy(
        update={
            "messages": mood.messages[-keep:],
            "omitted_messages": mood.omitted_messages + len(mood.messages) - keep,
        }
    )
