"""API keys: created once, shown once, stored as a hash, each mapped to one owner."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col

from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.models import ApiKey, Owner, utcnow
from tools.owners import ensure_owner

KEY_PREFIX = "wal_"
_PREFIX_LEN = 12  # "wal_" + 8 characters: enough to find the row, useless to guess the key


@dataclass(frozen=True)
class KeyInfo:
    """An API key as listed (never the key itself)."""

    prefix: str
    owner: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(db: Database, owner_email: str, name: str = "") -> tuple[str, KeyInfo]:
    """A new key for `owner_email`; the plain key is returned here and never again."""
    owner_id = await ensure_owner(db, owner_email)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(owner_id=owner_id, name=name, prefix=key[:_PREFIX_LEN], key_hash=_hash(key))
    async with db.session() as session:
        session.add(row)
        await session.commit()
    info = KeyInfo(row.prefix, owner_email.strip().lower(), name, row.created_at, None, None)
    return key, info


async def verify_key(db: Database, key: str) -> str | None:
    """The owner email a valid, unrevoked key belongs to, else None."""
    if not key.startswith(KEY_PREFIX) or len(key) < _PREFIX_LEN + 8:
        return None
    async with db.session() as session:
        found = (
            await session.execute(
                sa.select(ApiKey, col(Owner.email))
                .join(Owner, col(Owner.id) == col(ApiKey.owner_id))
                .where(col(ApiKey.prefix) == key[:_PREFIX_LEN])
            )
        ).first()
        if found is None:
            return None
        row, email = found
        if row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
            return None
        row.last_used_at = utcnow()
        await session.commit()
        return email


async def list_keys(db: Database) -> list[KeyInfo]:
    """Every key, newest first."""
    async with db.session() as session:
        rows = await session.execute(
            sa.select(ApiKey, col(Owner.email))
            .join(Owner, col(Owner.id) == col(ApiKey.owner_id))
            .order_by(col(ApiKey.id).desc())
        )
        return [
            KeyInfo(k.prefix, email, k.name, k.created_at, k.last_used_at, k.revoked_at)
            for k, email in rows.all()
        ]


async def revoke_key(db: Database, prefix: str) -> None:
    """Revoke the key whose listed prefix is `prefix`."""
    if not prefix.startswith(KEY_PREFIX):
        raise InvalidArgument(f"a key prefix starts with {KEY_PREFIX!r}, got {prefix!r}")
    async with db.session() as session:
        row = await session.scalar(
            sa.select(ApiKey).where(col(ApiKey.prefix) == prefix[:_PREFIX_LEN])
        )
        if row is None:
            raise NotFound(f"no API key with prefix {prefix!r}; `wallie keys list` shows them")
        row.revoked_at = row.revoked_at or utcnow()
        await session.commit()
