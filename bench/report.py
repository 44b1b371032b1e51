"""BENCHMARKS.md, written from a run's figures into its template."""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any

from bench.harness import LAST_RUN, ROOT, TEMPLATE, Report
from bench.targets import targets


def write_markdown(
    report: Report, echo: dict[str, Any], command: str, seconds: float, when: str | None = None
) -> None:
    """Write BENCHMARKS.md from a run's figures."""
    path = ROOT / "BENCHMARKS.md"
    text = render(report, echo, command, seconds, when)
    # Keep the section `python -m bench.sentiment --write` owns (between its markers).
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = old.find("<!-- sentiment:start -->"), old.find("<!-- sentiment:end -->")
    if 0 <= start < end:
        text = text.rstrip() + "\n\n" + old[start : end + len("<!-- sentiment:end -->")] + "\n"
    # And the sections other benchmarks own (`python -m bench.ai_day --write`).
    for kept in re.finditer(r"<!-- kept: (\w+) -->.*?<!-- /kept: \1 -->", old, re.S):
        text = text.rstrip() + "\n\n" + kept.group(0) + "\n"
    path.write_text(text)


def render(
    report: Report, echo: dict[str, Any], command: str, seconds: float, when: str | None = None
) -> str:
    """BENCHMARKS.md's text: machine, versions, date, command, figures and targets."""
    from importlib.metadata import version

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except Exception:
            return "?"

    import sqlite3

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    header = (
        f"Run {when or f'{datetime.now(UTC):%Y-%m-%d %H:%M}'} UTC with `{command}` in {seconds / 60:.1f} min"
        + (
            f" ({sum(report.built.values()) / 60:.1f} of them building demo data: "
            + ", ".join(f"{k} in {v:.0f} s" for k, v in report.built.items())
            + "; later runs reuse it)"
            if report.built
            else " (demo data already built)"
        )
        + f" on {cpu}, {os.cpu_count()} cores, {int(mem) // 1024 // 1024} GiB. Python {platform.python_version()}, "
        f"mcp {v('mcp')}, SQLAlchemy {v('sqlalchemy')}, SQLite {sqlite3.sqlite_version}, redis-py {v('redis')}."
    )
    echo_line = (
        f"Echo floor: stdio p50 {echo['stdio']['p50']:.2f} / p95 {echo['stdio']['p95']:.2f} ms; "
        f"HTTP p50 {echo['http']['p50']:.2f} / p95 {echo['http']['p95']:.2f} ms; HTTP throughput "
        + ", ".join(f"{c} clients {r:.0f} calls/s" for c, r in echo["throughput"].items())
        + "."
    )
    page = TEMPLATE.read_text(encoding="utf-8").split("\n<!--", 1)[0]
    text = Template(page).substitute(
        header=header,
        echo=echo_line,
        tables="\n".join(_tables(report)),
        quality="\n".join(_quality(report)),
        targets="\n".join(targets(report, echo)),
        notes="\n".join(f"- {n}" for n in report.notes),
    )
    return text.rstrip() + "\n"


def _tables(report: Report) -> list[str]:
    lines = [
        "| db | clients | what | p50 | p95 | p99 | vs floor |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for r in report.rows:
        if "p50" in r:
            ratio = f"x{r['ratio']:.2f} {r['floor']}" if r.get("ratio") else ""
            if "delta_ms" in r:
                ratio += f" ({r['delta_ms']:+.1f} ms)"
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {ratio} |"
            )
    lines += ["", "| db | clients | what | figure |", "|---|---:|---|---|"]
    for r in report.rows:
        if "rate" in r:
            ratio = f" ({r['ratio']:.0%} of echo)" if r.get("ratio") else ""
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {r['rate']:.0f} calls/s{ratio} |"
            )
        if "rss" in r:
            b, a = r["rss"]
            lines.append(
                f"| {r['db']} | {r['size']:,} | {r['what']} | {b / 1024:.0f} → {a / 1024:.0f} MiB |"
            )
    return lines


def _quality(report: Report) -> list[str]:
    if not report.quality:
        return []
    lines = [
        "",
        "Result quality against the reference SQLite MCP server (`mcp-server-sqlite`, "
        "`read_query` with the nearest SQL a user would write):",
        "",
        "| query | peer finds it | Wallie finds it |",
        "|---|---|---|",
    ]
    lines += [
        f"| {q['query']} | {'yes' if q['peer'] else 'no'} | {'yes' if q['wallie'] else 'no'} |"
        for q in {(q["query"], q["peer"], q["wallie"]): q for q in report.quality}.values()
    ]  # the same queries at every size: one row each
    lines.append("")
    return lines


def rewrite() -> None:
    """Write BENCHMARKS.md again from the last run's saved figures (after editing the text)."""
    saved = json.loads(LAST_RUN.read_text())
    echo = saved["echo"]
    echo["throughput"] = {int(c): r for c, r in echo["throughput"].items()}
    write_markdown(
        Report(**saved["report"]), echo, saved["command"], saved["seconds"], saved.get("when")
    )
