"""Opening the database the settings point at, migrating the embedded default on first use."""

from __future__ import annotations

from tools.db import Database, head_revision
from tools.errors import ConfigError
from tools.settings import Settings
from tools.text import mask_password


async def open_database(settings: Settings, *, migrate: bool | None = None) -> Database:
    """The settings' database, ready to query.

    The embedded SQLite default is created and upgraded automatically; a database named by
    DATABASE_URL must be upgraded explicitly (`wallie db upgrade`), unless `migrate` is True.
    """
    db = Database.from_settings(settings)
    auto = settings.is_embedded if migrate is None else migrate
    try:
        current = await db.current_revision()
    except OSError as exc:
        await db.dispose()
        raise ConfigError(
            f"cannot connect to {db.display_url}: {mask_password(str(exc))}"
        ) from None
    except Exception as exc:
        await db.dispose()
        raise ConfigError(f"cannot open {db.display_url}: {mask_password(str(exc))}") from None
    if current != head_revision():
        if auto:
            await db.upgrade()
        else:
            await db.dispose()
            where = current or "an empty schema"
            raise ConfigError(
                f"{db.display_url} is at {where}, not {head_revision()}: run `wallie db upgrade`"
            )
    return db
