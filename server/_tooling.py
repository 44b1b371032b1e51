"""One decorator turns a domain read into a cached, budgeted, error-safe MCP tool."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from server import _budget
from server._state import ServerState
from tools.errors import DatabaseUnavailable, WallieError, database_unavailable

log = logging.getLogger("wallie.server")

READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

Render = Callable[[Any], str]


def description(fn: Callable[..., Any]) -> str:
    """The function's docstring without its source indentation."""
    return inspect.cleandoc(fn.__doc__ or "")


def read_tool(
    state: ServerState, render: Render, *, rate_limited: bool = False
) -> Callable[[Callable[..., Awaitable[BaseModel]]], Callable[..., Awaitable[CallToolResult]]]:
    """Wrap `fn(**arguments) -> model` as a tool answered through the cache.

    The cache key is the function's name and its bound arguments; domain errors become
    tool errors; the result is fitted to the size budget before it is cached.
    """

    def decorate(
        fn: Callable[..., Awaitable[BaseModel]],
    ) -> Callable[..., Awaitable[CallToolResult]]:
        signature = inspect.signature(fn, eval_str=True)
        output = signature.return_annotation
        # A union output schema is published as {"result": ...} by the SDK.
        wrap = not (isinstance(output, type) and issubclass(output, BaseModel))
        name = fn.__name__

        @functools.wraps(fn)
        async def tool(*args: Any, **kwargs: Any) -> CallToolResult:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            started = time.perf_counter()
            ok = False
            try:
                value = await _answer(state, name, arguments, fn, render, rate_limited, wrap)
                ok = True
            finally:
                state.metrics.record(name, time.perf_counter() - started, ok)
            return CallToolResult(
                content=[TextContent(text=value["text"])], structured_content=value["data"]
            )

        del tool.__wrapped__  # the SDK must read the signature below, not fn's
        tool.__signature__ = signature.replace(  # type: ignore[attr-defined]
            return_annotation=Annotated[CallToolResult, output]
        )
        tool.__annotations__ = {
            **{p.name: p.annotation for p in signature.parameters.values()},
            "return": Annotated[CallToolResult, output],
        }
        tool.__doc__ = description(fn)
        return tool

    return decorate


async def _answer(
    state: ServerState,
    name: str,
    arguments: dict[str, Any],
    fn: Callable[..., Awaitable[BaseModel]],
    render: Render,
    rate_limited: bool,
    wrap: bool,
) -> dict[str, Any]:
    owner = state.owner_email()
    budget = state.settings.output_budget
    computed: list[bool] = []  # fresh() ran: a miss (the cache may share another's fill)

    async def fresh() -> dict[str, Any]:
        computed.append(True)
        result = _budget.fit(await fn(**arguments), render, budget, arguments)
        data = result.model_dump(mode="json")
        return {"data": {"result": data} if wrap else data, "text": render(result)}

    try:
        with database_unavailable():
            if state.cache is None:
                return await fresh()
            if rate_limited:
                await state.cache.check_rate(owner, name)
            value: dict[str, Any] = await state.cache.cached(owner, name, arguments, fresh)
            state.count(owner, name, "misses" if computed else "hits")
            return value
    except DatabaseUnavailable as exc:
        log.warning("%s: %s", name, exc.cause)
        raise ToolError(str(exc)) from None
    except WallieError as exc:
        raise ToolError(_short(str(exc))) from exc


def _short(message: str, limit: int = 300) -> str:
    """An error message cut so that it never echoes more than an excerpt of the input."""
    return message if len(message) <= limit else message[: limit - 1] + "…"
