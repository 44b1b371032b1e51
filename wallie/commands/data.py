"""`wallie demo seed` and `wallie import`: getting clients and conversations in."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.context import open_database
from tools.errors import ImportFailed, InvalidArgument
from tools.ingest import IngestReport, MessageIn, default_scorer, ingest
from tools.owners import ensure_owner
from tools.settings import get_settings
from wallie._console import err, print_json

demo_app = typer.Typer(help="Demo data to try Wallie with.", no_args_is_help=True)
import_app = typer.Typer(help="Import conversations from files.", no_args_is_help=True)

_OWNER_HELP = "Owner (salesperson email) the data belongs to. [default: WALLIE_OWNER]"


async def _store(
    owner: str, messages: list[MessageIn] | object, total: int | None, label: str
) -> IngestReport:
    settings = get_settings()
    db = await open_database(settings)
    try:
        owner_id = await ensure_owner(db, owner)
        columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        # A bar only where it helps: long runs on a terminal.
        show = total is None or total > 20_000
        with Progress(*columns, console=err, transient=True, disable=not show) as progress:
            task = progress.add_task(label, total=total)
            report = await ingest(
                db,
                owner_id,
                messages,  # type: ignore[arg-type]
                scorer=default_scorer(),
                progress=lambda n: progress.advance(task, n),
            )
        # No cache to tell: the data version moved on in the import's own transaction.
        from wallie.commands.embed import after_import

        await after_import(db, owner_id, settings)
        return report
    finally:
        await db.dispose()


def _report(report: IngestReport, seconds: float, json_: bool, extra: dict[str, object]) -> None:
    summary = {**extra, **report.as_dict(), "seconds": round(seconds, 2)}
    if json_:
        print_json(summary)
        return
    err.print(
        f"added {report.clients_added} clients, {report.conversations_added} conversations, "
        f"{report.messages_added} messages ({report.messages_skipped} already stored) "
        f"in {seconds:.1f} s",
        highlight=False,
    )


@demo_app.command("seed")
def seed(
    clients: int = typer.Option(
        200, "--clients", "-n", min=1, max=1_000_000, help="How many clients."
    ),
    seed_: int = typer.Option(42, "--seed", "-s", help="Random seed: same seed, same data."),
    owner: str | None = typer.Option(None, "--owner", help=_OWNER_HELP),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fill the database with realistic demo clients and conversations (idempotent)."""
    from tools.demo import DemoSpec, generate

    owner = owner or get_settings().owner
    spec = DemoSpec(clients=clients, seed=seed_)
    started = time.perf_counter()
    # About 10.5 messages per client: only used to size the progress bar.
    report = asyncio.run(_store(owner, generate(spec), int(clients * 10.5), "seeding"))
    _report(report, time.perf_counter() - started, json_, {"owner": owner, "seed": seed_})


@import_app.command("jsonl")
def import_jsonl(
    file: Path = typer.Argument(..., help="JSONL file: one message a line (see README)."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid lines and report the invalid ones."
    ),
    owner: str | None = typer.Option(None, "--owner", help=_OWNER_HELP),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import messages from a JSONL file; importing the same file twice adds nothing."""
    from tools.jsonl import parse_file

    if not file.is_file():
        raise InvalidArgument(f"{file}: no such file")
    owner = owner or get_settings().owner
    started = time.perf_counter()
    parsed = parse_file(file)
    if parsed.errors and not skip_invalid:
        raise ImportFailed(parsed.errors)
    for line in parsed.errors:
        err.print(f"skipped {line}", highlight=False)
    report = asyncio.run(_store(owner, parsed.messages, len(parsed.messages), "importing"))
    _report(
        report,
        time.perf_counter() - started,
        json_,
        {"owner": owner, "file": str(file), "invalid_lines": len(parsed.errors)},
    )


def _mount_file_importers() -> None:
    from wallie.commands.imports import register

    register(import_app)


_mount_file_importers()
