"""The one ingest path: validated records in, idempotent upserts out, hooks after commit.

Every importer (JSONL, WhatsApp and email files), webhook and HTTP ingest API builds
`MessageIn` records and calls `ingest(...)`. One call is one transaction: all or nothing.
It bumps the owner's data version in that same transaction, so no cache can serve an
answer computed before the commit, and concurrent calls for one owner are serialised.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tools import events as ev
from tools._ingest_writer import _OWNER, Changes, IngestReport, Scorer, _Writer
from tools.db import Database
from tools.records import MAX_TEXT, ClientIn, ConversationIn, MessageIn
from tools.statuses import StatusIn, apply_statuses
from tools.text import default_region

__all__ = [
    "MAX_TEXT",
    "AfterCommit",
    "Changes",
    "ClientIn",
    "ConversationIn",
    "IngestReport",
    "MessageIn",
    "Scorer",
    "StatusIn",
    "default_scorer",
    "ingest",
    "on_commit",
]

log = logging.getLogger("wallie.ingest")

ANALYZE_AFTER = 10_000
RETRIES = 5

AfterCommit = Callable[[Changes], Awaitable[None]]
_after_commit: list[AfterCommit] = []


def on_commit(hook: AfterCommit) -> AfterCommit:
    """Register `hook` to run after every ingest that stored something (e.g. publish events).

    Hooks run after the commit, in registration order; a failing hook is logged, never
    raised: the data is stored whatever happens after.
    """
    _after_commit.append(hook)
    return hook


# Every write's changes become owner-scoped events (tools/events.py), first of all hooks.
on_commit(ev.publish_changes)


def default_scorer() -> Scorer | None:
    """The offline sentiment scorer, when the sentiment package is available."""
    try:
        from tools.sentiment import model_version, score_many
    except ImportError:
        return None

    def score(texts: Sequence[str]) -> list[tuple[str, float]]:
        return score_many(texts)

    score.version = model_version()  # type: ignore[attr-defined]  # stored: backfill skips these
    return score


def _batches(items: Iterable[MessageIn], size: int) -> Iterator[list[MessageIn]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    """A conflict with a concurrent writer that a fresh attempt resolves."""
    if isinstance(exc, sa.exc.OperationalError) and "locked" in str(exc.orig).lower():
        return True  # SQLite: busy beyond the timeout
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    # serialization_failure, deadlock_detected, unique_violation (a concurrent first insert)
    return code in {"40001", "40P01", "23505"}


async def ingest(
    db: Database,
    owner_id: int,
    messages: Iterable[MessageIn],
    *,
    batch_size: int = 5000,
    scorer: Scorer | None = None,
    progress: Callable[[int], None] | None = None,
    after_commit: Sequence[AfterCommit] = (),
    region: str | None = None,
    dry_run: bool = False,
    match_clients: bool = False,
    statuses: Sequence[StatusIn] = (),
) -> IngestReport:
    """Store `messages` for one owner in one transaction; already-stored ones are skipped.

    A conflict with a concurrent writer is retried when `messages` is a sequence (an
    iterator can be read only once). Phones without a country code are read as numbers of
    `region` (default WALLIE_DEFAULT_REGION). After the commit, `after_commit` hooks and those
    registered with `on_commit` receive the committed `Changes` (the first publishes events).
    `dry_run` counts what would be stored and rolls everything back; `match_clients` maps
    unknown client keys to stored clients with the same phone, else email, else name (file
    importers). `statuses` move outbound messages' delivery status forward in the same
    transaction.
    """
    attempts = RETRIES if isinstance(messages, Sequence) else 1
    for attempt in range(1, attempts + 1):
        try:
            report = await _ingest_once(
                db,
                owner_id,
                messages,
                batch_size,
                scorer,
                progress,
                region or default_region(),
                dry_run=dry_run,
                match_clients=match_clients,
                statuses=statuses,
            )
            break
        except _Rollback as rollback:
            return rollback.report
        except sa.exc.DBAPIError as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            log.info("ingest conflicted with a concurrent writer (%s); retrying", exc.orig)
            await asyncio.sleep(random.uniform(0.05, 0.2) * attempt)
    if report.messages_added >= ANALYZE_AFTER:
        await _analyze(db)
    if report.changes is not None and _changed(report):
        for hook in (*after_commit, *_after_commit):
            try:
                await hook(report.changes)
            except Exception:
                log.exception("after-commit hook %r failed (the data is stored)", hook)
    return report


async def _analyze(db: Database) -> None:
    """Fresh planner statistics after a bulk load; best effort, the data is committed."""
    try:
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(
                "ANALYZE client, conversation, message" if db.dialect == "postgresql" else "ANALYZE"
            )
    except sa.exc.DBAPIError as exc:
        log.warning("could not refresh statistics after the import (%s); data is stored", exc.orig)


async def _ingest_once(
    db: Database,
    owner_id: int,
    messages: Iterable[MessageIn],
    batch_size: int,
    scorer: Scorer | None,
    progress: Callable[[int], None] | None,
    region: str,
    *,
    dry_run: bool = False,
    match_clients: bool = False,
    statuses: Sequence[StatusIn] = (),
) -> IngestReport:
    report = IngestReport()
    async with db.engine.begin() as conn:
        # Write first: on SQLite this takes the write lock (waiting up to the busy timeout)
        # before any read, so the transaction never has to upgrade a stale read snapshot;
        # on PostgreSQL the owner row lock serialises concurrent ingests of one owner.
        await conn.execute(
            sa.update(_OWNER)
            .where(_OWNER.c.id == owner_id)
            .values(data_version=_OWNER.c.data_version)
        )
        writer = _Writer(conn, owner_id, report, scorer, region, match_clients)
        for batch in _batches(messages, batch_size):
            await writer.write(batch)
            if progress:
                progress(len(batch))
        await writer.finish()
        for status in await apply_statuses(conn, owner_id, statuses):
            writer.changes.statuses.append(status)
            report.statuses_updated += 1
        if dry_run:
            raise _Rollback(report)
        changes = writer.changes
        if _changed(report):
            changes.data_version = await bump_version(conn, owner_id)
        report.changes = changes
    return report


def _changed(report: IngestReport) -> bool:
    return bool(
        report.messages_added
        or report.clients_added
        or report.conversations_added
        or report.statuses_updated
    )


async def bump_version(conn: AsyncConnection, owner_id: int) -> int:
    """Advance the owner's data version inside the caller's write transaction."""
    version = await conn.scalar(
        sa.update(_OWNER)
        .where(_OWNER.c.id == owner_id)
        .values(data_version=_OWNER.c.data_version + 1)
        .returning(_OWNER.c.data_version)
    )
    return int(version or 0)


class _Rollback(Exception):
    """Raised inside a dry run's transaction to undo it, carrying what it counted."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("dry run")
        self.report = report
