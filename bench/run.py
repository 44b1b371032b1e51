"""The benchmark harness: Wallie's tools against the framework floor, the database floor
and a generic SQL MCP server, on SQLite and PostgreSQL (`python -m bench [--quick]`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import LAST_RUN, ROOT, Report, database, percentiles
from bench.measure import echo_floor, measure
from bench.peer import peer_quality
from bench.report import rewrite, write_markdown
from bench.targets import targets


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write BENCHMARKS.md."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="1k clients on SQLite, in about a minute"
    )
    parser.add_argument("--sizes", default=None, help="comma-separated client counts")
    parser.add_argument("--db", default=None, help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md")
    parser.add_argument(
        "--rewrite", action="store_true", help="rewrite BENCHMARKS.md from the last saved run"
    )
    opts = parser.parse_args(argv)
    if opts.rewrite:
        rewrite()
        return
    sizes = [
        int(s) for s in (opts.sizes or ("1000" if opts.quick else "1000,10000,100000")).split(",")
    ]
    dbs = (opts.db or ("sqlite" if opts.quick else "sqlite,postgresql")).split(",")
    iterations = 50 if opts.quick else 300
    concurrency = [1, 8] if opts.quick else [1, 8, 32]
    seconds = 1.0 if opts.quick else 5.0
    started = time.perf_counter()
    os.chdir(ROOT)
    report = Report()
    report.notes.append(
        "HTTP throughput is counted by wrk (one thread, N keep-alive connections on one MCP "
        "session, the calls in turn), so it measures the server, not a Python client."
        if shutil.which("wrk")
        else "HTTP throughput is counted by N concurrent Python MCP clients in one process "
        "(wrk is not installed: `apt-get install wrk` measures the server alone)."
    )
    echo = asyncio.run(echo_floor(iterations, concurrency, seconds))
    for db in dbs:
        for size in sizes:
            url = database(db, size, report)
            asyncio.run(measure(db, size, url, iterations, concurrency, seconds, report, echo))
            if db == "sqlite":
                peer = asyncio.run(
                    peer_quality(Path(url.removeprefix("sqlite:///")), report, iterations)
                )
                if peer:
                    report.add(
                        db=db,
                        size=size,
                        what="peer mcp-server-sqlite: LIKE search",
                        **percentiles(peer),
                    )
    elapsed = time.perf_counter() - started
    print("\n".join(["", *targets(report, echo)]))
    if not opts.no_write:
        command = (
            "python -m bench"
            + (" --quick" if opts.quick else "")
            + (f" --sizes {opts.sizes}" if opts.sizes else "")
            + (f" --db {opts.db}" if opts.db else "")
        )
        saved = {
            "report": asdict(report),
            "echo": echo,
            "command": command,
            "seconds": elapsed,
            "when": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        }
        LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
        LAST_RUN.write_text(json.dumps(saved, indent=1))
        write_markdown(report, echo, command, elapsed)
        print(f"\nwrote BENCHMARKS.md ({elapsed:.0f} s)")
