"""The HTTP app of `wallie serve --transport http`: the MCP server plus the agent endpoints.

The agent is one more MCP client of the same server: it calls `/mcp` over loopback HTTP
with the caller's own bearer key, so the key's owner scoping is enforced by the same code
path as for every other client, and replicas behind a load balancer behave alike.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from tools.settings import Settings

_ANY_HOST = {"0.0.0.0", "::", ""}


def build_http_app(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    stateless: bool = False,
    no_auth: bool = False,
    model: Any = None,
) -> Starlette:
    """`/mcp`, `/healthz`, `/readyz`, `/metrics`, `POST /api/chat` and `POST /api/agui`."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from server.app import build_server
    from tools.apikeys import verify_key
    from tools.runs import RunCollector, record_run

    server = build_server(settings, auth_url=None if no_auth else f"http://{host}:{port}")
    app = server.streamable_http_app(
        streamable_http_path="/mcp", stateless_http=stateless, host=host
    )
    state = server.state
    loopback = "127.0.0.1" if host in _ANY_HOST else host
    mcp_url = f"http://{'[' + loopback + ']' if ':' in loopback else loopback}:{port}/mcp"

    async def authenticate(token: str | None) -> str | None:
        if no_auth:
            return settings.owner
        return await verify_key(state.database, token) if token else None

    def toolsets_for(token: str | None) -> list[Any]:
        from agents.servers import remote_server

        return [remote_server(mcp_url, None if no_auth else token)]

    async def on_run(owner: str, kind: str, events: list[dict[str, Any]]) -> None:
        question = next((e["text"] for e in events if e["type"] == "question"), "")
        collector = RunCollector(kind, question)
        for event in events:
            collector.add(event)
        record = collector.finish()
        record.latency_ms = round(
            next((e["ms"] for e in events if e["type"] == "latency"), record.latency_ms), 1
        )
        await record_run(state.database, owner, record, retention_days=settings.runs_retention_days)

    web: Any = None

    async def agent_endpoint(request: Request) -> Response:
        # The agent runtime (pydantic-ai) is imported on the first request, not at startup:
        # it would add seconds to every `wallie serve` start.
        nonlocal web
        if web is None:
            from agents.web import WebAgent

            web = WebAgent(settings, authenticate, toolsets_for, on_run, model=model)
        handler = web.chat if request.url.path == "/api/chat" else web.agui
        response: Response = await handler(request)
        return response

    app.router.routes.extend(
        Route(path, agent_endpoint, methods=["POST"]) for path in ("/api/chat", "/api/agui")
    )
    return app
