"""The `wallie` command line: one front door to every layer."""

from __future__ import annotations

import os
import sys

import typer

from tools.errors import WallieError
from tools.text import mask_password
from wallie import __version__
from wallie._console import err
from wallie.commands import agent, cache, channels, data, db, events, keys, sentiment, serve

app = typer.Typer(
    name="wallie",
    help="Client-conversation intelligence for AI assistants: an MCP server and an agent "
    "over your clients' WhatsApp and email conversations.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wallie {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Wallie: clients and conversations for AI assistants."""


app.add_typer(db.app, name="db")
app.add_typer(data.demo_app, name="demo")
app.add_typer(data.import_app, name="import")
app.command("serve")(serve.serve)
app.command("ask")(agent.ask)
app.command("chat")(agent.chat)
app.add_typer(keys.app, name="keys")
app.add_typer(cache.app, name="cache")
app.add_typer(sentiment.app, name="sentiment")
app.add_typer(channels.app, name="channels")
app.add_typer(events.app, name="events")


def _domain_error(exc: BaseException) -> WallieError | None:
    """The WallieError inside `exc`, also when task groups wrapped it in exception groups."""
    if isinstance(exc, WallieError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if found := _domain_error(inner):
                return found
    if exc.__cause__ is not None and exc.__cause__ is not exc:
        return _domain_error(exc.__cause__)
    return None


def main() -> None:
    """Run the CLI: domain errors become one line and exit code 2, never a traceback."""
    try:
        app()
    except BaseException as exc:
        if isinstance(exc, SystemExit | KeyboardInterrupt) or not (found := _domain_error(exc)):
            _unexpected(exc)
            raise
        err.print(f"[bold red]error:[/] {mask_password(str(found))}", highlight=False)
        sys.exit(2)


def _unexpected(exc: BaseException) -> None:
    """Exit for anything that is not a domain error: one line, unless WALLIE_DEBUG is set."""
    if isinstance(exc, SystemExit):
        return
    if isinstance(exc, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    if os.environ.get("WALLIE_DEBUG"):
        return  # the caller re-raises: the full traceback
    text = mask_password(str(exc)).strip()
    first_line = text.splitlines()[0][:300] if text else ""
    err.print(
        f"[bold red]error:[/] unexpected {type(exc).__name__}: {first_line} "
        "(set WALLIE_DEBUG=1 for the traceback)",
        highlight=False,
    )
    sys.exit(1)
