"""Consoles and small output helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

# Data goes to stdout; progress, notes and errors to stderr (so `--json` output stays clean).
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str) -> typer.Exit:
    """Print one clear error line and return the exit (code 2) to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)
