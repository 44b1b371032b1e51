"""Owners (tenants): every query is scoped to one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col

from tools.db import Database
from tools.errors import InvalidArgument, NotFound
from tools.models import Owner, utcnow


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if not email or "@" not in email or len(email) > 320:
        raise InvalidArgument(f"owner must be an email address, got {email!r}")
    return email


async def ensure_owner(db: Database, email: str, name: str = "") -> int:
    """The id of the owner with `email`, created when missing."""
    email = _check_email(email)
    async with db.session() as session:
        found = await session.scalar(sa.select(col(Owner.id)).where(col(Owner.email) == email))
        if found is not None:
            return found
        owner = Owner(email=email, name=name or email.split("@")[0], created_at=utcnow())
        session.add(owner)
        try:
            await session.commit()
        except sa.exc.IntegrityError:
            # Another process created it first: use theirs.
            await session.rollback()
            found = await session.scalar(sa.select(col(Owner.id)).where(col(Owner.email) == email))
            assert found is not None
            return found
        assert owner.id is not None
        return owner.id


async def owner_id(db: Database, email: str) -> int:
    """The id of an existing owner, or NotFound."""
    email = _check_email(email)
    async with db.session() as session:
        found = await session.scalar(sa.select(col(Owner.id)).where(col(Owner.email) == email))
    if found is None:
        raise NotFound(f"no owner {email!r}; import or seed data for it first")
    return found


async def list_owners(db: Database) -> list[Owner]:
    """Every owner, oldest first."""
    async with db.session() as session:
        return list((await session.scalars(sa.select(Owner).order_by(col(Owner.id)))).all())
