"""SQLite: a trigram index over phone digits, so partial phones are found without a scan.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# PostgreSQL already has a pg_trgm GIN index on client.phone_digits (0001).
_SQLITE = [
    """CREATE VIRTUAL TABLE client_phone_fts USING fts5(
        phone_digits, content='client', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER client_phone_fts_ai AFTER INSERT ON client BEGIN
        INSERT INTO client_phone_fts(rowid, phone_digits) VALUES (new.id, new.phone_digits); END""",
    """CREATE TRIGGER client_phone_fts_ad AFTER DELETE ON client BEGIN
        INSERT INTO client_phone_fts(client_phone_fts, rowid, phone_digits)
        VALUES ('delete', old.id, old.phone_digits); END""",
    """CREATE TRIGGER client_phone_fts_au AFTER UPDATE OF phone_digits ON client BEGIN
        INSERT INTO client_phone_fts(client_phone_fts, rowid, phone_digits)
        VALUES ('delete', old.id, old.phone_digits);
        INSERT INTO client_phone_fts(rowid, phone_digits) VALUES (new.id, new.phone_digits); END""",
    "INSERT INTO client_phone_fts(client_phone_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS client_phone_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS client_phone_fts")
