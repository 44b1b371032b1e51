"""The core tables behind the SQLModel classes, for typed SQL expressions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from tools.models import Client, Conversation, Message


def _table(model: type[SQLModel]) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]  # set by SQLModel
    return table


CLIENTS, CONVERSATIONS, MESSAGES = _table(Client), _table(Conversation), _table(Message)
