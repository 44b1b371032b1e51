"""Delivery statuses of outbound messages (sent, delivered, read, failed), moving forward only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools.events import MessageStatus
from tools.models import message_table

# A late "delivered" never overwrites "read"; "failed" is final.
STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "failed": 4}


@dataclass(slots=True)
class StatusIn:
    """A delivery status for an outbound message, found by its provider id (`external_id`)."""

    external_id: str
    status: str


async def apply_statuses(
    conn: AsyncConnection, owner_id: int, statuses: Sequence[StatusIn]
) -> list[MessageStatus]:
    """Move the owner's outbound messages forward; one event per message that changed."""
    m = message_table
    rank = sa.case(*((m.c.status == name, value) for name, value in STATUS_RANK.items()), else_=0)
    changed: list[MessageStatus] = []
    for s in statuses:
        result = await conn.execute(
            sa.update(m)
            .where(
                m.c.owner_id == owner_id,
                m.c.external_id == s.external_id,
                m.c.direction == "outbound",
                rank < STATUS_RANK[s.status],
            )
            .values(status=s.status)
            .returning(m.c.id, m.c.conversation_id, m.c.client_id)
        )
        changed += [
            MessageStatus(
                owner_id=owner_id,
                message_id=message_id,
                conversation_id=conversation_id,
                client_id=client_id,
                external_id=s.external_id,
                status=s.status,
            )
            for message_id, conversation_id, client_id in result.all()
        ]
    return changed
