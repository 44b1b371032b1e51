"""The `wallie` command line: one front door to every layer."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer import _click as click  # typer 0.29 vendors click: its types are these
from typer.core import TyperGroup

from tools.errors import WallieError
from tools.text import mask_password
from wallie import __version__
from wallie._console import err

# Each command's module and attribute, imported only when that command runs: `wallie ask`
# does not pay for the database layer, `wallie serve` not for the agent.
_COMMANDS = {
    "db": ("wallie.commands.db", "app"),
    "demo": ("wallie.commands.data", "demo_app"),
    "import": ("wallie.commands.data", "import_app"),
    "serve": ("wallie.commands.serve", "serve"),
    "ask": ("wallie.commands.agent", "ask"),
    "chat": ("wallie.commands.agent", "chat"),
    "keys": ("wallie.commands.keys", "app"),
    "cache": ("wallie.commands.cache", "app"),
    "sentiment": ("wallie.commands.sentiment", "app"),
    "runs": ("wallie.commands.runs", "app"),
    "channels": ("wallie.commands.channels", "app"),
    "events": ("wallie.commands.events", "app"),
    "embed": ("wallie.commands.embed", "embed"),
}


def _load(name: str) -> click.Command:
    """The click command for `name`, built from its module on first use."""
    module, attribute = _COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode="rich")
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class _Wallie(TyperGroup):
    """The root command: lazy subcommands; a domain error becomes one line and exit code 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, without importing any of them."""
        return [*_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called `cmd_name`, imported now."""
        return _load(cmd_name) if cmd_name in _COMMANDS else None

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; print a WallieError as one line and exit 2."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not (found := _domain_error(exc)):
                raise
            err.print(f"[bold red]error:[/] {mask_password(str(found))}", highlight=False)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    name="wallie",
    cls=_Wallie,
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
        _unexpected(exc)
        raise


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
