"""`wallie runs`: the run log of agent answers and AI tool calls."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from tools.settings import get_settings
from wallie._console import err, out, print_json

app = typer.Typer(
    help="Recorded runs: questions, tool calls with timings, answers, sources, cost.",
    no_args_is_help=True,
)
_owner = typer.Option(None, "--owner", help="Whose runs [default: WALLIE_OWNER].")


async def _query(action: str, owner: str, **kw: Any) -> Any:
    from tools import runs
    from tools.context import open_database

    db = await open_database(get_settings())
    try:
        if action == "list":
            return await runs.list_runs(db, owner, **kw)
        return await runs.get_run(db, owner, **kw)
    finally:
        await db.dispose()


@app.command("list")
def list_(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="How many, newest first."),
    kind: str | None = typer.Option(
        None, "--kind", help="Only ask, chat, web:chat, web:agui or tool:NAME runs."
    ),
    owner: str | None = _owner,
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The newest runs: id, when, kind, question, model, tokens, cost, latency, error."""
    found = asyncio.run(_query("list", owner or get_settings().owner, limit=limit, kind=kind))
    if json_:
        print_json([r.model_dump(mode="json") for r in found])
        return
    if not found:
        err.print("no runs recorded yet")
        return
    from rich.table import Table

    table = Table()
    for column in ("id", "when", "kind", "question", "model", "tokens", "cost", "ms", "error"):
        table.add_column(column, justify="right" if column in {"id", "tokens", "ms"} else "left")
    for r in found:
        table.add_row(
            str(r.id),
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.kind,
            r.question[:60],
            r.model[:30],
            str(r.input_tokens + r.output_tokens),
            f"${r.cost_usd:.4f}",
            f"{r.latency_ms:.0f}",
            (r.error or "")[:40],
        )
    out.print(table)


@app.command()
def show(
    run_id: int = typer.Argument(..., min=1, help="A run id from `wallie runs list`."),
    owner: str | None = _owner,
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One run in full: tool calls with timings, answer, sources, usage."""
    run = asyncio.run(_query("show", owner or get_settings().owner, run_id=run_id))
    if json_:
        print_json(run.model_dump(mode="json"))
        return
    out.print(f"[bold]run {run.id}[/] · {run.kind} · {run.created_at:%Y-%m-%d %H:%M:%S} UTC")
    out.print(f"[bold]question:[/] {run.question}", markup=True, highlight=False)
    for call in run.tool_calls:
        mark = "✓" if call.ok else ("✗" if call.ok is False else "…")
        timing = f"{call.ms:.0f} ms" if call.ms is not None else "?"
        out.print(f"  {mark} {call.tool}({call.args}) {timing} {call.summary}", markup=False)
    out.print("[bold]answer:[/]")
    out.print(run.answer or "(none)", markup=False, highlight=False)
    for source in run.sources:
        out.print(f"  {source.get('ref', '')} {source.get('label', '')}", markup=False)
    out.print(
        f"[dim]{run.model or 'no model'}: {run.input_tokens} in / {run.output_tokens} out "
        f"tokens, ${run.cost_usd:.4f}, {run.latency_ms:.0f} ms[/]",
        highlight=False,
    )
    if run.error:
        out.print(f"[red]error:[/] {run.error}", highlight=False)
