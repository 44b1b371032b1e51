"""The AI-day benchmark runs end to end at a tiny size and reports both sides."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_day_reports_hits_savings_and_latencies() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.ai_day", "--quick", "--sessions", "2", "--steps", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    calls = re.search(r"\| tool calls \| (\d+) \| (\d+) \|", out)
    assert calls and calls.group(1) == calls.group(2) and int(calls.group(1)) >= 8
    model = re.search(r"\| model calls \| (\d+) \| (\d+) \|", out)
    assert model and int(model.group(1)) < int(model.group(2))  # re-opened threads hit
    assert re.search(r"\| errors \| 0 \| 0 \|", out)
    assert re.search(r"\| p50 / p95 of hits \(ms\) \| [\d.]+ / [\d.]+", out)
