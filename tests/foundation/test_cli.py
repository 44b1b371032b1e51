"""The `wallie` command line: what a user types and exactly what it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from tools.settings import get_settings
from wallie import __version__
from wallie.cli import app

WALLIE = str(Path(sys.executable).with_name("wallie"))
GOOD = (
    '{"client": {"id": "c1", "name": "Ana"}, "conversation": {"channel": "whatsapp"}, '
    '"message": {"id": "m%d", "direction": "inbound", "sent_at": "2026-11-20T10:00:00Z", '
    '"text": "hola %d"}}'
)
Wallie = Callable[..., Result]


@pytest.fixture
def wallie(tmp_path: Path) -> Wallie:
    """Run `wallie ARGS` in-process with its data in a fresh home (or at `url`)."""

    def run(*args: str, url: str | None = None) -> Result:
        env = {"WALLIE_HOME": str(tmp_path), "DATABASE_URL": url, "REDIS_URL": None}
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()

    return run


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, wallie: Wallie) -> str | None:
    """The embedded default (None), or a PostgreSQL database upgraded with `wallie db upgrade`."""
    if request.param == "sqlite":
        return None
    pg: str = request.getfixturevalue("postgres_url")
    assert wallie("db", "upgrade", url=pg).exit_code == 0
    return pg


def counts(wallie: Wallie, url: str | None) -> dict[str, int]:
    """The database's row counts, from `wallie db status --json`."""
    done = wallie("db", "status", "--json", url=url)
    assert done.exit_code == 0, done.stderr
    status: dict[str, int] = json.loads(done.stdout)
    return status


def test_the_installed_command_runs() -> None:
    """One real process: the console script is installed and starts."""
    done = subprocess.run([WALLIE, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"wallie {__version__}\n", "")


def test_version_and_commands(wallie: Wallie) -> None:
    assert wallie("--version").stdout == f"wallie {__version__}\n"
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = sorted(root.list_commands(typer.Context(root)))
    assert commands == [
        "ask",
        "cache",
        "channels",
        "chat",
        "db",
        "demo",
        "embed",
        "events",
        "import",
        "keys",
        "runs",
        "sentiment",
        "serve",
    ]


def test_seed_status_and_import(wallie: Wallie, url: str | None, tmp_path: Path) -> None:
    seeded = wallie("demo", "seed", "--clients", "20", "--json", url=url)
    assert seeded.exit_code == 0, seeded.stderr
    summary = json.loads(seeded.stdout)
    assert (summary["clients_added"], summary["messages_skipped"]) == (20, 0)
    status = counts(wallie, url)
    assert status["up_to_date"] is True and status["clients"] == 20
    assert status["messages"] == summary["messages_added"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text(GOOD % (1, 1) + "\n" + '{"client": {}}\n' + GOOD % (3, 3) + "\n")
    failed = wallie("import", "jsonl", str(bad), url=url)
    assert (failed.exit_code, failed.stdout) == (2, "")
    first, second = failed.stderr.splitlines()
    assert first == "error: 1 invalid line(s), nothing imported:"
    assert second.startswith(f"{bad}:2: ")
    assert counts(wallie, url)["messages"] == status["messages"]  # nothing was written

    partial = wallie("import", "jsonl", str(bad), "--skip-invalid", "--json", url=url)
    assert partial.exit_code == 0, partial.stderr
    report = json.loads(partial.stdout)
    assert (report["invalid_lines"], report["messages_added"]) == (1, 2)
    assert partial.stderr == second.replace(f"{bad}:2:", f"skipped {bad}:2:", 1) + "\n"
    again = wallie("import", "jsonl", str(bad), "--skip-invalid", "--json", url=url)
    assert json.loads(again.stdout)["messages_added"] == 0
    assert counts(wallie, url)["messages"] == status["messages"] + 2


def test_errors_are_one_line_and_exit_2(wallie: Wallie, tmp_path: Path) -> None:
    missing = wallie("import", "jsonl", str(tmp_path / "nope.jsonl"))
    assert (missing.exit_code, missing.stderr) == (
        2,
        f"error: {tmp_path / 'nope.jsonl'}: no such file\n",
    )
    mysql = wallie("db", "status", url="mysql://root@localhost/x")
    assert (mysql.exit_code, mysql.stderr) == (
        2,
        "error: DATABASE_URL uses 'mysql'; Wallie supports postgresql:// and sqlite:// URLs\n",
    )
    unknown = wallie("demo", "seed", "--bogus")
    assert unknown.exit_code == 2 and "No such option: --bogus" in unknown.stderr
    empty = f"sqlite:///{tmp_path / 'x.db'}"
    not_migrated = wallie("demo", "seed", url=empty)
    assert (not_migrated.exit_code, not_migrated.stderr) == (
        2,
        f"error: sqlite+aiosqlite:///{tmp_path / 'x.db'} is at an empty schema, not "
        f"{counts(wallie, None)['head']}: run `wallie db upgrade`\n",
    )
