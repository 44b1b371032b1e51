"""The framework floor: a bare MCPServer with one echo tool (`python -m bench.echo_server`)."""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

app = MCPServer(name="echo")


@app.tool()
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        import uvicorn

        uvicorn.run(
            app.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
        )
    else:
        app.run("stdio")
