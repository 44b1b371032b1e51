"""`python -m bench.live` runs end to end at a tiny size and prints its figures (no timings)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_bench_live_prints_latency_and_ingest_figures(clean_redis: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLIE_", "REDIS_"))}
    env["WALLIE_BENCH_REDIS_URL"] = clean_redis
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.live",
            *("--messages", "5", "--ingest", "300", "--db", "sqlite"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for label in (
        "bare Redis XADD -> XREAD (floor)",
        "sqlite: POST -> MCP inbox notification (B)",
        "sqlite: POST -> SSE event (B)",
    ):
        line = next(x for x in out.splitlines() if x.startswith(label))
        p50, p95 = (float(v) for v in re.findall(r"p(?:50|95)\s+([0-9.]+)", line))
        assert 0 < p50 <= p95
    rate = re.search(r"sqlite: sustained ingest, one server: ([0-9,]+) msgs/s", out)
    assert rate is not None and int(rate.group(1).replace(",", "")) > 0
    assert re.search(r"targets sqlite: p95 [0-9.]+ ms < 100 ms (met|MISSED)", out)


pytestmark = pytest.mark.redis
