"""`wallie embed`: vectors for semantic search, and the short catch-up after an import."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.db import Database
from tools.errors import ConfigError
from tools.settings import Settings, get_settings
from wallie._console import err, print_json

AFTER_IMPORT_SECONDS = 5.0  # an import embeds its newest messages this long at most


async def after_import(db: Database, owner_id: int, settings: Settings) -> None:
    """Embed the newest messages for a few seconds; say how many are left and how to finish."""
    from tools.search import embed_pending, from_settings, pending

    embedder = from_settings(settings)
    if embedder is None:
        return
    started = time.perf_counter()
    done = await embed_pending(db, owner_id, embedder, seconds=AFTER_IMPORT_SECONDS)
    left = await pending(db, owner_id, embedder.model)
    line = f"embedded {done} messages for semantic search in {time.perf_counter() - started:.1f} s"
    if left:
        line += f"; {left} left: `wallie embed` (searches also embed a few each)"
    err.print(line, highlight=False)


async def _embed(owner: str, limit: int | None, seconds: float | None) -> dict[str, object]:
    from tools.context import open_database
    from tools.owners import owner_id as find_owner
    from tools.search import embed_pending, from_settings, pending, status

    settings = get_settings()
    embedder = from_settings(settings)
    if embedder is None:
        raise ConfigError(f"nothing to embed: {status(settings)}")
    db = await open_database(settings)
    try:
        owner_id = await find_owner(db, owner)
        before = await pending(db, owner_id, embedder.model)
        total = before if limit is None else min(limit, before)
        columns = [TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        show = err.is_terminal and total > 1_000
        started = time.perf_counter()
        with Progress(*columns, console=err, transient=True, disable=not show) as progress:
            task = progress.add_task("embedding", total=total)
            done = await embed_pending(
                db,
                owner_id,
                embedder,
                limit=limit,
                seconds=seconds,
                progress=lambda n: progress.advance(task, n),
            )
        took = time.perf_counter() - started
        return {
            "owner": owner,
            "model": embedder.model,
            "embedded": done,
            "left": await pending(db, owner_id, embedder.model),
            "seconds": round(took, 2),
        }
    finally:
        await db.dispose()


def embed(
    owner: str | None = typer.Option(
        None, "--owner", help="Owner (salesperson email). [default: WALLIE_OWNER]"
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Embed at most N messages."),
    seconds: float | None = typer.Option(
        None, "--seconds", min=0.1, help="Stop after about this many seconds."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Embed the messages that have no vector yet (newest first; resumable)."""
    summary = asyncio.run(_embed(owner or get_settings().owner, limit, seconds))
    if json_:
        print_json(summary)
        return
    err.print(
        f"embedded {summary['embedded']} messages with {summary['model']} in "
        f"{summary['seconds']} s; {summary['left']} left",
        highlight=False,
    )
