"""The run log: every agent answer and AI tool call, per owner, kept for a retention period."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel, col

from tools.db import Database
from tools.errors import NotFound
from tools.models import UTCDateTime, utcnow
from tools.owners import ensure_owner
from tools.owners import owner_id as lookup_owner

MAX_TEXT = 20_000
PRUNE_EVERY = 600.0  # seconds between retention sweeps in one process
_pruned_at = -PRUNE_EVERY


class Run(SQLModel, table=True):
    """One recorded run: a question (or AI tool call) and how it was answered."""

    __tablename__ = "run"
    __table_args__ = (
        sa.Index("ix_run_owner_created", "owner_id", "created_at"),
        sa.Index("ix_run_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="owner.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    question: str = Field(default="")
    answer: str = Field(default="")
    tool_calls: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    model: str = Field(default="", max_length=200)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    error: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ToolCallRecord(BaseModel):
    """One tool call of a run, with its timing."""

    tool: str
    args: dict[str, Any] = PField(default_factory=dict)
    ok: bool | None = None
    summary: str = ""
    ms: float | None = None


class RunRecord(BaseModel):
    """A run as recorded (before it has an id)."""

    kind: str = PField(description="ask, chat, web:chat, web:agui or tool:NAME")
    question: str = ""
    answer: str = ""
    tool_calls: list[ToolCallRecord] = PField(default_factory=list)
    sources: list[dict[str, Any]] = PField(default_factory=list)
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    error: str | None = None


class RunOut(RunRecord):
    """A recorded run."""

    id: int
    created_at: datetime


class RunCollector:
    """Builds a RunRecord from an agent's event stream (dicts with a `type`), timing tools."""

    def __init__(self, kind: str, question: str) -> None:
        self.record = RunRecord(kind=kind, question=question)
        self._started = time.perf_counter()
        # Calls awaiting their result, per call id (or tool name, first in first out).
        self._open: dict[str, list[tuple[ToolCallRecord, float]]] = {}
        self._text: list[str] = []

    def add(self, event: Mapping[str, Any]) -> None:
        """Take one event into the record."""
        kind = event.get("type")
        if kind == "tool_call":
            call = ToolCallRecord(tool=str(event.get("tool")), args=dict(event.get("args") or {}))
            self.record.tool_calls.append(call)
            key = str(event.get("id") or call.tool)
            self._open.setdefault(key, []).append((call, time.perf_counter()))
        elif kind == "tool_result":
            key = str(event.get("id") or event.get("tool"))
            waiting = self._open.get(key)
            if waiting:
                call, started = waiting.pop(0)
                call.ok = bool(event.get("ok"))
                call.summary = str(event.get("summary") or "")[:300]
                call.ms = round((time.perf_counter() - started) * 1000, 2)
        elif kind == "text":
            self._text.append(str(event.get("delta") or ""))
        elif kind == "final":
            usage = event.get("usage") or {}
            self.record.answer = str(event.get("answer") or "".join(self._text))
            self.record.sources = list(event.get("sources") or [])
            self.record.model = str(event.get("model") or "")
            self.record.input_tokens = int(usage.get("input_tokens") or 0)
            self.record.output_tokens = int(usage.get("output_tokens") or 0)
            self.record.cost_usd = float(usage.get("cost_usd") or 0.0)
        elif kind == "error":
            self.record.error = str(event.get("message") or "error")

    def finish(self, error: str | None = None) -> RunRecord:
        """The record, with its latency (and `error` when the run was cut short)."""
        if error and not self.record.error:
            self.record.error = error
        if not self.record.answer:
            self.record.answer = "".join(self._text)
        self.record.latency_ms = round((time.perf_counter() - self._started) * 1000, 1)
        return self.record


async def record_run(
    db: Database, owner_email: str, record: RunRecord, *, retention_days: int = 0
) -> int:
    """Store `record` for `owner_email` (and drop runs past the retention period); its id."""
    return (await record_runs(db, [(owner_email, record)], retention_days=retention_days))[0]


async def record_runs(
    db: Database, runs: list[tuple[str, RunRecord]], *, retention_days: int = 0
) -> list[int]:
    """Store several (owner email, record) runs in one transaction; their ids."""
    owners = {email: await ensure_owner(db, email) for email in {e for e, _ in runs}}
    rows = []
    for email, record in runs:
        data = record.model_dump(mode="json")
        data["question"] = data["question"][:MAX_TEXT]
        data["answer"] = data["answer"][:MAX_TEXT]
        rows.append(Run(owner_id=owners[email], **data))
    async with db.session() as session:
        session.add_all(rows)
        await session.commit()
        ids = [row.id for row in rows]
    global _pruned_at
    if retention_days > 0 and time.monotonic() - _pruned_at > PRUNE_EVERY:
        _pruned_at = time.monotonic()  # at most once in a while per process: writes stay cheap
        await prune_runs(db, retention_days)
    return [i for i in ids if i is not None]


async def _owner(db: Database, owner_email: str) -> int | None:
    try:
        return await lookup_owner(db, owner_email)
    except NotFound:
        return None


def _out(row: Run) -> RunOut:
    return RunOut.model_validate(row.model_dump())


async def list_runs(
    db: Database, owner_email: str, *, limit: int = 20, kind: str | None = None
) -> list[RunOut]:
    """`owner_email`'s newest runs first."""
    owner = await _owner(db, owner_email)
    if owner is None:
        return []
    stmt = sa.select(Run).where(col(Run.owner_id) == owner)
    if kind:
        stmt = stmt.where(col(Run.kind) == kind)
    async with db.session() as session:
        rows = await session.scalars(stmt.order_by(col(Run.id).desc()).limit(limit))
        return [_out(r) for r in rows.all()]


async def get_run(db: Database, owner_email: str, run_id: int) -> RunOut:
    """One of `owner_email`'s runs, or NotFound."""
    owner = await _owner(db, owner_email)
    async with db.session() as session:
        row = await session.scalar(
            sa.select(Run).where(col(Run.id) == run_id, col(Run.owner_id) == owner)
        )
    if row is None:
        raise NotFound(f"no run with id {run_id}; `wallie runs list` shows your runs")
    return _out(row)


async def prune_runs(db: Database, retention_days: int) -> int:
    """Delete runs older than `retention_days` (0 keeps everything); how many went."""
    if retention_days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=retention_days)
    async with db.session() as session:
        result = await session.execute(sa.delete(Run).where(col(Run.created_at) < cutoff))
        await session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
