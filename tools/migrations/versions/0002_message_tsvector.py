"""PostgreSQL: a stored tsvector for messages, so ranking reads it instead of re-parsing text.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's FTS5 table already stores its index and ranks with bm25
    op.execute(
        """ALTER TABLE message ADD COLUMN search_tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, wallie_fold(text))) STORED"""
    )
    op.execute("CREATE INDEX ix_message_tsv ON message USING gin (search_tsv)")
    op.execute("DROP INDEX IF EXISTS ix_message_fts")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """CREATE INDEX ix_message_fts ON message
        USING gin (to_tsvector('simple'::regconfig, wallie_fold(text)))"""
    )
    op.execute("DROP INDEX IF EXISTS ix_message_tsv")
    op.execute("ALTER TABLE message DROP COLUMN search_tsv")
