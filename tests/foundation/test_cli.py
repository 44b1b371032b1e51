"""The `wallie` command line as a user runs it: real processes, real databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WALLIE = str(Path(sys.executable).with_name("wallie"))
GOOD = (
    '{"client": {"id": "c1", "name": "Ana"}, "conversation": {"channel": "whatsapp"}, '
    '"message": {"id": "m%d", "direction": "inbound", "sent_at": "2026-11-20T10:00:00Z", '
    '"text": "hola %d"}}'
)


def run(*args: str, home: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `wallie` with its data in `home` (or the database at `url`)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["WALLIE_HOME"] = str(home)
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run([WALLIE, *args], env=env, capture_output=True, text=True, timeout=120)


def counts(home: Path, url: str | None = None) -> dict[str, int]:
    """The database's row counts, from `wallie db status --json`."""
    done = run("db", "status", "--json", home=home, url=url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    """An empty embedded home, or a PostgreSQL database upgraded with `wallie db upgrade`."""
    if request.param == "sqlite":
        return tmp_path, None
    url = request.getfixturevalue("postgres_url")
    assert run("db", "upgrade", home=tmp_path, url=url).returncode == 0
    return tmp_path, url


def test_version_and_help(tmp_path: Path) -> None:
    assert run("--version", home=tmp_path).stdout.startswith("wallie ")
    helped = run("--help", home=tmp_path)
    assert helped.returncode == 0
    for command in ("db", "demo", "import", "serve", "ask", "chat", "cache", "keys"):
        assert command in helped.stdout


def test_seed_status_and_import(target: tuple[Path, str | None], tmp_path: Path) -> None:
    home, url = target
    seeded = run("demo", "seed", "--clients", "20", "--json", home=home, url=url)
    assert seeded.returncode == 0, seeded.stderr
    summary = json.loads(seeded.stdout)
    assert summary["clients_added"] == 20 and summary["messages_added"] > 100
    status = counts(home, url)
    assert status["up_to_date"] is True and status["clients"] == 20
    assert status["messages"] == summary["messages_added"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOOD % (1, 1) + "\n" + '{"client": {}}\n' + GOOD % (3, 3) + "\n")
    failed = run("import", "jsonl", str(bad), home=home, url=url)
    assert failed.returncode == 2
    assert f"{bad}:2: " in failed.stderr and "nothing imported" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert counts(home, url)["messages"] == status["messages"]  # nothing was written

    partial = run("import", "jsonl", str(bad), "--skip-invalid", "--json", home=home, url=url)
    assert partial.returncode == 0, partial.stderr
    assert json.loads(partial.stdout)["messages_added"] == 2
    assert f"skipped {bad}:2:" in partial.stderr
    again = run("import", "jsonl", str(bad), "--skip-invalid", "--json", home=home, url=url)
    assert json.loads(again.stdout)["messages_added"] == 0


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = run("import", "jsonl", str(tmp_path / "nope.jsonl"), home=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    mysql = run("db", "status", home=tmp_path, url="mysql://root@localhost/x")
    assert mysql.returncode == 2
    assert mysql.stderr.strip().splitlines() == [
        "error: DATABASE_URL uses 'mysql'; Wallie supports postgresql:// and sqlite:// URLs"
    ]
    unknown = run("demo", "seed", "--bogus", home=tmp_path)
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    not_migrated = run("demo", "seed", home=tmp_path, url="sqlite:///" + str(tmp_path / "x.db"))
    assert not_migrated.returncode == 2 and "wallie db upgrade" in not_migrated.stderr
