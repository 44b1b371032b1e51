"""Owner data versions (the cache's freshness token) and message attachments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "owner",
        sa.Column("data_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("message", sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch table copy would lose the FTS triggers.
    op.drop_column("message", "attachments")
    op.drop_column("owner", "data_version")
