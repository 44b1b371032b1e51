"""`wallie serve`: the MCP server over stdio (Claude Desktop) or streamable HTTP."""

from __future__ import annotations

import enum
import logging
import sys

import typer

from tools.settings import get_settings
from wallie._console import err


class Transport(enum.StrEnum):
    """How MCP clients reach the server."""

    stdio = "stdio"
    http = "http"


def serve(
    transport: Transport = typer.Option(
        Transport.stdio, "--transport", "-t", help="stdio for desktop hosts, http for the rest."
    ),
    host: str = typer.Option("127.0.0.1", help="HTTP: address to bind (127.0.0.1 = local only)."),
    port: int = typer.Option(8000, min=1, max=65535, help="HTTP: port to listen on."),
    stateless: bool = typer.Option(
        False, help="HTTP: keep no session state, to run replicas behind a load balancer."
    ),
) -> None:
    """Serve Wallie's MCP tools, resources and prompts."""
    from server.app import build_server

    settings = get_settings()
    # stdout belongs to the protocol in stdio mode: every log line goes to stderr.
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    app = build_server(settings)
    if transport is Transport.stdio:
        app.run("stdio")
        return
    import uvicorn

    http_app = app.streamable_http_app(
        streamable_http_path="/mcp", stateless_http=stateless, host=host
    )
    err.print(
        f"Wallie MCP server on http://{host}:{port}/mcp "
        f"({'stateless' if stateless else 'stateful'}); health at /healthz, metrics at /metrics",
        highlight=False,
    )
    uvicorn.run(http_app, host=host, port=port, log_level=settings.log_level.lower(), lifespan="on")
