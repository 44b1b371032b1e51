"""Owner data versions (the cache's freshness token), message attachments, phones via phonenumbers.

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
    # Stored phones were normalised as Spanish numbers; phonenumbers and
    # WALLIE_DEFAULT_REGION now decide, so their matching form is computed again.
    from tools.writes import renormalise_phones

    renormalise_phones(op.get_bind())


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch table copy would lose the FTS triggers.
    op.drop_column("message", "attachments")
    op.drop_column("owner", "data_version")
