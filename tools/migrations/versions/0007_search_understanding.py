"""Search that understands words: stemmed message index, fuzzy client names, embeddings.

SQLite: a vocabulary view over the message index (stems are resolved against it at query
time, so nothing is re-indexed) and a trigram index over client names. PostgreSQL: a stored
Spanish+English stemmed tsvector (the generated column backfills itself) and a trigram index
over client names. Both: a table of message embeddings for semantic retrieval.

Revision ID: 0007
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tools.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SQLITE = [
    "CREATE VIRTUAL TABLE message_vocab USING fts5vocab(message_fts, 'row')",
    """CREATE VIRTUAL TABLE client_name_trgm USING fts5(
        search_name, content='client', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER client_name_trgm_ai AFTER INSERT ON client BEGIN
        INSERT INTO client_name_trgm(rowid, search_name) VALUES (new.id, new.search_name); END""",
    """CREATE TRIGGER client_name_trgm_ad AFTER DELETE ON client BEGIN
        INSERT INTO client_name_trgm(client_name_trgm, rowid, search_name)
        VALUES ('delete', old.id, old.search_name); END""",
    """CREATE TRIGGER client_name_trgm_au AFTER UPDATE OF search_name ON client BEGIN
        INSERT INTO client_name_trgm(client_name_trgm, rowid, search_name)
        VALUES ('delete', old.id, old.search_name);
        INSERT INTO client_name_trgm(rowid, search_name) VALUES (new.id, new.search_name); END""",
    "INSERT INTO client_name_trgm(client_name_trgm) VALUES ('rebuild')",
]
_POSTGRES = [
    """ALTER TABLE message ADD COLUMN search_stem tsvector GENERATED ALWAYS AS (
        to_tsvector('spanish'::regconfig, wallie_fold(text))
        || to_tsvector('english'::regconfig, wallie_fold(text))) STORED""",
    "CREATE INDEX ix_message_stem ON message USING gin (search_stem)",
    "CREATE INDEX ix_client_name_trgm ON client USING gin (search_name gin_trgm_ops)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE if dialect == "sqlite" else _POSTGRES:
        op.execute(statement)
    op.create_table(
        "message_embedding",
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("message.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("owner.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_message_embedding_owner", "message_embedding", ["owner_id", "model"])


def downgrade() -> None:
    op.drop_index("ix_message_embedding_owner", "message_embedding")
    op.drop_table("message_embedding")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS client_name_trgm_{trigger}")
        op.execute("DROP TABLE IF EXISTS client_name_trgm")
        op.execute("DROP TABLE IF EXISTS message_vocab")
    else:
        op.execute("DROP INDEX IF EXISTS ix_client_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_message_stem")
        op.execute("ALTER TABLE message DROP COLUMN search_stem")
