"""Initial schema: owners, clients, conversations, messages and their full-text indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tools.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite: FTS5 external-content tables kept in sync by triggers. `remove_diacritics 2`
# makes "jose" match "José"; the prefix indexes make "gar*" cheap.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE message_fts USING fts5(
        text, content='message', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='3')""",
    """CREATE TRIGGER message_fts_ai AFTER INSERT ON message BEGIN
        INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER message_fts_ad AFTER DELETE ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""",
    """CREATE TRIGGER message_fts_au AFTER UPDATE OF text ON message BEGIN
        INSERT INTO message_fts(message_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO message_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE VIRTUAL TABLE client_fts USING fts5(
        search_text, content='client', content_rowid='id',
        tokenize="unicode61 remove_diacritics 2", prefix='1 2 3')""",
    """CREATE TRIGGER client_fts_ai AFTER INSERT ON client BEGIN
        INSERT INTO client_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE TRIGGER client_fts_ad AFTER DELETE ON client BEGIN
        INSERT INTO client_fts(client_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text); END""",
    """CREATE TRIGGER client_fts_au AFTER UPDATE OF search_text ON client BEGIN
        INSERT INTO client_fts(client_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO client_fts(rowid, search_text) VALUES (new.id, new.search_text); END""",
]

# PostgreSQL: an IMMUTABLE accent-folding wrapper (unaccent itself is only STABLE) so it
# can sit in expression indexes; GIN over tsvectors for words, trigrams for substrings.
_PG_FTS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE OR REPLACE FUNCTION wallie_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$""",
    """CREATE INDEX ix_message_fts ON message
        USING gin (to_tsvector('simple'::regconfig, wallie_fold(text)))""",
    """CREATE INDEX ix_client_fts ON client
        USING gin (to_tsvector('simple'::regconfig, search_text))""",
    "CREATE INDEX ix_client_search_trgm ON client USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX ix_client_phone_trgm ON client USING gin (phone_digits gin_trgm_ops)",
]


def upgrade() -> None:
    op.create_table(
        "owner",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("owner.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("external_id", sa.String(200)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(64)),
        sa.Column("phone_digits", sa.String(32)),
        sa.Column("company", sa.String(200)),
        sa.Column("industry", sa.String(100)),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("search_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("search_text", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_contact_at", UTCDateTime()),
        sa.UniqueConstraint("owner_id", "external_id", name="uq_client_owner_external"),
    )
    op.create_index("ix_client_owner_last_contact", "client", ["owner_id", "last_contact_at"])
    op.create_index("ix_client_owner_phone", "client", ["owner_id", "phone_digits"])
    op.create_index("ix_client_owner_email", "client", ["owner_id", "email"])
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("owner.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "client_id", sa.Integer, sa.ForeignKey("client.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("external_id", sa.String(200)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("success_score", sa.Float),
        sa.Column("first_message_at", UTCDateTime()),
        sa.Column("last_message_at", UTCDateTime()),
        sa.UniqueConstraint("owner_id", "external_id", name="uq_conversation_owner_external"),
    )
    op.create_index("ix_conversation_client_last", "conversation", ["client_id", "last_message_at"])
    op.create_index("ix_conversation_owner_last", "conversation", ["owner_id", "last_message_at"])
    op.create_table(
        "message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "owner_id", sa.Integer, sa.ForeignKey("owner.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "client_id", sa.Integer, sa.ForeignKey("client.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("sentiment_label", sa.String(8)),
        sa.Column("sentiment_score", sa.Float),
        sa.UniqueConstraint("conversation_id", "external_id", name="uq_message_conv_external"),
    )
    op.create_index("ix_message_conv_sent", "message", ["conversation_id", "sent_at", "id"])
    op.create_index("ix_message_client_sent", "message", ["client_id", "sent_at", "id"])
    op.create_index("ix_message_owner_sent", "message", ["owner_id", "sent_at"])

    statements = _SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else _PG_FTS
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS message_fts")
        op.execute("DROP TABLE IF EXISTS client_fts")
    op.drop_table("message")
    op.drop_table("conversation")
    op.drop_table("client")
    op.drop_table("owner")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS wallie_fold(text)")
