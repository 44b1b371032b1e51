"""`python -m bench.ask [--runs N] [--save]`: `wallie ask` end to end, a fresh process each time.

The real command on the demo data (`wallie demo seed` into a fresh WALLIE_HOME), in
retrieval-only mode (no LLM configured), with Wallie's server in-process (the default) and
as a `wallie serve` child over stdio (`--stdio`). Baselines measured in the same run, in
the same round-robin order so they share the machine's load: `python -c pass` (starting
the interpreter) and `wallie --version` (the CLI's own start). Like hyperfine: warm-up
runs first, then N timed runs of each; wall time from spawn to exit, CPU time (user + sys
of the process and any child it waited for). Target: median wall < 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import put_section

WALLIE = str(Path(sys.executable).with_name("wallie"))
QUESTION = "¿Cómo va la negociación con Ana García?"
TARGET_S = 2.0
MARK_START, MARK_END = "<!-- kept: ask -->", "<!-- /kept: ask -->"
# Variables that would configure an LLM (the bench measures retrieval-only mode) or point
# the command at another database.
_DROP = ("WALLIE_MODEL", "LITELLM_URL", "DATABASE_URL", "REDIS_URL", "WALLIE_OWNER")


@dataclass
class Command:
    """One command line measured: its wall and CPU seconds per run."""

    name: str
    argv: list[str]
    check: str = ""  # text its output must contain (the answer's sources)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def environment(home: Path) -> dict[str, str]:
    """The environment of every run: the demo home, no LLM, no server database."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP and not k.endswith("_API_KEY")}
    env["WALLIE_HOME"] = str(home)
    return env


def run_once(command: Command, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run; a failed run stops the bench with its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command.argv, env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or command.check not in done.stdout:
        sys.exit(f"{command.name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def commands(question: str) -> list[Command]:
    """The baselines and the command under test."""
    return [
        Command("python -c pass", [sys.executable, "-c", "pass"]),
        Command("wallie --version", [WALLIE, "--version"], check="wallie"),
        Command(f'wallie ask "{question}"', [WALLIE, "ask", question], check="Sources"),
        Command(
            f'wallie ask --stdio "{question}"',
            [WALLIE, "ask", "--stdio", question],
            check="Sources",
        ),
    ]


def measure(cmds: list[Command], env: dict[str, str], runs: int, warmup: int) -> None:
    """Warm-up runs, then `runs` timed rounds, each command once per round."""
    for _ in range(warmup):
        for command in cmds:
            run_once(command, env)
    for i in range(runs):
        for command in cmds:
            wall, cpu = run_once(command, env)
            command.wall.append(wall)
            command.cpu.append(cpu)
        print(f"  round {i + 1}/{runs}", flush=True)


def table(cmds: list[Command]) -> list[str]:
    """The figures: medians (and spread) of wall and CPU, and ratios to the baselines."""
    python, version = (statistics.median(c.wall) for c in cmds[:2])
    lines = [
        "| command | wall median | wall min-max | CPU median | vs `python -c pass` "
        "| vs `wallie --version` |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in cmds:
        median = statistics.median(c.wall)
        lines.append(
            f"| `{c.name}` | {median:.3f} s | {min(c.wall):.3f}-{max(c.wall):.3f} s | "
            f"{statistics.median(c.cpu):.3f} s | x{median / python:.1f} | x{median / version:.2f} |"
        )
    return lines


def verdict(cmds: list[Command]) -> str:
    """Whether the in-process `wallie ask` met the target."""
    median = statistics.median(cmds[2].wall)
    met = "met" if median < TARGET_S else "MISSED"
    return f"Target: median wall of `wallie ask` < {TARGET_S:g} s: {median:.2f} s, {met}."


def save(lines: list[str], command: str, loads: tuple[float, float]) -> None:
    """Put the figures in BENCHMARKS.md's `wallie ask` section (replacing the previous run's)."""
    path = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    section = "\n".join(
        [
            MARK_START,
            "## `wallie ask` end to end (`python -m bench.ask`)",
            "",
            f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
            f"{loads[0]:.1f} before / {loads[1]:.1f} after (other jobs shared the machine). "
            "Each run is a fresh process on the demo data (`wallie demo seed`), retrieval-only "
            "(no LLM configured); baselines interleaved with it. CPU is user + sys of the "
            "process and of the `wallie serve` child it waits for (`--stdio`). Wall time "
            "follows the load (above one runnable job per core, each gets a share of one); CPU "
            "time hardly does: it is what the command costs, and about its wall time on an idle "
            "machine.",
            "",
            *lines,
            MARK_END,
        ]
    )
    put_section(section, MARK_START, MARK_END, path)


def main(argv: list[str] | None = None) -> None:
    """Seed a demo home, time the commands, print (and optionally save) the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.ask", description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="Timed runs of each command.")
    parser.add_argument("--warmup", type=int, default=2, help="Untimed runs of each first.")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--save", action="store_true", help="Write the figures to BENCHMARKS.md.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wallie-bench-ask-") as tmp:
        env = environment(Path(tmp))
        seeded = subprocess.run(
            [WALLIE, "demo", "seed"], env=env, capture_output=True, text=True, timeout=600
        )
        if seeded.returncode != 0:
            sys.exit(f"wallie demo seed failed:\n{seeded.stderr}")
        cmds = commands(args.question)
        load_before = os.getloadavg()[0]
        print(f"bench.ask: {args.warmup} warm-up + {args.runs} runs of each", flush=True)
        measure(cmds, env, args.runs, args.warmup)
        loads = (load_before, os.getloadavg()[0])
    lines = [*table(cmds), "", verdict(cmds)]
    print("\n".join(lines), flush=True)
    if args.save:
        shown = " ".join(["python -m bench.ask", *(argv if argv is not None else sys.argv[1:])])
        save(lines, shown, loads)


if __name__ == "__main__":
    main()
