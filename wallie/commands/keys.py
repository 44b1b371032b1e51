"""`wallie keys`: API keys for the HTTP transport."""

from __future__ import annotations

import asyncio

import typer

from tools.apikeys import KeyInfo, create_key, list_keys, revoke_key
from tools.context import open_database
from tools.settings import get_settings
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Create, list and revoke API keys for `wallie serve --transport http`.",
    no_args_is_help=True,
)


@app.command()
def create(
    owner: str = typer.Option(
        ..., "--owner", help="The owner (salesperson email) the key acts as."
    ),
    name: str = typer.Option("", "--name", help="A label to recognise the key by."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a key; it is printed once and stored only as a hash."""

    async def run() -> tuple[str, KeyInfo]:
        db = await open_database(get_settings())
        try:
            return await create_key(db, owner, name)
        finally:
            await db.dispose()

    key, info = asyncio.run(run())
    if json_:
        print_json({"key": key, "prefix": info.prefix, "owner": info.owner, "name": info.name})
        return
    out.print(key)
    err.print("Store it now: it is not shown again. Send it as `Authorization: Bearer <key>`.")


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List keys (prefix, owner, name, dates); never the keys themselves."""

    async def run() -> list[KeyInfo]:
        db = await open_database(get_settings())
        try:
            return list(await list_keys(db))
        finally:
            await db.dispose()

    keys = asyncio.run(run())
    rows = [
        {
            "prefix": k.prefix,
            "owner": k.owner,
            "name": k.name,
            "created_at": k.created_at,
            "last_used_at": k.last_used_at,
            "revoked": k.revoked_at is not None,
        }
        for k in keys
    ]
    if json_:
        print_json(rows)
        return
    if not rows:
        err.print("no API keys yet: `wallie keys create --owner EMAIL`")
    for r in rows:
        state = "revoked" if r["revoked"] else "active"
        out.print(f"{r['prefix']}…  {r['owner']}  {r['name'] or '-'}  {state}", highlight=False)


@app.command()
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as `keys list` shows it."),
) -> None:
    """Revoke a key (within 30 s on running servers)."""

    async def run() -> None:
        db = await open_database(get_settings())
        try:
            await revoke_key(db, prefix)
        finally:
            await db.dispose()

    asyncio.run(run())
    err.print(f"revoked {prefix}")
