"""Migrations, models, owner scoping and the database URL rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from tools.context import open_database
from tools.db import Database, head_revision, to_async_url
from tools.errors import ConfigError
from tools.ingest import ClientIn, ConversationIn, MessageIn, ingest
from tools.models import Client, Message, Owner
from tools.owners import ensure_owner
from tools.settings import Settings
from tools.text import fold, normalise_phone, phone_digits, query_digits

pytestmark = pytest.mark.anyio


async def test_migrations_build_the_schema_and_its_search_structures(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        assert await db.current_revision() is None
        await db.upgrade()
        assert await db.current_revision() == head_revision()
        async with db.connect() as conn:
            if db.dialect == "sqlite":
                names = set(
                    (await conn.execute(sa.text("SELECT name FROM sqlite_master"))).scalars()
                )
                assert {"message_fts", "client_fts", "message_fts_ai"} <= names
            else:
                indexes = set(
                    (await conn.execute(sa.text("SELECT indexname FROM pg_indexes"))).scalars()
                )
                assert {"ix_message_tsv", "ix_client_fts", "ix_client_phone_trgm"} <= indexes
                fold_sql = await conn.scalar(sa.text("SELECT wallie_fold('José NÚÑEZ')"))
                assert fold_sql == "jose nunez"
        await db.downgrade("base")
        assert await db.current_revision() is None
        await db.upgrade()
        assert await db.current_revision() == head_revision()
    finally:
        await db.dispose()


async def test_the_embedded_default_is_created_on_first_use(tmp_path: Path) -> None:
    settings = Settings(WALLIE_HOME=str(tmp_path / "home"), DATABASE_URL=None)
    db = await open_database(settings)
    try:
        assert db.dialect == "sqlite"
        assert (tmp_path / "home" / "wallie.db").exists()
        assert await db.current_revision() == head_revision()
    finally:
        await db.dispose()


async def test_a_named_database_must_be_upgraded_explicitly(database_url: str) -> None:
    with pytest.raises(ConfigError, match="wallie db upgrade"):
        await open_database(Settings(DATABASE_URL=database_url))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
        ("postgres://u:pw@h/db", "postgresql+asyncpg://u:pw@h/db"),
        ("sqlite:///data/w.db", "sqlite+aiosqlite:///data/w.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_as_people_write_them(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


@pytest.mark.parametrize("url", ["mysql://root@localhost/x", "not a url", ""])
def test_unsupported_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        to_async_url(url)


def _message(client: str, text: str, at: datetime, ext: str = "m1") -> MessageIn:
    return MessageIn(
        client=ClientIn(key=client, name=client, tags=["vip", "b2b"]),
        conversation=ConversationIn(key=f"{client}-wa", channel="whatsapp"),
        external_id=ext,
        direction="inbound",
        sender=client,
        sent_at=at,
        text=text,
    )


async def test_models_round_trip_with_utc_times_tags_and_unicode(db: Database) -> None:
    owner = await ensure_owner(db, "laura@example.es")
    madrid = timezone(timedelta(hours=1))
    sent = datetime(2026, 11, 20, 10, 15, tzinfo=madrid)
    text = "Hola José 👋 ¿qué tal? 中文"
    await ingest(db, owner, [_message("Núñez", text, sent)])
    async with db.session() as session:
        message = (await session.scalars(sa.select(Message))).one()
        client = (await session.scalars(sa.select(Client))).one()
    assert message.sent_at == sent and message.sent_at.tzinfo is UTC
    assert message.sent_at.hour == 9
    assert message.text == text
    assert client.tags == ["vip", "b2b"]
    assert client.last_contact_at == sent


async def test_naive_datetimes_are_refused(db: Database) -> None:
    # By the ingest record, before anything is written...
    with pytest.raises(ValidationError, match="timezone"):
        _message("A", "x", datetime(2026, 11, 20, 10))
    # ...and by the column type, for any other write.
    owner = await ensure_owner(db, "laura@example.es")
    async with db.session() as session:
        session.add(Client(owner_id=owner, name="A", created_at=datetime(2026, 11, 20, 10)))
        with pytest.raises(Exception, match="naive datetime"):
            await session.commit()


async def test_owners_never_see_each_others_rows(db: Database) -> None:
    a = await ensure_owner(db, "a@example.es")
    b = await ensure_owner(db, "b@example.es")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    first = await ingest(db, a, [_message("Cliente", "de A", at)])
    # The same external ids under another owner are another owner's rows, not duplicates.
    second = await ingest(db, b, [_message("Cliente", "de B", at)])
    assert first.messages_added == second.messages_added == 1
    async with db.connect() as conn:
        rows = (
            await conn.execute(sa.select(Message.owner_id, Message.text).order_by(Message.owner_id))
        ).all()
    assert [tuple(r) for r in rows] == [(a, "de A"), (b, "de B")]


def test_text_folding_and_phones() -> None:
    assert fold("José NÚÑEZ Güell") == "jose nunez guell"
    for raw in ("+34 600-12-34-56", "600123456", "0034 600 123 456", "(+34) 600.12.34.56"):
        assert phone_digits(raw) == "34600123456", raw
    assert phone_digits("+44 7700 900123") == "447700900123"
    assert phone_digits("sin teléfono") is None
    assert query_digits("600 12 34") == "6001234"
    assert query_digits("Ana 600123456") is None
    assert query_digits("123") is None


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("600 12 34 56", "ES", "+34600123456"),
        ("07700 900123", "GB", "+447700900123"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("55 1234 5678", "MX", "+525512345678"),
        ("0044 7700 900123", "ES", "+447700900123"),  # international: the region is moot
        ("+1 415-555-2671", "GB", "+14155552671"),
        ("07700 900123", "ES", None),  # not a Spanish number
        ("12345", "ES", None),
        ("llámame", "ES", None),
    ],
)
def test_phones_are_normalised_by_region(raw: str, region: str, e164: str | None) -> None:
    assert normalise_phone(raw, region) == e164


_WORLD = {
    "uk": ("Harriet Jones", "07700 900123", "GB"),
    "us": ("Bob Miller", "(415) 555-2671", "US"),
    "mx": ("Lupita Ramírez", "55 1234 5678", "MX"),
    "es": ("Ana García", "600 12 34 56", "ES"),
}


async def test_clients_of_any_region_are_stored_in_e164_and_found_by_any_format(
    db: Database,
) -> None:
    from tools import queries

    owner = await ensure_owner(db, "laura@example.es")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    for key, (name, phone, region) in _WORLD.items():
        message = _message(key, "hola", at)
        message.client.name, message.client.phone = name, phone
        await ingest(db, owner, [message], region=region)
    async with db.connect() as conn:
        stored = dict(
            (await conn.execute(sa.select(Client.external_id, Client.phone_digits))).all()
        )
    assert stored == {
        "uk": "447700900123",
        "us": "14155552671",
        "mx": "525512345678",
        "es": "34600123456",
    }
    searches = {
        "07700 900123": "Harriet Jones",  # national, another region than the default
        "+44 7700 900123": "Harriet Jones",
        "0044 7700 900 123": "Harriet Jones",
        "(415) 555-2671": "Bob Miller",
        "+1 415 555 2671": "Bob Miller",
        "55 1234 5678": "Lupita Ramírez",
        "+52 55 1234 5678": "Lupita Ramírez",
        "600123456": "Ana García",
        "+34 600 12 34 56": "Ana García",
    }
    for query, name in searches.items():
        page = await queries.search_clients(db, owner, query)
        assert [c.name for c in page.clients][:1] == [name], query


async def test_stored_phones_are_normalised_again_when_the_form_changes(db: Database) -> None:
    from tools.writes import renormalise_stored_phones

    owner = await ensure_owner(db, "laura@example.es")
    await ingest(db, owner, [_message("uk", "hi", datetime(2026, 11, 20, tzinfo=UTC))])
    async with db.engine.begin() as conn:
        # As an older version stored a British national number: its bare digits.
        await conn.execute(
            sa.update(Client).values(phone="07700 900123", phone_digits="07700900123")
        )
        before = await conn.scalar(sa.select(Owner.data_version))
    assert await renormalise_stored_phones(db, "GB") == 1
    assert await renormalise_stored_phones(db, "GB") == 0
    async with db.connect() as conn:
        assert await conn.scalar(sa.select(Client.phone_digits)) == "447700900123"
        assert await conn.scalar(sa.select(Owner.data_version)) == before + 1


_FOREIGN = {
    "HOME": None,  # set per test
    "OWNER": "intruso@example.com",
    "MODEL": "openai/gpt-evil",
    "LOG_LEVEL": "DEBUG",
    "SENTIMENT": "llm",
    "CACHE_TTL": "1",
    "RATE_LIMIT": "1",
    "DEFAULT_REGION": "US",
    "LOG_SQL": "1",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No Wallie variables, a fake home, and unrelated variables that share field names."""
    for name in list(os.environ):
        if name.startswith("WALLIE_") or name in {"DATABASE_URL", "REDIS_URL", "XDG_DATA_HOME"}:
            monkeypatch.delenv(name)
    for name, value in _FOREIGN.items():
        monkeypatch.setenv(name, value or str(tmp_path))
    return tmp_path


def test_only_documented_variables_are_read(clean_env: Path) -> None:
    settings = Settings()
    assert settings.sqlite_path == clean_env / ".local" / "share" / "wallie" / "wallie.db"
    assert (settings.owner, settings.model, settings.log_level) == (
        "demo@wallie.local",
        None,
        "WARNING",
    )
    assert (settings.sentiment_mode, settings.cache_ttl, settings.rate_limit_per_minute) == (
        "lexicon",
        300,
        120,
    )
    assert (settings.default_region, settings.log_sql) == ("ES", False)


def test_xdg_data_home_and_wallie_home_place_the_database(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(clean_env / "xdg"))
    assert Settings().sqlite_path == clean_env / "xdg" / "wallie" / "wallie.db"
    monkeypatch.setenv("WALLIE_HOME", str(clean_env / "mine"))
    assert Settings().sqlite_path == clean_env / "mine" / "wallie.db"


def test_an_empty_variable_is_unset(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WALLIE_HOME", "XDG_DATA_HOME", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.setenv(name, "")
    settings = Settings()
    assert settings.sqlite_path == clean_env / ".local" / "share" / "wallie" / "wallie.db"
    assert settings.redis_url is None


def test_the_cli_creates_the_default_database_under_the_data_home(clean_env: Path) -> None:
    import subprocess
    import sys

    wallie = str(Path(sys.executable).with_name("wallie"))
    done = subprocess.run(
        [wallie, "db", "status", "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    expected = clean_env / ".local" / "share" / "wallie" / "wallie.db"
    assert expected.is_file()
    assert not (clean_env / "wallie.db").exists()


def test_a_malformed_setting_is_a_config_error_naming_it(clean_env: Path) -> None:
    import subprocess
    import sys

    wallie = str(Path(sys.executable).with_name("wallie"))
    env = {**os.environ, "WALLIE_LOG_LEVEL": "chatty"}
    done = subprocess.run(
        [wallie, "db", "status"], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 2
    assert "WALLIE_LOG_LEVEL" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:s3cret-pw@db.example:port/wallie",
        "bob:s3cret-pw@db.example/wallie",
        "postgresql://bob:s3cret-pw@127.0.0.1:1/wallie",  # well formed, nobody answers
    ],
)
async def test_a_database_url_password_is_never_shown(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        await open_database(Settings(DATABASE_URL=url))
    assert "s3cret-pw" not in str(caught.value)
    assert "bob" in str(caught.value) or "not a database URL" in str(caught.value)


async def test_debug_logs_keep_sql_parameters_out_unless_asked(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from tools import queries

    owner = await ensure_owner(db, "laura@example.es")
    await ingest(
        db, owner, [_message("Zacarías Secreto", "hola", datetime(2026, 11, 20, tzinfo=UTC))]
    )
    for log_sql in (True, False):  # quiet last: logger levels are process-wide
        caplog.clear()
        quiet = Database.from_url(database_url, log_sql=log_sql)
        with caplog.at_level(logging.DEBUG):
            await queries.search_clients(quiet, owner, "zacarias")
        await quiet.dispose()
        assert ("zacarias" in caplog.text.lower()) is log_sql, caplog.text[-500:]
