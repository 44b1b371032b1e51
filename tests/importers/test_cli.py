"""`wallie import whatsapp|email` as a user runs them: exit codes, one-line errors, --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.importers.conftest import MAIL, ME, ME_MAIL, WA

WALLIE = str(Path(sys.executable).with_name("wallie"))


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(WALLIE_HOME=str(home), WALLIE_OWNER=ME_MAIL)
    return subprocess.run([WALLIE, *args], env=env, capture_output=True, text=True, timeout=120)


def test_whatsapp_json_summary_then_reimport(tmp_path: Path) -> None:
    chat = str(WA / "WhatsApp Chat with Ana Ruiz.txt")
    args = ("import", "whatsapp", chat, "--me", ME, "--tz", "Europe/Madrid", "--json")
    first = run(*args, home=tmp_path)
    assert first.returncode == 0, first.stderr
    totals = json.loads(first.stdout)["totals"]
    assert (totals["files"], totals["messages_new"], totals["attachments"]) == (1, 4, 1)
    second = json.loads(run(*args, home=tmp_path).stdout)["totals"]
    assert (second["messages_new"], second["messages_already_stored"]) == (0, 4)


def test_dry_run_and_human_summary(tmp_path: Path) -> None:
    done = run("import", "email", str(MAIL / "inbox.mbox"), "--dry-run", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "messages 4 new / 0 already stored" in done.stderr
    assert "3 skipped (3 bulk/lists)" in done.stderr
    assert "dry run: nothing was written" in done.stderr
    status = json.loads(run("db", "status", "--json", home=tmp_path).stdout)
    assert status["messages"] == 0


def test_bad_inputs_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        (("whatsapp", str(WA / "notes.txt")), "not a WhatsApp chat export"),
        (("whatsapp", str(WA / "photo.txt")), "binary file"),
        (("whatsapp", str(WA / "WhatsApp Chat with Undecided.txt"), "--me", ME), "--date-order"),
        (("whatsapp", str(WA / "Omar.txt")), "no such file or folder"),
        (("whatsapp", str(WA / "WhatsApp Chat with Omar.txt"), "--tz", "Mars/Base"), "--tz"),
        (("email", str(MAIL / "not-mail.mbox")), "not an email archive"),
        (("email", str(WA / "empty.txt")), "empty file"),
    ]
    for args, reason in cases:
        done = run("import", *args, home=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert reason in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_failed_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = WA / "WhatsApp Chat with Bad Line.txt"
    done = run("import", "whatsapp", str(bad), "--me", ME, home=tmp_path)
    assert done.returncode == 2
    assert f"{bad}:2: invalid date or time" in done.stderr
    kept = run("import", "whatsapp", str(bad), "--me", ME, "--skip-invalid", home=tmp_path)
    assert kept.returncode == 0 and f"skipped {bad}:2:" in kept.stderr
