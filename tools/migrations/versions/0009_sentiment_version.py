"""Messages remember which sentiment model scored them, so a new model rescores only old scores.

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add message.sentiment_version (NULL: scored before versions existed, or not at all)."""
    # Plain ALTER TABLE on both databases: a batch rebuild would drop SQLite's FTS triggers.
    op.add_column("message", sa.Column("sentiment_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Drop message.sentiment_version."""
    op.drop_column("message", "sentiment_version")
