"""`wallie cache`: figures shared by every server process, and clearing."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from tools.errors import ConfigError
from tools.settings import get_settings
from tools.text import mask_password
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Inspect and clear the tool cache (Redis when REDIS_URL is set).", no_args_is_help=True
)


async def _with_cache(action: str, owner: str | None = None) -> Any:
    from tools.cache import make_cache

    settings = get_settings()
    cache = make_cache(settings)
    try:
        if (problem := await cache.ping()) is not None:
            where = mask_password(settings.redis_url or "")
            raise ConfigError(f"Redis at {where} is unreachable ({problem}); no cache figures")
        if action == "stats":
            from tools.ai import AiService
            from tools.ai.schemas import CacheReport

            stats = await cache.stats()
            ai = await AiService(get_settings(), cache).stats()
            return CacheReport(backend=stats.backend, tools=stats.tools, ai=ai)
        return await cache.clear(owner)
    finally:
        await cache.aclose()


@app.command()
def stats(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Hits, misses, errors and hit rate per tool, across all server processes."""
    figures = asyncio.run(_with_cache("stats"))
    data = figures.model_dump(mode="json") if hasattr(figures, "model_dump") else figures
    if json_:
        print_json(data)
        return
    from rich.table import Table

    table = Table(title=f"cache: {data.get('backend', '?')}")
    for column in ("tool", "hits", "misses", "errors", "hit rate"):
        table.add_column(column, justify="left" if column == "tool" else "right")
    tools = data.get("tools", {})
    for name, t in sorted(tools.items()):
        table.add_row(
            name, str(t["hits"]), str(t["misses"]), str(t["errors"]), f"{t['hit_rate']:.1f}%"
        )
    if not tools:
        err.print("no cached calls yet")
    out.print(table)
    if data.get("ai"):
        ai = Table(title="AI answers")
        columns = ("feature", "hits", "misses", "hit rate", "model calls", "calls saved")
        for column in (*columns, "tokens saved", "cost saved"):
            ai.add_column(column, justify="left" if column == "feature" else "right")
        for name, f in sorted(data["ai"].items()):
            ai.add_row(
                name,
                str(f["hits"]),
                str(f["misses"]),
                f"{f['hit_rate']:.1f}%",
                str(f["model_calls"]),
                str(f["calls_saved"]),
                str(f["tokens_saved"]),
                f"${f['cost_saved_usd']:.4f}",
            )
        out.print(ai)


@app.command()
def clear(
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's entries."),
) -> None:
    """Remove cached answers (all, or one owner's)."""
    removed = asyncio.run(_with_cache("clear", owner))
    err.print(f"removed {removed} cached entr{'y' if removed == 1 else 'ies'}", highlight=False)
