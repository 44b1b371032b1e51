"""Each DESIGN.md target, met or not, from a run's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.harness import TEMPLATE, Report


def _same_run(report: Report, like: dict[str, Any], test: Callable[[str], bool]) -> dict | None:
    """The row at `like`'s database and size whose label passes `test`, if any."""
    return next(
        (
            r
            for r in report.rows
            if "what" in r
            and test(r["what"])
            and (r["db"], r["size"]) == (like["db"], like["size"])
        ),
        None,
    )


def why(name: str, **figures: Any) -> str:
    """The template's explanation of a missed target, with this run's figures, indented."""
    text = TEMPLATE.read_text(encoding="utf-8")
    block = text.split(f"<!-- why: {name} -->\n", 1)[1].split("\n<!--", 1)[0]
    return "  " + block.strip().format(**figures)


def targets(report: Report, echo: dict[str, Any]) -> list[str]:
    """Each DESIGN.md target, met or not, from this run's rows, and why when it is not."""
    out = []
    echo_stdio, echo_http = echo["stdio"]["p95"], echo["http"]["p95"]
    cached = [r for r in report.rows if ", cached" in r.get("what", "") and r.get("ratio")]
    if cached:
        worst = max(cached, key=lambda r: r["ratio"])
        ok = worst["ratio"] <= 1.5
        out.append(
            f"- cached tool call p95 within 1.5x echo: **{'met' if ok else 'not met'}** "
            f"(worst x{worst['ratio']:.2f}: {worst['what']}, {worst['db']} {worst['size']:,})"
        )
        if not ok:
            tool = worst["what"].split(":")[0]
            check = _same_run(report, worst, lambda w: w == f"{tool}: client's schema check of it")
            share = (
                f" The client's own check of the result against the output schema takes "
                f"p50 {check['p50']:.2f} ms of its p50 {worst['p50']:.2f} ms."
                if check
                else ""
            )
            out.append(why("cached", share=share))
    for tool, budget in (
        ("search_clients", 5),
        ("search_messages", 25),
        ("get_conversation_history", 3),
    ):
        rows = [r for r in report.rows if r.get("what") == f"{tool}: stdio, uncached"]
        if rows:
            worst = max(rows, key=lambda r: r["delta_ms"])
            ok = worst["delta_ms"] <= budget
            out.append(
                f"- {tool} p95 within floor + {budget} ms: **{'met' if ok else 'not met'}** "
                f"(worst +{worst['delta_ms']:.1f} ms, {worst['db']} {worst['size']:,})"
            )
            if not ok:
                hit = _same_run(
                    report, worst, lambda w, t=tool: w.startswith(f"{t}: stdio, cached")
                )
                hit_text = (
                    f"; a cache hit of this tool, with no database work at all, costs p95 "
                    f"{hit['p95']:.2f} ms over stdio"
                    if hit
                    else ""
                )
                floor_row = _same_run(
                    report, worst, lambda w, t=tool: w == f"{t}: database floor (in-process)"
                )
                if floor_row and floor_row["p95"] > 100:
                    # A slow query's p95 moves by more than the budget between two runs of it.
                    gap = worst["p50"] - floor_row["p50"]
                    out.append(
                        why(
                            "slow query",
                            floor_p50=floor_row["p50"],
                            floor_p95=floor_row["p95"],
                            gap=gap,
                        )
                    )
                    continue
                out.append(why("transport", echo_stdio=echo_stdio, hit=hit_text))
    rates = [r for r in report.rows if "rate" in r and r.get("ratio")]
    if rates:
        worst = min(rates, key=lambda r: r["ratio"])
        ok = worst["ratio"] >= 0.8
        out.append(
            f"- HTTP throughput of cached calls ≥ 80% of echo: **{'met' if ok else 'not met'}** "
            f"(worst {worst['ratio']:.0%}: {worst['what']}, {worst['db']} {worst['size']:,})"
        )
        if not ok:
            out.append(why("throughput", echo_http=echo_http))
    rss = [r for r in report.rows if "rss" in r]
    if rss:
        growth = max(r["rss"][1] - r["rss"][0] for r in rss) / 1024
        out.append(
            f"- memory flat under sustained load: **{'met' if growth < 20 else 'not met'}** "
            f"(largest growth {growth:.1f} MiB)"
        )
    return out
