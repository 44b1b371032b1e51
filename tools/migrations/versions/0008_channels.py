"""Live messages: channels (a WhatsApp business number -> owner) and message delivery status.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "owner_id", sa.Integer(), sa.ForeignKey("owner.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "address", name="uq_channel_kind_address"),
    )
    # A plain ADD COLUMN: a batch copy would drop SQLite's full-text triggers on message.
    op.add_column("message", sa.Column("status", sa.String(16), nullable=True))
    # Status updates find an outbound message by its provider id within the owner.
    op.create_index("ix_message_owner_external", "message", ["owner_id", "external_id"])


def downgrade() -> None:
    op.drop_index("ix_message_owner_external", table_name="message")
    op.execute("ALTER TABLE message DROP COLUMN status")
    op.drop_table("channel")
