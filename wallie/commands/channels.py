"""`wallie channels`: link a WhatsApp Business phone number to an owner."""

from __future__ import annotations

import asyncio
import enum

import typer

from tools.channels import (
    APP_SECRET_ENV,
    VERIFY_TOKEN_ENV,
    ChannelInfo,
    add_channel,
    list_channels,
    remove_channel,
    secret,
    secret_source,
)
from tools.context import open_database
from tools.settings import get_settings
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Link provider numbers (WhatsApp Business phone number ids) to owners.",
    no_args_is_help=True,
)


class Kind(enum.StrEnum):
    """Providers Wallie receives webhooks from."""

    whatsapp = "whatsapp"


@app.command()
def add(
    kind: Kind = typer.Argument(..., help="The provider: whatsapp."),
    phone_number_id: str = typer.Option(
        ..., "--phone-number-id", help="The number's id (Meta: WhatsApp > API Setup)."
    ),
    owner: str = typer.Option(..., "--owner", help="The salesperson email its messages go to."),
    name: str = typer.Option("", "--name", help="A label for the number."),
) -> None:
    """Send a number's webhook messages to an owner; secrets stay in the environment."""

    async def run() -> bool:
        db = await open_database(get_settings())
        try:
            return await add_channel(db, kind.value, phone_number_id, owner, name)
        finally:
            await db.dispose()

    created = asyncio.run(run())
    verb = "linked" if created else "re-linked"
    err.print(
        f"{verb} whatsapp {phone_number_id.strip()} -> {owner.strip().lower()}", highlight=False
    )
    # Say where the secrets come from, never what they are.
    for env in (APP_SECRET_ENV, VERIFY_TOKEN_ENV):
        source = secret_source(env)
        if source != "not set":
            secret(env)  # a file that cannot be read fails here, with its path
        err.print(f"  {env}: {source}", highlight=False)
    if secret_source(APP_SECRET_ENV) == "not set":
        err.print(
            f"  the server refuses deliveries until {APP_SECRET_ENV} (or {APP_SECRET_ENV}_FILE) "
            "is set to the Meta app secret",
            highlight=False,
        )


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List linked numbers and their owners (never secrets)."""

    async def run() -> list[ChannelInfo]:
        db = await open_database(get_settings())
        try:
            return await list_channels(db)
        finally:
            await db.dispose()

    rows = asyncio.run(run())
    if json_:
        print_json(
            [
                {"kind": c.kind, "phone_number_id": c.address, "owner": c.owner, "name": c.name}
                for c in rows
            ]
        )
        return
    if not rows:
        err.print(
            "no channels yet: `wallie channels add whatsapp --phone-number-id ID --owner EMAIL`"
        )
    for c in rows:
        out.print(f"{c.kind}  {c.address}  {c.owner}  {c.name or '-'}", highlight=False)


@app.command()
def remove(
    kind: Kind = typer.Argument(..., help="The provider: whatsapp."),
    phone_number_id: str = typer.Option(..., "--phone-number-id", help="The number's id."),
) -> None:
    """Stop accepting a number's webhook messages."""

    async def run() -> bool:
        db = await open_database(get_settings())
        try:
            return await remove_channel(db, kind.value, phone_number_id)
        finally:
            await db.dispose()

    if not asyncio.run(run()):
        err.print(
            f"[bold red]error:[/] whatsapp {phone_number_id.strip()} is not linked", highlight=False
        )
        raise typer.Exit(code=2)
    err.print(f"removed whatsapp {phone_number_id.strip()}", highlight=False)
