"""The `wallie` command line: one front door to every layer."""

from __future__ import annotations

import os
import sys

import typer

from tools.errors import WallieError
from wallie import __version__
from wallie._console import err
from wallie.commands import agent, cache, data, db, keys, sentiment, serve

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


def main() -> None:
    """Run the CLI: domain errors become one line and exit code 2, never a traceback."""
    try:
        app()
    except WallieError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("WALLIE_DEBUG"):
            raise
        first_line = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        err.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {first_line} "
            "(set WALLIE_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(1)
