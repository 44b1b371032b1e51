"""`wallie sentiment`: score messages offline, store the scores, try the analyser."""

from __future__ import annotations

import asyncio
import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.context import open_database
from tools.settings import get_settings
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Sentiment: analyse a text, or store scores for existing messages.", no_args_is_help=True
)


@app.command()
def backfill(
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's messages."),
    json_: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Score stored messages that have no score from the current model (new or older ones)."""
    from tools.backfill import backfill_sentiment, current_version, pending_count, pending_owners
    from tools.owners import list_owners
    from tools.owners import owner_id as lookup_owner
    from tools.writes import data_changed

    async def run() -> tuple[int, float, list[str]]:
        settings = get_settings()
        db = await open_database(settings)
        try:
            oid = await lookup_owner(db, owner) if owner else None
            total = await pending_count(db, oid)
            touched = set(await pending_owners(db, oid))
            started = time.perf_counter()
            columns = [
                TextColumn("scoring"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            ]
            with Progress(*columns, console=err, transient=True, disable=total < 20_000) as bar:
                task = bar.add_task("scoring", total=total)
                done = await backfill_sentiment(
                    db, owner_id=oid, progress=lambda n: bar.advance(task, n)
                )
            emails = []
            if done:
                # Cached insights and profiles include moods: they must not go stale.
                for o in await list_owners(db):
                    if o.id in touched:
                        await data_changed(settings, o.email)
                        emails.append(o.email)
            return done, time.perf_counter() - started, emails
        finally:
            await db.dispose()

    done, seconds, emails = asyncio.run(run())
    version = current_version()
    if json_:
        print_json(
            {
                "scored": done,
                "seconds": round(seconds, 2),
                "model_version": version,
                "owners_invalidated": emails,
            }
        )
    else:
        err.print(
            f"scored {done} message(s) with model {version} in {seconds:.1f} s", highlight=False
        )


@app.command()
def analyze(
    text: str = typer.Argument(..., help="The text to analyse (Spanish or English)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Analyse one text offline: label, score, language, emotions and why."""
    from tools.sentiment import analyze as run

    result = run(text)
    data = result.model_dump() if hasattr(result, "model_dump") else result.to_dict()
    if json_:
        print_json(data)
        return
    out.print(
        f"{data['label']} ({data['score']:+.2f}, confidence {data['confidence']:.2f}, "
        f"language {data['language']})",
        highlight=False,
    )
    if data["language"] in {"pt", "fr", "it", "de"}:
        out.print("not scored: only Spanish and English are analysed", highlight=False)
    if data.get("drivers"):
        out.print("because: " + ", ".join(map(str, data["drivers"])), highlight=False)
    emotions = {k: v for k, v in (data.get("emotions") or {}).items() if v > 0}
    if emotions:
        out.print(
            "emotions: "
            + ", ".join(f"{k} {v:.2f}" for k, v in sorted(emotions.items(), key=lambda kv: -kv[1])),
            highlight=False,
        )
