"""Importers for the files people have (WhatsApp exports, email archives), over one ingest path.

Parsers (`whatsapp.parse_chats`, `email.parse_archives`) only read files and yield
`MessageIn` records; `run_import` feeds them to `tools.ingest.ingest`, one transaction a file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from tools.db import Database
from tools.importers._common import FileStats, NotAnExport, ParsedFile, RecordError
from tools.ingest import Scorer, ingest

__all__ = ["FileSummary", "ImportSummary", "NotAnExport", "ParsedFile", "run_import"]


@dataclass
class FileSummary:
    """What importing one file did (or, in a dry run, would do)."""

    file: str
    ok: bool = True
    conversations: int = 0
    conversations_new: int = 0
    clients_new: int = 0
    clients_matched: int = 0
    messages_new: int = 0
    messages_already_stored: int = 0
    system_lines: int = 0
    attachments: int = 0
    skipped: int = 0
    skipped_bulk: int = 0
    replaced_chars: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    """Every file's summary and the totals; `dry_run` when nothing was written."""

    files: list[FileSummary]
    dry_run: bool = False

    @property
    def failed(self) -> list[FileSummary]:
        """Files that imported nothing because of an error."""
        return [f for f in self.files if not f.ok]

    def totals(self) -> dict[str, int | float]:
        """Counts summed over the files."""
        keys = [k for k, v in asdict(FileSummary("")).items() if isinstance(v, int | float)]
        totals: dict[str, int | float] = {"files": len(self.files)}
        for key in keys:
            if key != "ok":
                totals[key] = sum(getattr(f, key) for f in self.files)
        totals["seconds"] = round(float(totals["seconds"]), 3)
        return totals

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data."""
        return {
            "dry_run": self.dry_run,
            "totals": self.totals(),
            "files": [asdict(f) for f in self.files],
        }


def _summary(stats: FileStats) -> FileSummary:
    return FileSummary(
        file=stats.name,
        conversations=len(stats.conversations),
        system_lines=stats.system_lines,
        attachments=stats.attachments,
        skipped=stats.skipped,
        skipped_bulk=stats.skipped_bulk,
        replaced_chars=stats.replaced_chars,
        errors=list(stats.errors),
    )


def _distinct(scorer: Scorer | None) -> Scorer | None:
    """Score each distinct text of a batch once: chats repeat "Ok", "Gracias", media markers."""
    if scorer is None:
        return None
    score = scorer

    def distinct(texts: Sequence[str]) -> list[tuple[str, float]]:
        unique = list(dict.fromkeys(texts))
        if len(unique) == len(texts):
            return score(texts)
        results = dict(zip(unique, score(unique), strict=True))
        return [results[t] for t in texts]

    return distinct


async def run_import(
    db: Database,
    owner_id: int,
    files: Sequence[ParsedFile],
    *,
    scorer: Scorer | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Ingest each parsed file in its own transaction: a file that fails stores nothing."""
    summaries = []
    scorer = _distinct(scorer)
    for parsed in files:
        started = time.perf_counter()
        try:
            report = await ingest(
                db,
                owner_id,
                parsed.records,
                scorer=scorer,
                progress=progress,
                dry_run=dry_run,
                match_clients=True,
            )
        except RecordError as exc:
            summary = _summary(parsed.stats)
            summary.ok = False
            summary.errors.append(str(exc))
        else:
            summary = _summary(parsed.stats)
            summary.conversations_new = report.conversations_added
            summary.clients_new = report.clients_added
            summary.clients_matched = len(parsed.stats.clients) - report.clients_added
            summary.messages_new = report.messages_added
            summary.messages_already_stored = report.messages_skipped
        summary.seconds = round(time.perf_counter() - started, 3)
        summaries.append(summary)
    return ImportSummary(summaries, dry_run=dry_run)
