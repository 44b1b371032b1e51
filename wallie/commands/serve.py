"""`wallie serve`: the MCP server over stdio (Claude Desktop) or streamable HTTP."""

from __future__ import annotations

import enum
import logging
import sys

import typer

from tools.errors import InvalidArgument
from tools.settings import get_settings
from wallie._console import err
from wallie._startup import loading

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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
    no_auth: bool = typer.Option(
        False,
        "--no-auth",
        help="HTTP: accept requests without an API key, acting as WALLIE_OWNER "
        "(local development only; refused unless bound to a loopback address).",
    ),
) -> None:
    """Serve Wallie's MCP tools, resources and prompts."""
    with loading():
        from server.app import build_server

    settings = get_settings()
    # stdout belongs to the protocol in stdio mode: every log line goes to stderr.
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if transport is Transport.stdio:
        with loading():
            app = build_server(settings)
        app.run("stdio")
        return
    import uvicorn

    if no_auth and host not in _LOOPBACK:
        raise InvalidArgument(f"--no-auth is only allowed on a loopback host, not {host!r}")
    from wallie._web import build_http_app

    http_app = build_http_app(settings, host=host, port=port, stateless=stateless, no_auth=no_auth)
    public = (settings.public_url or f"http://{host}:{port}").rstrip("/")
    err.print(
        f"Wallie MCP server on {public}/mcp "
        f"({'stateless' if stateless else 'stateful'}, "
        f"{'NO AUTH, acting as ' + settings.owner if no_auth else 'API key required'}); "
        "health at /healthz, metrics at /metrics; agent at POST /api/chat and /api/agui",
        highlight=False,
    )
    uvicorn.run(http_app, host=host, port=port, log_level=settings.log_level.lower(), lifespan="on")
