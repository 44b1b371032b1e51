"""HTTP extras beside `/mcp`: health, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from server.app import ServerState


def add_routes(app: MCPServer[Any], state: ServerState) -> None:
    """Register /healthz, /readyz and /metrics on the server's HTTP app."""

    @app.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    @app.custom_route("/readyz", methods=["GET"], include_in_schema=False)
    async def readyz(_request: Request) -> Response:
        checks: dict[str, str] = {}
        ready = True
        try:
            async with state.database.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # report, never crash the probe
            checks["database"] = f"error: {type(exc).__name__}"
            ready = False
        if state.cache is not None:
            stats = await state.cache.stats()
            checks["cache"] = getattr(stats, "backend", "ok")
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(_request: Request) -> Response:
        return PlainTextResponse(
            await prometheus_text(state), media_type="text/plain; version=0.0.4"
        )


async def prometheus_text(state: ServerState) -> str:
    """Tool and cache figures in the Prometheus text format."""
    m = state.metrics
    lines = [
        "# HELP wallie_tool_calls_total Tool calls served by this process.",
        "# TYPE wallie_tool_calls_total counter",
    ]
    lines += [f'wallie_tool_calls_total{{tool="{t}"}} {n}' for t, n in sorted(m.calls.items())]
    lines += [
        "# HELP wallie_tool_errors_total Tool calls that returned an error.",
        "# TYPE wallie_tool_errors_total counter",
    ]
    lines += [f'wallie_tool_errors_total{{tool="{t}"}} {n}' for t, n in sorted(m.errors.items())]
    lines += [
        "# HELP wallie_tool_seconds_total Time spent in tool calls.",
        "# TYPE wallie_tool_seconds_total counter",
    ]
    lines += [
        f'wallie_tool_seconds_total{{tool="{t}"}} {s:.6f}' for t, s in sorted(m.seconds.items())
    ]
    if state.cache is not None:
        stats = await state.cache.stats()
        for name, kind in (("hits", "hits"), ("misses", "misses"), ("errors", "errors")):
            lines += [
                f"# HELP wallie_cache_{name}_total Cache {kind} across all replicas.",
                f"# TYPE wallie_cache_{name}_total counter",
            ]
            for tool, figures in sorted(_per_tool(stats).items()):
                lines.append(f'wallie_cache_{name}_total{{tool="{tool}"}} {figures.get(name, 0)}')
    from server._ai import cache_report, prometheus_lines

    lines += prometheus_lines(await cache_report(state))
    return "\n".join(lines) + "\n"


def _per_tool(stats: Any) -> dict[str, dict[str, int]]:
    """Per-tool figures from a CacheStats model (or its dict form)."""
    data = stats.model_dump() if hasattr(stats, "model_dump") else dict(stats)
    tools = data.get("tools", {})
    return {name: dict(v) for name, v in tools.items()} if isinstance(tools, dict) else {}
