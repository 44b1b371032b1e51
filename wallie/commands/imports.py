"""`wallie import whatsapp` and `wallie import email`: the files people really have."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.errors import InvalidArgument, WallieError
from tools.importers import ImportSummary, ParsedFile
from tools.settings import get_settings
from wallie._console import err, print_json

_OWNER_HELP = "Owner (salesperson email) the data belongs to. [default: WALLIE_OWNER]"
_SKIP_HELP = (
    "Import the good messages of a file and report the bad ones (else the file is skipped)."
)
_DRY_HELP = "Parse and count what would be stored; write nothing."


async def _run(owner: str, files: list[ParsedFile], dry_run: bool) -> ImportSummary:
    from tools.context import open_database
    from tools.importers import run_import
    from tools.ingest import default_scorer
    from tools.owners import ensure_owner

    settings = get_settings()
    db = await open_database(settings)
    try:
        owner_id = await ensure_owner(db, owner)
        expected = [f.expected for f in files]
        total = None if None in expected else sum(e or 0 for e in expected)
        columns = [TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        show = err.is_terminal and (total is None or total > 5_000)
        with Progress(*columns, console=err, transient=True, disable=not show) as progress:
            task = progress.add_task("importing", total=total)
            advance: Callable[[int], None] = lambda n: progress.advance(task, n)  # noqa: E731
            summary = await run_import(
                db,
                owner_id,
                files,
                scorer=default_scorer(),
                dry_run=dry_run,
                progress=advance,
            )
        # No cache to tell: ingest moves the owner's data version in its own transaction.
        if not dry_run:
            from wallie.commands.embed import after_import

            await after_import(db, owner_id, settings)
        return summary
    finally:
        await db.dispose()


def _line(name: str, c: dict[str, Any]) -> str:
    failed = "" if c.get("ok", True) else " FAILED, nothing stored:"
    return (
        f"{name}:{failed} {c['conversations']} conversation(s) ({c['conversations_new']} new), "
        f"clients {c['clients_new']} new / {c['clients_matched']} matched, "
        f"messages {c['messages_new']} new / {c['messages_already_stored']} already stored, "
        f"{c['system_lines']} system line(s), {c['attachments']} attachment(s), "
        f"{c['skipped'] + c['skipped_bulk']} skipped ({c['skipped_bulk']} bulk/lists), "
        f"{c['seconds']:.2f} s"
    )


def _print(summary: ImportSummary, json_: bool) -> None:
    if json_:
        print_json(summary.as_dict())
    else:
        for f in summary.files:
            err.print(_line(f.file, asdict(f)), highlight=False)
        if len(summary.files) > 1:
            err.print(
                _line(f"total ({len(summary.files)} files)", summary.totals()), highlight=False
            )
        if summary.dry_run:
            err.print("dry run: nothing was written", highlight=False)
        for f in summary.files:
            if f.replaced_chars:
                err.print(
                    f"{f.file}: {f.replaced_chars} undecodable character(s) replaced",
                    highlight=False,
                )
            if f.ok:
                for line in f.errors:
                    err.print(f"skipped {line}", highlight=False)
    failed = summary.failed
    if failed:
        errors = [e for f in failed for e in f.errors]
        shown = "\n".join(errors[:20]) + (
            f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        )
        raise WallieError(
            f"{len(failed)} file(s) not imported (nothing stored from them):\n{shown}"
        )


def _finish(files: list[ParsedFile], owner: str | None, dry_run: bool, json_: bool) -> None:
    summary = asyncio.run(_run(owner or get_settings().owner, files, dry_run))
    _print(summary, json_)


def _check(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise InvalidArgument(f"{path}: no such file or folder")


def import_whatsapp(
    paths: list[Path] = typer.Argument(
        ..., help="Chat exports: the .txt or the .zip WhatsApp writes."
    ),
    me: list[str] = typer.Option(
        [], "--me", help="Your name as the chats show it (repeatable). [default: detected]"
    ),
    client: str | None = typer.Option(
        None, "--client", help="Client name for the chats (a group chat's client)."
    ),
    date_order: str | None = typer.Option(
        None, "--date-order", help="dmy, mdy or ymd when the dates cannot tell."
    ),
    tz: str | None = typer.Option(
        None, "--tz", help="Time zone the export was written in. [default: this machine's]"
    ),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=_SKIP_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=_DRY_HELP),
    owner: str | None = typer.Option(None, "--owner", help=_OWNER_HELP),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import WhatsApp chat exports; re-importing (or a newer export) adds only new messages."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from tools.importers.whatsapp import DATE_ORDERS, parse_chats

    _check(paths)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InvalidArgument(f"--date-order must be one of {', '.join(DATE_ORDERS)}")
    try:
        zone = ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"--tz {tz!r} is not a time zone (e.g. Europe/Madrid)") from None
    region = get_settings().default_region
    files = parse_chats(
        paths,
        me=me,
        client=client,
        date_order=date_order,
        tz=zone,
        region=region,
        skip_invalid=skip_invalid,
    )
    _finish(files, owner, dry_run, json_)


def import_email(
    paths: list[Path] = typer.Argument(..., help="mbox files, .eml files, Maildir folders."),
    me: list[str] = typer.Option(
        [], "--me", help="Your email address (repeatable). [default: WALLIE_OWNER]"
    ),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=_SKIP_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=_DRY_HELP),
    owner: str | None = typer.Option(None, "--owner", help=_OWNER_HELP),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Import email archives as conversations; re-importing adds only new messages."""
    from tools.importers.email import parse_archives

    _check(paths)
    owner = owner or get_settings().owner
    files = parse_archives(paths, me=me or [owner], skip_invalid=skip_invalid)
    _finish(files, owner, dry_run, json_)


def register(app: typer.Typer) -> None:
    """Mount the commands on the `wallie import` group."""
    app.command("whatsapp")(import_whatsapp)
    app.command("email")(import_email)
