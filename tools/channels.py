"""Channels: a provider address (a WhatsApp business phone number id) linked to one owner.

The WhatsApp app secret and verify token are never stored in the database: they come from
the environment (`WALLIE_WHATSAPP_APP_SECRET`, `WALLIE_WHATSAPP_VERIFY_TOKEN`) or from a
file named by `..._FILE` (Docker/Kubernetes secrets), and are never printed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from tools.db import Database
from tools.errors import ConfigError, InvalidArgument
from tools.models import ChannelLink, owner_table, utcnow
from tools.owners import ensure_owner

KINDS = ("whatsapp",)
_PHONE_NUMBER_ID = re.compile(r"^[0-9]{5,32}$")
APP_SECRET_ENV = "WALLIE_WHATSAPP_APP_SECRET"
VERIFY_TOKEN_ENV = "WALLIE_WHATSAPP_VERIFY_TOKEN"
_CHANNEL: sa.Table = SQLModel.metadata.tables[ChannelLink.__tablename__]


@dataclass(frozen=True)
class ChannelInfo:
    """A channel as listed: no secrets."""

    kind: str
    address: str
    owner: str
    name: str


def secret(name: str) -> str | None:
    """A secret from the environment variable `name`, or from the file `name`_FILE names."""
    value = os.environ.get(name)
    if value:
        return value.strip()
    path = os.environ.get(f"{name}_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None


def secret_source(name: str) -> str:
    """Where a secret comes from, for display ("environment", "file PATH", "not set")."""
    if os.environ.get(name):
        return f"set from ${name}"
    if os.environ.get(f"{name}_FILE"):
        return f"read from ${name}_FILE"
    return "not set"


def _check(kind: str, address: str) -> tuple[str, str]:
    if kind not in KINDS:
        raise InvalidArgument(f"channel kind must be one of {list(KINDS)}, got {kind!r}")
    address = address.strip()
    if not _PHONE_NUMBER_ID.match(address):
        raise InvalidArgument(
            "--phone-number-id must be the numeric id Meta shows under WhatsApp > API Setup "
            f"(5-32 digits), got {address[:40]!r}"
        )
    return kind, address


def _this(kind: str, address: str) -> sa.ColumnElement[bool]:
    return sa.and_(_CHANNEL.c.kind == kind, _CHANNEL.c.address == address)


async def add_channel(db: Database, kind: str, address: str, owner: str, name: str = "") -> bool:
    """Link `address` to `owner` (moving it from another owner); True when it was new."""
    kind, address = _check(kind, address)
    owner_id = await ensure_owner(db, owner)
    async with db.engine.begin() as conn:
        moved = await conn.execute(
            sa.update(_CHANNEL)
            .where(_this(kind, address))
            .values(owner_id=owner_id, **({"name": name} if name else {}))
        )
        if moved.rowcount:
            return False
        await conn.execute(
            sa.insert(_CHANNEL).values(
                owner_id=owner_id, kind=kind, address=address, name=name, created_at=utcnow()
            )
        )
    return True


async def remove_channel(db: Database, kind: str, address: str) -> bool:
    """Unlink `address`; True when it was linked."""
    kind, address = _check(kind, address)
    async with db.engine.begin() as conn:
        result = await conn.execute(sa.delete(_CHANNEL).where(_this(kind, address)))
    return bool(result.rowcount)


async def channel_owner(db: Database, kind: str, address: str) -> int | None:
    """The owner id `address` is linked to, or None."""
    async with db.connect() as conn:
        found = await conn.scalar(sa.select(_CHANNEL.c.owner_id).where(_this(kind, address)))
    return int(found) if found is not None else None


async def list_channels(db: Database) -> list[ChannelInfo]:
    """Every channel with its owner's email."""
    async with db.connect() as conn:
        rows = await conn.execute(
            sa.select(_CHANNEL.c.kind, _CHANNEL.c.address, owner_table.c.email, _CHANNEL.c.name)
            .join(owner_table, owner_table.c.id == _CHANNEL.c.owner_id)
            .order_by(_CHANNEL.c.kind, _CHANNEL.c.address)
        )
        return [ChannelInfo(k, a, o, n) for k, a, o, n in rows.all()]
