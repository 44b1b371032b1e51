"""Agent evaluation: questions in Spanish and English over the demo data, graded by SQL truth.

`python -m bench.agent [--set tuning|heldout|both] [--model NAME] [--url DATABASE_URL]
[--only KIND] [--write LABEL]`

Seeds a deterministic demo into a temporary SQLite file (or uses --url), derives each
question's right answer from the database (bench/data/agent_eval.yaml and
bench/_agent_heldout.py name the rule, never the ids), asks the agent through its public API
with the Wallie MCP server in-process, and prints accuracy per kind of question, citation
precision, whether the answer kept the question's language, and latency, for retrieval-only
mode and, when a model is configured (--model or WALLIE_MODEL), for it too.

Two sets: `tuning` (44 questions over the 200-client demo, seed 42: the planner was tuned on
them) and `heldout` (other wordings over a 160-client demo with seed 7). `--write LABEL`
records the run's figures under LABEL in BENCHMARKS.md (between the agent-eval markers).
"""

from __future__ import annotations

import argparse
import asyncio
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

from bench import _agent_heldout as HELDOUT
from bench._agent_cases import (
    Case,
    Truth,
    _fold,
    build_cases,
    truth,
)
from tools.db import Database
from tools.demo import DemoSpec
from tools.settings import DEMO_OWNER, Settings

DATA = Path(__file__).parent / "data" / "agent_eval.yaml"


def load() -> dict[str, Any]:
    """The question templates, topics and retrieval set."""
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


async def seed(url: str, spec: DemoSpec | None = None) -> None:
    """A demo data set (by default 200 clients ending today) in an empty database."""
    from tools.demo import generate
    from tools.ingest import default_scorer, ingest
    from tools.owners import ensure_owner

    db = Database.from_url(url)
    await db.upgrade()
    owner = await ensure_owner(db, DEMO_OWNER)
    await ingest(db, owner, generate(spec or DemoSpec()), scorer=default_scorer())
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
    language: bool = True


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


_ES_WORDS = frozenset(
    "el la los las del que con para por cliente clientes mensaje mensajes negociación y es está "
    "están hay último última según no sí más conversación conversaciones resultado sobre entre "
    "sigue abierta abiertas ganada perdida ánimo tienes".split()
)
_EN_WORDS = frozenset(
    "the of and with for by client clients message messages deal deals is are there last "
    "latest according no yes more conversation conversations outcome about between still open "
    "won lost mood you".split()
)
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"|^>.*$", re.M)


def in_language(answer: str, lang: str) -> bool:
    """Whether the answer's own words (quoted message texts aside) are in `lang`."""
    words = re.findall(r"[a-záéíóúñü]+", _QUOTED.sub(" ", answer).casefold())
    es = sum(w in _ES_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    return es >= en if lang == "es" else en >= es


def grade(case: Case, final: dict[str, Any], t: Truth) -> tuple[bool, int, int]:
    """Correct or not, how many ids were cited and how many of those were relevant."""
    if final.get("type") != "final":
        return False, 0, 0
    answer = final["answer"]
    numbers = set(re.findall(r"\b\d+\b", answer))
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
    wanted = {str(n) for n in (case.numbers or {case.number}) if n is not None}
    if case.expect in ("clients", "clients_total") and not case.clients:
        ok = not about  # nothing to list: the answer must not invent anyone
    elif case.expect == "client":
        ok = bool(about & case.clients)
    elif case.expect == "messages":
        ok = bool(cited_messages & case.messages)
    elif case.expect == "number":
        ok = bool(wanted & numbers)
    elif case.expect in ("clients", "clients_total"):
        hits = len(about & case.clients)
        precision = hits / len(about) if about else 0.0
        ok = hits >= min(3, len(case.clients)) and precision >= 0.6
        if case.expect == "clients_total":  # a cut list must say how many there are in all
            ok = ok and bool(wanted & numbers)
    elif case.expect == "window":  # one client's messages within a date window, none outside
        ok = bool(cited_messages) and cited_messages <= case.messages
    elif case.expect == "ambiguous":  # namesakes: both shown, none silently picked
        ok = len(about & case.clients) >= 2
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
        language = final.get("type") == "final" and in_language(final["answer"], case.lang)
        results.append(
            Outcome(case, ok, cited, relevant, seconds, final.get("message", "")[:100], language)
        )
    return results


def report(title: str, results: list[Outcome]) -> dict[str, Any]:
    """Print accuracy per kind, citation precision and latency; return them as figures."""
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
    accuracy = sum(r.correct for r in results) / len(results)
    language = sum(r.language for r in results) / len(results)
    print(f"accuracy {accuracy:.1%}")
    print(f"answers in the question's language {language:.1%}")
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
    wrong_language = [r for r in results if not r.language]
    if wrong_language:
        print("not in the question's language:")
        for r in wrong_language:
            print(f"  - ({r.case.kind}/{r.case.lang}) {r.case.question}")
    return {
        "n": len(results),
        "accuracy": round(accuracy, 4),
        "citation_precision": round(relevant / cited, 4) if cited else None,
        "language": round(language, 4),
        "median_ms": round(statistics.median(times) * 1000),
        "p95_ms": round(p95 * 1000),
        "kinds": {kind: [sum(r.correct for r in rs), len(rs)] for kind, rs in kinds.items()},
    }


SETS = ("tuning", "heldout", "fresh")


def _cases(name: str, t: Truth, only: str | None) -> list[Case]:
    from bench._agent_heldout import build_heldout

    if name == "tuning":
        cases = build_cases(load(), t)
    else:
        cases = build_heldout(t, HELDOUT.FRESH if name == "fresh" else None)
    return [c for c in cases if c.kind == only] if only else cases


async def run_set(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed (or open) the set's demo, derive the truth, run each mode, print the figures."""
    from tools.demo import DemoSpec
    from tools.owners import owner_id

    spec = {
        "tuning": DemoSpec(),
        "heldout": DemoSpec(clients=HELDOUT.CLIENTS, seed=HELDOUT.SEED),
        "fresh": DemoSpec(clients=HELDOUT.FRESH_CLIENTS, seed=HELDOUT.FRESH_SEED),
    }[name]
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wallie-bench-agent-") as home:
        url = args.url or f"sqlite:///{Path(home) / 'wallie.db'}"
        if not args.url:
            started = time.perf_counter()
            await seed(url, spec)
            print(
                f"seeded the demo ({spec.clients} clients, seed {spec.seed}) in "
                f"{time.perf_counter() - started:.1f} s"
            )
        db = Database.from_url(url)
        t = await truth(db, await owner_id(db, DEMO_OWNER))
        await db.dispose()
        cases = _cases(name, t, args.only)
        settings = Settings(
            DATABASE_URL=url, WALLIE_OWNER=DEMO_OWNER, REDIS_URL=None, WALLIE_HOME=home
        )
        print(f"# Agent evaluation, {name} set: {len(cases)} questions (es + en), truth by SQL")
        figures["retrieval"] = report(
            f"{name}, retrieval-only", await evaluate(cases, settings, "retrieval", t)
        )
        model = args.model or os.environ.get("WALLIE_MODEL")
        if model and model not in ("retrieval", "none"):
            figures[model] = report(
                f"{name}, model {model}", await evaluate(cases, settings, model, t)
            )
        else:
            print("\n(no LLM configured: set --model or WALLIE_MODEL to grade a real model too)")
    return figures


async def main_async(args: argparse.Namespace) -> None:
    """Run the chosen sets and, with --write, record their figures in BENCHMARKS.md."""
    names = {"both": SETS[:2], "all": SETS}.get(args.set, (args.set,))
    figures = {name: await run_set(name, args) for name in names}
    if args.write:
        write_runs(args.write, figures)


def rewrite(path: Path | None = None) -> None:
    """Re-render BENCHMARKS.md's agent section from the recorded runs (no new run)."""
    import json

    runs = json.loads(RUNS.read_text(encoding="utf-8")) if RUNS.exists() else []
    target = path or Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    text = target.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    target.write_text(head + f"{START}\n{render(runs)}{END}" + rest.split(END, 1)[1])


# -- BENCHMARKS.md -------------------------------------------------------------------------

RUNS = Path(__file__).parent / "data" / "agent_eval_runs.json"
START, END = "<!-- agent-eval:start -->", "<!-- agent-eval:end -->"


def write_runs(label: str, figures: dict[str, Any], path: Path | None = None) -> None:
    """Keep this run's figures under `label` and re-render BENCHMARKS.md's agent section."""
    import json
    from datetime import UTC, datetime

    runs = json.loads(RUNS.read_text(encoding="utf-8")) if RUNS.exists() else []
    old = next((r for r in runs if r["label"] == label), None)
    if old is None:  # a label run set by set (--set tuning, then --set heldout) gathers both
        old = {"label": label, "sets": {}}
        runs.append(old)
    old["date"] = datetime.now(UTC).date().isoformat()
    old["sets"] = {**old["sets"], **figures}
    RUNS.write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    target = path or Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    text = target.read_text(encoding="utf-8")
    section = f"{START}\n{render(runs)}{END}"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    target.write_text(text, encoding="utf-8")


def render(runs: list[dict[str, Any]]) -> str:
    """The agent section: one row per recorded run and set, retrieval-only and any model."""
    lines = [
        "## Agent evaluation: tuning and held-out sets (`python -m bench.agent --set all`)",
        "",
        "Written by `python -m bench.agent --set all --write LABEL`. `tuning`: the 44",
        "questions the retrieval-only planner was tuned on (200-client demo, seed 42).",
        "`heldout`: 57 other questions over another demo (160 clients, seed 7), written before",
        "the planner's code was read for them; its baseline was measured first, and its",
        "misses then showed which general rules were missing, so after the fixes it is no",
        "longer unseen. `fresh`: 33 more questions over a third demo (180 clients, seed 11),",
        "written before the fixes and run only for the baseline and the final figures",
        "(bench/_agent_heldout.py). Truth derived by SQL (and list tools) at bench time;",
        "relative dates are relative to the day of the run. Precision: cited ids that are",
        "about the expected clients or messages. Language: the answer's own words (quotes",
        "aside) are in the question's language.",
        "",
        "| run | date | set | mode | n | accuracy | citation precision | in the question's "
        "language | median / p95 ms | per kind (correct/n) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for set_name, modes in run["sets"].items():
            for mode, f in modes.items():
                kinds = ", ".join(f"{k} {c}/{n}" for k, (c, n) in f["kinds"].items())
                precision = (
                    f"{f['citation_precision']:.1%}" if f["citation_precision"] is not None else "-"
                )
                lines.append(
                    f"| {run['label']} | {run['date']} | {set_name} | {mode} | {f['n']} | "
                    f"{f['accuracy']:.1%} | {precision} | {f['language']:.1%} | "
                    f"{f['median_ms']} / {f['p95_ms']} | {kinds} |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__)
    parser.add_argument("--set", choices=(*SETS, "both", "all"), default="tuning")
    parser.add_argument("--model", help="also grade this model (LiteLLM name or group)")
    parser.add_argument("--url", help="an already seeded database instead of a fresh demo")
    parser.add_argument("--only", help="only this kind of question")
    parser.add_argument("--write", metavar="LABEL", help="record the figures in BENCHMARKS.md")
    parser.add_argument(
        "--rewrite", action="store_true", help="only re-render BENCHMARKS.md from recorded runs"
    )
    args = parser.parse_args(argv)
    if args.rewrite:
        rewrite()
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main(sys.argv[1:])
