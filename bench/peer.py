"""Result quality and latency against a peer: the reference SQLite MCP server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from bench.harness import (
    DATA,
    WALLIE,
    Report,
    server_env,
    timed,
)


async def peer_quality(sqlite_path: Path, report: Report, iterations: int) -> list[float] | None:
    """The reference SQLite MCP server on the same file: latency and what it finds."""
    peer = _peer_command()
    if peer is None:
        report.notes.append("peer (mcp-server-sqlite) could not be installed: not measured")
        return None
    # The 1.x server logs validation noise for the 2.x client's probe: keep it off the report.
    params = StdioServerParameters(
        command="sh", args=["-c", f'exec "{peer}" --db-path "{sqlite_path}" 2>/dev/null']
    )
    wallie = StdioServerParameters(
        command=WALLIE, args=["serve"], env=server_env(f"sqlite:///{sqlite_path}", False, False)
    )
    checks = [
        (
            "jose garcia",
            "SELECT name FROM client WHERE name LIKE '%jose garcia%' LIMIT 10",
            "José García",
        ),
        ("nunez", "SELECT name FROM client WHERE name LIKE '%nunez%' LIMIT 10", "Núñez"),
    ]
    async with Client(params) as p, Client(wallie) as w:
        for query, sql, expect in checks:
            theirs = (await p.call_tool("read_query", {"query": sql})).content[0].text
            ours = (await w.call_tool("search_clients", {"query": query})).structured_content
            report.quality.append(
                {
                    "query": query,
                    "peer": expect in theirs,
                    "wallie": any(expect in c["name"] for c in ours["clients"]),
                }
            )
        # A phone stored as "+34 6xx xx xx xx", searched as the digits people type.
        row = await w.call_tool("search_clients", {"query": "+34"})
        sample = next(
            (
                c["phone"]
                for c in row.structured_content["clients"]
                if c["phone"] and c["phone"].startswith("+34 ")
            ),
            None,
        )
        if sample:
            digits = "".join(ch for ch in sample if ch.isdigit())[2:]
            theirs = (
                (
                    await p.call_tool(
                        "read_query",
                        {"query": f"SELECT name FROM client WHERE phone LIKE '%{digits}%' LIMIT 5"},
                    )
                )
                .content[0]
                .text
            )
            ours = (await w.call_tool("search_clients", {"query": digits})).structured_content
            report.quality.append(
                {
                    "query": f"{digits} (phone stored as '{sample}')",
                    "peer": theirs.strip() not in ("[]", ""),
                    "wallie": bool(ours["clients"]),
                }
            )
        sql = "SELECT id, name FROM client WHERE name LIKE '%garcia%' ORDER BY last_contact_at DESC LIMIT 10"
        await p.call_tool("read_query", {"query": sql})
        return await timed(
            [lambda: p.call_tool("read_query", {"query": sql}) for _ in range(iterations)]
        )


def _peer_command() -> str | None:
    venv = DATA / "peer-venv"
    exe = venv / "bin" / "mcp-server-sqlite"
    if exe.exists():
        return str(exe)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        # The reference server is written for the 1.x SDK: it gets its own environment.
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "mcp-server-sqlite", "mcp<2"],
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return str(exe) if exe.exists() else None
