"""Fixture files and helpers for the importer tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
WA = FIXTURES / "whatsapp"
MAIL = FIXTURES / "email"
ME = "Laura Gómez"
ME_MAIL = "laura@example.es"
