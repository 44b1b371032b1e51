"""`python -m bench.imports [--quick]`: import throughput and peak memory against parse-only floors.

WhatsApp: a generated Android export, imported by `wallie import whatsapp`'s code path
(parse, ingest with sentiment into a fresh SQLite database) against merely parsing the same
file with `whatstk`. Email: a generated mbox against the standard library's `mailbox` reading
every message and its body. Each run is a child process, so peak RSS is its own; two sizes
show whether memory stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CLIENT_LINES = [
    "Hola, ¿me pasas el presupuesto?",
    "El precio es demasiado caro para nosotros",
    "Perfecto, gracias 👍",
    "¿Cuándo llega el pedido?",
    "Vale, lo hablamos mañana",
]
_ME_LINES = ["Claro, te lo envío hoy.", "Puedo hacerte un 10% de descuento.", "¡A ti!"]


def make_whatsapp(path: Path, lines: int, seed: int = 1) -> int:
    """An Android export of about `lines` lines; returns its message count."""
    rng = random.Random(seed)
    messages = 0
    minute = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            "02/01/2026, 09:00 - Los mensajes y las llamadas están cifrados de extremo a extremo.\n"
        )
        written = 1
        while written < lines:
            minute += rng.randint(1, 30)
            day, rest = divmod(minute, 24 * 60)
            stamp = f"{(day % 28) + 1:02d}/{(day // 28) % 12 + 1:02d}/{2026 + day // 336}"
            clock = f"{rest // 60:02d}:{rest % 60:02d}"
            if rng.random() < 0.5:
                text = rng.choice(_CLIENT_LINES)
                author = "José García"
            else:
                text = rng.choice(_ME_LINES)
                author = "Laura Gómez"
            fh.write(f"{stamp}, {clock} - {author}: {text} {written}\n")
            written += 1
            messages += 1
            if rng.random() < 0.1:
                fh.write("segunda línea del mensaje\n")
                written += 1
    return messages


def make_mbox(path: Path, count: int, seed: int = 1) -> int:
    """An mbox of `count` messages in threads of five between one owner and 50 clients."""
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for i in range(count):
            client = f"cliente{i % 50}@empresa{i % 50}.es"
            outbound = i % 2 == 1
            sender, to = ("laura@example.es", client) if outbound else (client, "laura@example.es")
            root = f"<t{i // 5}@bench>"
            refs = f"References: {root}\nIn-Reply-To: {root}\n" if i % 5 else ""
            body = rng.choice(_CLIENT_LINES + _ME_LINES)
            fh.write(
                (
                    f"From {sender} Mon Nov  2 10:00:00 2026\n"
                    f"From: {sender}\nTo: {to}\nSubject: Re: Pedido {i // 5}\n"
                    f"Date: Mon, 02 Nov 2026 {10 + i % 10:02d}:{i % 60:02d}:00 +0100\n"
                    f"Message-ID: <m{i}@bench>\n{refs}"
                    "Content-Type: text/plain; charset=utf-8\n\n"
                    f"{body} {i}\n\n> texto citado\n\n"
                ).encode()
            )
    return count


def _child(task: str, path: Path) -> dict[str, float]:
    """Run one measurement in this process; returns seconds, messages and peak RSS (MiB)."""
    _preload(task)
    started = time.perf_counter()
    if task == "whatstk":
        from whatstk import WhatsAppChat

        messages = len(
            WhatsAppChat.from_source(
                filepath=str(path), hformat="%d/%m/%Y, %H:%M - %name:", max_size=None
            ).df
        )
    elif task == "mailbox":
        import mailbox

        messages = 0
        for messages, msg in enumerate(mailbox.mbox(str(path)), start=1):  # noqa: B007
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    part.get_payload(decode=True)
    elif task.endswith("-parse"):
        messages = _parse_only(task.removesuffix("-parse"), path)
    else:
        messages, started = asyncio.run(_import(task, path))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "messages": messages, "peak_rss_mib": peak}


def _preload(task: str) -> None:
    """Import the task's modules before the clock starts: module load is not throughput."""
    if task == "whatstk":
        import whatstk  # noqa: F401
    elif task.removesuffix("-parse") in ("whatsapp", "email"):
        import mailparser_reply  # noqa: F401

        import tools.importers.email
        import tools.importers.whatsapp  # noqa: F401
        from tools.ingest import default_scorer

        scorer = default_scorer()
        if scorer:
            scorer(["warm up"])


def _parse_only(task: str, path: Path) -> int:
    """Our parser alone (no database, no sentiment): where the import's time goes."""
    from zoneinfo import ZoneInfo

    if task == "whatsapp":
        from tools.importers.whatsapp import parse_chats

        files = parse_chats([path], me=["Laura Gómez"], tz=ZoneInfo("Europe/Madrid"))
    else:
        from tools.importers.email import parse_archives

        files = parse_archives([path], me=["laura@example.es"])
    return sum(1 for f in files for _ in f.records)


async def _import(task: str, path: Path) -> tuple[int, float]:
    """Messages imported into a fresh database, and when the clock started (after its setup)."""
    from zoneinfo import ZoneInfo

    from tools.db import Database
    from tools.importers import run_import
    from tools.ingest import default_scorer
    from tools.owners import ensure_owner

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{tmp}/bench.db")
        await db.upgrade()
        owner = await ensure_owner(db, "laura@example.es")
        started = time.perf_counter()
        if task == "whatsapp":
            from tools.importers.whatsapp import parse_chats

            files = parse_chats([path], me=["Laura Gómez"], tz=ZoneInfo("Europe/Madrid"))
        else:
            from tools.importers.email import parse_archives

            files = parse_archives([path], me=["laura@example.es"])
        summary = await run_import(db, owner, files, scorer=default_scorer())
        await db.dispose()
        return int(summary.totals()["messages_new"]), started


def _measure(task: str, path: Path) -> dict[str, float] | None:
    """One child run's figures, or None (with the child's last error line printed) if it failed."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--child", task, str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {task} on {path.name} failed (exit {done.returncode}): {last}", flush=True)
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _row(label: str, floor: dict[str, float] | None, run: dict[str, float] | None) -> str:
    if run is None:
        return f"{label:<34} import failed"
    rate = run["messages"] / run["seconds"]
    if floor is None:
        return (
            f"{label:<34} {int(run['messages']):>9} msgs  import {rate:>9,.0f} msg/s "
            f"({run['seconds']:.1f} s, {run['peak_rss_mib']:.0f} MiB)  floor failed"
        )
    floor_rate = floor["messages"] / floor["seconds"]
    return (
        f"{label:<34} {int(run['messages']):>9} msgs  import {rate:>9,.0f} msg/s "
        f"({run['seconds']:.1f} s, {run['peak_rss_mib']:.0f} MiB)  "
        f"floor {floor_rate:>9,.0f} msg/s ({floor['seconds']:.1f} s, "
        f"{floor['peak_rss_mib']:.0f} MiB)  ratio {run['seconds'] / floor['seconds']:.2f}x"
    )


def main() -> None:
    """Generate the inputs, measure import and floor at two sizes, print one line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Small sizes (under a minute).")
    parser.add_argument("--whatsapp-lines", help="Comma-separated sizes, e.g. 250000,1000000.")
    parser.add_argument("--mbox-messages", help="Comma-separated sizes, e.g. 25000,100000.")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], Path(args.child[1]))))
        return
    wa_sizes = [5_000, 20_000] if args.quick else [250_000, 1_000_000]
    mail_sizes = [1_000, 4_000] if args.quick else [25_000, 100_000]
    if args.whatsapp_lines is not None:
        wa_sizes = [int(n) for n in args.whatsapp_lines.split(",") if n]
    if args.mbox_messages is not None:
        mail_sizes = [int(n) for n in args.mbox_messages.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp:
        for lines in wa_sizes:
            path = Path(tmp) / f"chat-{lines}.txt"
            make_whatsapp(path, lines)
            _compare(f"whatsapp {lines:,} lines", path, "whatstk", "whatsapp")
        for count in mail_sizes:
            path = Path(tmp) / f"mail-{count}.mbox"
            make_mbox(path, count)
            _compare(f"mbox {count:,} messages", path, "mailbox", "email")


def _compare(label: str, path: Path, floor_task: str, task: str) -> None:
    """Print the import and our parser alone against the floor, all run on `path`."""
    size = path.stat().st_size / 2**20
    floor, run = _measure(floor_task, path), _measure(task, path)
    print(_row(f"{label} ({size:.0f} MiB)", floor, run), flush=True)
    print(_row("  of which our parser alone", floor, _measure(f"{task}-parse", path)), flush=True)


if __name__ == "__main__":
    main()
