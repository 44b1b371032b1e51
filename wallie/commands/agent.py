"""`wallie ask` and `wallie chat`: the agent, streaming its answer with sources."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from wallie._console import err, fail, out
from wallie._startup import loading

if TYPE_CHECKING:
    from agents.events import Event

_MODEL_HELP = (
    "A model group of litellm-config.yaml (fast, smart, local) or any LiteLLM model string "
    "(openai/gpt-4o-mini, anthropic/..., ollama/...); 'retrieval' forces the no-LLM mode. "
    "[default: WALLIE_MODEL, else retrieval-only when no LLM is configured]"
)


class _Printer:
    """Renders agent events for a person (rich) or a script (one JSON object a line)."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.in_text = False
        self.failed = False

    def __call__(self, event: Event) -> None:
        from agents.events import Error, Final, Notice, Retry, Text, ToolCall, ToolResult

        if isinstance(event, Error):
            self.failed = True
        if self.as_json:
            sys.stdout.write(event.to_json() + "\n")
            sys.stdout.flush()
            return
        if isinstance(event, Text):
            if not self.in_text:
                out.print()
                self.in_text = True
            out.print(event.delta, end="", markup=False, highlight=False)
            return
        if self.in_text and not isinstance(event, Retry):
            out.print()
            self.in_text = False
        match event:
            case Notice(message=message):
                err.print(f"[yellow]{escape(message)}[/]", highlight=False)
            case ToolCall(tool=tool, args=args):
                shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
                err.print(f"[dim]→ {escape(tool)}({escape(shown)})[/]", highlight=False)
            case ToolResult(ok=ok, summary=summary):
                mark = "[green]✓[/]" if ok else "[red]✗[/]"
                err.print(f"  {mark} [dim]{escape(summary)}[/]", highlight=False)
            case Retry(invalid_citations=invalid, reason=reason):
                self.in_text = False
                why = reason or (
                    f"{', '.join(invalid)} not returned by any tool; asking for a correction"
                )
                err.print(f"\n[yellow]citation check: {escape(why)}[/]", highlight=False)
            case Final(sources=sources, usage=usage, model=model):
                if sources:
                    out.print("\n[bold]Sources[/]")
                    for s in sources:
                        out.print(f"  {s.ref} {s.label}", markup=False, highlight=False)
                cost = f", ${usage.cost_usd:.4f}" if usage.cost_usd else ""
                err.print(
                    f"[dim]{escape(model)}: {usage.requests} request(s), "
                    f"{usage.tool_calls} tool call(s), {usage.input_tokens} in / "
                    f"{usage.output_tokens} out tokens{cost}[/]",
                    highlight=False,
                )
            case Error(message=message):
                err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


def _options(
    model: str | None,
    server_url: str | None,
    api_key: str | None,
    mcp_config: Path | None,
    max_steps: int,
    max_tool_calls: int,
    local_process: Any = None,
    server: Any = None,
) -> Any:
    from agents.runtime import AskOptions

    return AskOptions(
        model=model,
        server_url=server_url,
        api_key=api_key,
        mcp_config=mcp_config,
        max_steps=max_steps,
        max_tool_calls=max_tool_calls,
        local_process=local_process,
        server=server,
    )


def _preload(options: Any) -> None:
    """Import what the run will use now, while start-up pauses garbage collection."""
    from agents.runtime import takes_planner_loop
    from tools.settings import get_settings

    loop = "agents._direct" if takes_planner_loop(options, get_settings()) else "agents._agent_loop"
    for module in (loop, "tools.runs"):
        importlib.import_module(module)


def _local_server(server_url: str | None, stdio: bool) -> Any:
    """Wallie's MCP server in this process, unless a remote or a stdio child is asked for."""
    if server_url is not None and stdio:
        raise fail("--stdio and --server-url exclude each other: pick one server")
    if server_url is not None or stdio:
        return None
    import logging

    from server.app import build_server
    from tools.settings import get_settings

    settings = get_settings()
    # The server logs as `wallie serve` does: to stderr, at WALLIE_LOG_LEVEL.
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    # Reached through an in-memory MCP session: one interpreter, the same tools and results.
    return build_server(settings)


async def _run(
    question: str, options: Any, printer: _Printer, conversation: Any = None, kind: str = "ask"
) -> None:
    from pydantic import BaseModel

    from agents.runtime import ask as ask_events
    from tools.runs import RunCollector

    collector = RunCollector(kind, question)
    error = None
    try:
        async for event in ask_events(question, options, conversation):
            collector.add(
                event.model_dump(mode="json") if isinstance(event, BaseModel) else dict(event)
            )
            printer(event)
    except BaseException as exc:
        error = f"interrupted: {type(exc).__name__}"
        raise
    finally:
        if options.server_url is None:  # a remote server's owner is not ours to log for
            await _record(collector.finish(error))


async def _record(record: Any) -> None:
    """Log a run in the local database; a failure to log is a warning, never a failure."""
    from tools.context import open_database
    from tools.runs import record_run
    from tools.settings import get_settings

    settings = get_settings()
    try:
        db = await open_database(settings)
        try:
            await record_run(
                db, settings.owner, record, retention_days=settings.runs_retention_days
            )
        finally:
            await db.dispose()
    except Exception as exc:
        err.print(f"[yellow]run not recorded: {exc}[/]", highlight=False)


_server_url = typer.Option(None, "--server-url", help="A remote MCP server (streamable HTTP).")
_api_key = typer.Option(
    None, "--api-key", envvar="WALLIE_API_KEY", help="Bearer key for --server-url."
)
_mcp_config = typer.Option(
    None, "--mcp-config", help="More MCP servers, from a Claude Desktop style mcpServers JSON file."
)
_max_steps = typer.Option(12, "--max-steps", min=1, max=100, help="Cap on model requests.")
_max_tools = typer.Option(40, "--max-tool-calls", min=1, max=500, help="Cap on tool calls.")
_stdio = typer.Option(
    False,
    "--stdio",
    help="Run Wallie's server as a `wallie serve` child over stdio (as Claude Desktop does) "
    "instead of in this process.",
)


def ask(
    question: str = typer.Argument(..., help="The question, in Spanish or English."),
    model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
    server_url: str | None = _server_url,
    api_key: str | None = _api_key,
    mcp_config: Path | None = _mcp_config,
    max_steps: int = _max_steps,
    max_tool_calls: int = _max_tools,
    stdio: bool = _stdio,
    json_: bool = typer.Option(False, "--json", help="One JSON event a line."),
) -> None:
    """Ask about your clients: the agent calls Wallie's tools and streams a cited answer."""
    printer = _Printer(json_)
    process = None
    if server_url is None and stdio:  # start the child now: its start-up overlaps our imports
        from agents._spawn import spawn_local_server
        from tools.settings import get_settings

        process = spawn_local_server(get_settings())
    try:
        with loading():
            options = _options(
                model,
                server_url,
                api_key,
                mcp_config,
                max_steps,
                max_tool_calls,
                process,
                _local_server(server_url, stdio),
            )
            _preload(options)
        asyncio.run(_run(question, options, printer))
    finally:
        if process is not None and process.poll() is None:  # the run never connected to it
            process.terminate()
            process.wait(10)
    if printer.failed:
        raise typer.Exit(code=2)


def chat(
    model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
    server_url: str | None = _server_url,
    api_key: str | None = _api_key,
    mcp_config: Path | None = _mcp_config,
    max_steps: int = _max_steps,
    max_tool_calls: int = _max_tools,
    stdio: bool = _stdio,
    json_: bool = typer.Option(False, "--json", help="One JSON event a line."),
) -> None:
    """A conversation with the agent: each question sees the previous turns. Ctrl-D ends it."""
    from agents.runtime import Conversation

    printer = _Printer(json_)
    with loading():
        server = _local_server(server_url, stdio)
        options = _options(
            model, server_url, api_key, mcp_config, max_steps, max_tool_calls, server=server
        )
        _preload(options)
    conversation = Conversation()
    interactive = sys.stdin.isatty()

    async def loop() -> None:
        while True:
            if interactive:
                err.print("[bold]you>[/] ", end="")
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            if line.strip() in {"exit", "quit", "salir"}:
                return
            if line.strip():
                await _run(line.strip(), options, printer, conversation, kind="chat")

    asyncio.run(loop())
