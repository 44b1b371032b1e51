"""Message search reads an owner's matches newest first: a (owner_id, id) b-tree (PostgreSQL).

The bounded search windows scan an owner's messages from the newest stored one down and test
each against the query, then fall back to the GIN index and-ed with a range of this index.
In id order the rows sit together on the heap (they are stored in that order), so the scan
reads few pages; (owner_id, sent_at) order jumps across the whole table. SQLite reads its
full-text doclists in rowid order already and needs nothing.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_index("ix_message_owner_id", "message", ["owner_id", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_index("ix_message_owner_id", table_name="message")
