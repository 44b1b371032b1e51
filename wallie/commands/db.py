"""`wallie db`: migrations and where the data lives."""

from __future__ import annotations

import asyncio

import typer

from tools.db import Database, head_revision
from tools.settings import get_settings
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Create and upgrade the database; show where the data is.", no_args_is_help=True
)


@app.command()
def upgrade(
    revision: str = typer.Option("head", help="Alembic revision to upgrade to."),
) -> None:
    """Create or upgrade the database schema (SQLite or PostgreSQL)."""

    async def run() -> tuple[str, str | None, str | None]:
        db = Database.from_settings(get_settings())
        try:
            before = await db.current_revision()
            await db.upgrade(revision)
            return db.display_url, before, await db.current_revision()
        finally:
            await db.dispose()

    url, before, after = asyncio.run(run())
    if before == after:
        err.print(f"{url} is already at revision {after}")
    else:
        err.print(f"upgraded {url}: {before or 'empty'} -> {after}")


@app.command()
def status(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Say where the data is, which revision it is at and how much it holds."""
    from tools.search import status as search_status
    from tools.stats import database_counts

    async def run() -> dict[str, object]:
        settings = get_settings()
        db = Database.from_settings(settings)
        try:
            current = await db.current_revision()
            counts = await database_counts(db) if current else {}
            return {
                "database": db.display_url,
                "dialect": db.dialect,
                "embedded": settings.is_embedded,
                "revision": current,
                "head": head_revision(),
                "up_to_date": current == head_revision(),
                **counts,
                "semantic": search_status(settings),
            }
        finally:
            await db.dispose()

    info = asyncio.run(run())
    if json_:
        print_json(info)
        return
    for key, value in info.items():
        out.print(f"[bold]{key:>14}[/]  {value}", highlight=False)
