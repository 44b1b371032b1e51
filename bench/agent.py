"""Agent evaluation: questions in Spanish and English over the demo data, graded by SQL truth.

`python -m bench.agent [--model NAME] [--url DATABASE_URL] [--only KIND]`

Seeds the deterministic demo (200 clients) into a temporary SQLite file (or uses --url),
derives each question's right answer from the database (bench/data/agent_eval.yaml names
the rule, never the ids), asks the agent through its public API with the Wallie MCP server
in-process, and prints accuracy per kind of question, citation precision and latency, for
retrieval-only mode and, when a model is configured (--model or WALLIE_MODEL), for it too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench._agent_cases import (
    Case,
    Truth,
    _fold,
    build_cases,
    truth,
)
from tools.db import Database
from tools.settings import DEMO_OWNER, Settings

DATA = Path(__file__).parent / "data" / "agent_eval.yaml"


def load() -> dict[str, Any]:
    """The question templates, topics and retrieval set."""
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


async def seed(url: str) -> None:
    """The default demo data set (200 clients ending today) in an empty database."""
    from tools.demo import DemoSpec, generate
    from tools.ingest import default_scorer, ingest
    from tools.owners import ensure_owner

    db = Database.from_url(url)
    await db.upgrade()
    owner = await ensure_owner(db, DEMO_OWNER)
    await ingest(db, owner, generate(DemoSpec()), scorer=default_scorer())
    await db.dispose()


# -- asking and grading -----------------------------------------------------------------


@dataclass
class Outcome:
    """How one answer fared."""

    case: Case
    correct: bool
    cited: int
    relevant: int
    seconds: float
    error: str = ""


async def ask_one(case: Case, settings: Settings, model: str) -> tuple[dict[str, Any], float]:
    """The agent's final (or error) event for a question, and the wall time it took."""
    from pydantic_ai.mcp import MCPToolset

    from agents.runtime import AskOptions, ask
    from server.app import build_server

    toolset = MCPToolset(build_server(settings), id="wallie")
    started = time.perf_counter()
    last: dict[str, Any] = {}
    async for event in ask(
        case.question, AskOptions(model=model, toolsets=[toolset]), settings=settings
    ):
        last = event.model_dump(mode="json")  # typed events (agents.events) as plain dicts
    return last, time.perf_counter() - started


def grade(case: Case, final: dict[str, Any], t: Truth) -> tuple[bool, int, int]:
    """Correct or not, how many ids were cited and how many of those were relevant."""
    if final.get("type") != "final":
        return False, 0, 0
    answer = final["answer"]
    cited_clients: set[int] = set()
    cited_messages: set[int] = set()
    for s in final["sources"]:
        (cited_clients if s["kind"] == "client" else cited_messages).add(int(s["id"]))
    via_messages = {t.messages[i].client_id for i in cited_messages if i in t.messages}
    about = cited_clients | via_messages
    relevant = sum(1 for c in cited_clients if c in case.clients) + sum(
        1
        for i in cited_messages
        if i in case.messages or (i in t.messages and t.messages[i].client_id in case.clients)
    )
    cited = len(cited_clients) + len(cited_messages)
    if case.expect == "client":
        ok = bool(about & case.clients)
    elif case.expect == "messages":
        ok = bool(cited_messages & case.messages)
    elif case.expect == "number":
        ok = case.number is not None and str(case.number) in re.findall(r"\b\d+\b", answer)
    elif case.expect == "clients":
        hits = len(about & case.clients)
        precision = hits / len(about) if about else 0.0
        ok = hits >= min(3, len(case.clients)) and precision >= 0.6
    else:  # winner: cited, and named before the other client
        assert case.winner is not None
        other = next(iter(case.clients - {case.winner}))
        first = [_fold(answer).find(_fold(t.clients[c].name)) for c in (case.winner, other)]
        ok = case.winner in about and first[0] >= 0 and (first[1] < 0 or first[0] < first[1])
    return ok, cited, relevant


async def evaluate(cases: list[Case], settings: Settings, model: str, t: Truth) -> list[Outcome]:
    """Ask every question once, in order."""
    results = []
    for case in cases:
        final, seconds = await ask_one(case, settings, model)
        ok, cited, relevant = grade(case, final, t)
        results.append(Outcome(case, ok, cited, relevant, seconds, final.get("message", "")[:100]))
    return results


def report(title: str, results: list[Outcome]) -> None:
    """Accuracy per kind, citation precision and latency."""
    print(f"\n## {title}: {len(results)} questions")
    kinds: dict[str, list[Outcome]] = {}
    for r in results:
        kinds.setdefault(r.case.kind, []).append(r)
    print(f"{'kind':10s} {'n':>3s} {'correct':>8s}  es / en")
    for kind, rs in kinds.items():
        es = [r for r in rs if r.case.lang == "es"]
        en = [r for r in rs if r.case.lang == "en"]
        print(
            f"{kind:10s} {len(rs):3d} {sum(r.correct for r in rs) / len(rs):8.0%}  "
            f"{sum(r.correct for r in es)}/{len(es)} / {sum(r.correct for r in en)}/{len(en)}"
        )
    cited = sum(r.cited for r in results)
    relevant = sum(r.relevant for r in results)
    times = sorted(r.seconds for r in results)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"accuracy {sum(r.correct for r in results) / len(results):.1%}")
    print(
        f"citation precision {relevant / cited:.1%} ({relevant}/{cited} cited ids about the "
        "expected clients or messages)"
        if cited
        else "citation precision: nothing cited"
    )
    print(
        f"latency per answer (in-process server, no start-up): median "
        f"{statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    failed = [r for r in results if not r.correct]
    if failed:
        print("missed:")
        for r in failed:
            note = f" [{r.error}]" if r.error else ""
            print(f"  - ({r.case.kind}/{r.case.lang}) {r.case.question}{note}")


async def main_async(args: argparse.Namespace) -> None:
    """Seed (or open), derive the truth, run each mode, print the figures."""
    from tools.owners import owner_id

    with tempfile.TemporaryDirectory(prefix="wallie-bench-agent-") as home:
        url = args.url or f"sqlite:///{Path(home) / 'wallie.db'}"
        if not args.url:
            started = time.perf_counter()
            await seed(url)
            print(f"seeded the demo (200 clients) in {time.perf_counter() - started:.1f} s")
        db = Database.from_url(url)
        t = await truth(db, await owner_id(db, DEMO_OWNER))
        await db.dispose()
        spec = load()
        cases = build_cases(spec, t)
        if args.only:
            cases = [c for c in cases if c.kind == args.only]
        settings = Settings(
            DATABASE_URL=url, WALLIE_OWNER=DEMO_OWNER, REDIS_URL=None, WALLIE_HOME=home
        )
        print(f"# Agent evaluation: {len(cases)} questions (es + en), truth derived by SQL")
        report("retrieval-only", await evaluate(cases, settings, "retrieval", t))
        model = args.model or os.environ.get("WALLIE_MODEL")
        if model and model not in ("retrieval", "none"):
            report(f"model {model}", await evaluate(cases, settings, model, t))
        else:
            print("\n(no LLM configured: set --model or WALLIE_MODEL to grade a real model too)")


def main(argv: list[str]) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__)
    parser.add_argument("--model", help="also grade this model (LiteLLM name or group)")
    parser.add_argument("--url", help="an already seeded database instead of a fresh demo")
    parser.add_argument("--only", help="only this kind of question")
    # Each question closes its in-process server; the pool logs the cancelled close loudly.
    logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
