"""Errors the domain raises; each message is meant for a person (or an LLM) to read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class WallieError(Exception):
    """Base class: a problem with a clear, user-facing message."""


class ConfigError(WallieError):
    """A setting is missing or malformed."""


class InvalidArgument(WallieError, ValueError):
    """An argument is out of bounds or malformed; the message says what is allowed."""


class NotFound(WallieError, LookupError):
    """An id does not exist for this owner."""


class RateLimited(WallieError):
    """Too many calls; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ImportFailed(WallieError):
    """An import file has invalid lines; nothing was imported."""

    def __init__(self, errors: list[str]) -> None:
        shown = "\n".join(errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} invalid line(s), nothing imported:\n{shown}{more}")
        self.errors = errors


class DatabaseUnavailable(WallieError):
    """The database cannot be reached right now; the same call may work on a retry."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("the database is unavailable right now; retry in a moment")
        self.cause = (
            f"{type(cause).__name__}: {str(cause).splitlines()[0][:200] if str(cause) else ''}"
        )


@contextmanager
def database_unavailable() -> Iterator[None]:
    """Turn a lost or refused database connection into DatabaseUnavailable."""
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    try:
        yield
    except (OperationalError, InterfaceError, DisconnectionError, PoolTimeout, OSError) as exc:
        raise DatabaseUnavailable(exc) from exc
