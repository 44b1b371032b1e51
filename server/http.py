"""HTTP extras beside `/mcp`: health, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from tools.cache import CacheStats

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from server._state import ServerState


def register(app: MCPServer[Any], state: ServerState) -> None:
    """Register /healthz, /readyz and /metrics on the server's HTTP app."""

    @app.custom_route("/healthz", methods=["GET"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    @app.custom_route("/readyz", methods=["GET"], include_in_schema=False)  # type: ignore[untyped-decorator]
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
            checks["cache"] = stats.backend
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.custom_route("/metrics", methods=["GET"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def metrics(_request: Request) -> Response:
        return Response(await prometheus_text(state), media_type=CONTENT_TYPE_LATEST)


async def prometheus_text(state: ServerState) -> bytes:
    """Tool and cache figures in the Prometheus text format."""
    text = generate_latest(state.metrics.registry)
    if state.cache is not None:
        text += generate_latest(_cache_registry(await state.cache.stats()))
    from server._ai import ai_registry

    text += generate_latest(await ai_registry(state))
    return text


def _cache_registry(stats: CacheStats) -> CollectorRegistry:
    """The cache's shared counters (across replicas) as Prometheus counters."""
    registry = CollectorRegistry()
    for name in ("hits", "misses", "errors"):
        counter = Counter(
            f"wallie_cache_{name}",
            f"Cache {name} across all replicas.",
            ["tool"],
            registry=registry,
        )
        for tool, figures in sorted(stats.tools.items()):
            counter.labels(tool).inc(getattr(figures, name))
    return registry
