"""Retrieval that understands words: stems, stop words, both languages, misspelt names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from server.app import build_server
from tests.answers.conftest import Book
from tests.server.test_tools import call, error
from tools.search import query_terms
from tools.settings import DEMO_OWNER

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(book: Book) -> AsyncIterator[Client]:
    """A session over the 40-client demo book."""
    async with Client(build_server(book.settings(DEMO_OWNER))) as session:
        yield session


@pytest.fixture
async def laura(book: Book) -> AsyncIterator[Client]:
    """A session over the four known clients."""
    async with Client(build_server(book.settings())) as session:
        yield session


async def texts(client: Client, query: str, **args: Any) -> list[str]:
    """Snippets of the hits, lower-cased."""
    result = await call(client, "search_messages", query=query, limit=50, **args)
    return [h["snippet"].lower() for h in result["hits"]]


def test_query_words_become_stemmed_terms_without_filler() -> None:
    assert [t.word for t in query_terms("Which clients are at risk right now?")] == ["risk", "now"]
    assert query_terms("a") == [] and query_terms("el de la que the of") == []
    deliveries = query_terms("deliveries")[0]
    assert deliveries.matches("delivery") and deliveries.matches("entregas")
    provexa = query_terms("Provexa")[0]
    assert provexa.matches("provexa") and not provexa.matches("proveedor")
    assert query_terms("facturas")[0].matches("invoice")


async def test_names_are_not_cut_into_prefixes(client: Client) -> None:
    hits = await texts(client, "Provexa")
    assert hits and all("provexa" in h for h in hits)
    assert not any("proveedor" in h and "provexa" not in h for h in hits)


async def test_word_endings_and_languages_meet(laura: Client) -> None:
    client = laura
    deliveries = await texts(client, "deliveries")
    assert any("delivery" in h for h in deliveries)
    # English words find the Spanish messages that say the same, and back.
    damaged = await texts(client, "damaged")
    assert any("dañada" in h for h in damaged) and any("damaged" in h for h in damaged)
    invoice = await texts(client, "invoice")
    assert any("factura" in h for h in invoice) and any("invoice" in h for h in invoice)
    retraso = await texts(client, "retraso")
    assert any("late" in h or "delivery" in h for h in retraso)


async def test_the_word_itself_outranks_its_vocabulary_expansions(client: Client) -> None:
    # "proforma" is in the invoice concept and rarer than "factura": without the weighting
    # its messages ranked first for the literal query "factura".
    hits = await texts(client, "factura")
    assert any("factur" not in h for h in hits)  # the expansions are still found...
    assert all("factur" in h for h in hits[:5]), hits[:5]  # ...after the word itself
    # A word the messages never use keeps its expansions whole: "invoice" over Spanish text.
    assert any("factura" in h for h in await texts(client, "invoice"))


async def test_filler_only_queries_are_refused_not_matched_to_everything(client: Client) -> None:
    for query in ("a", "x", "de la que", "what is the"):
        message = await error(client, "search_messages", query=query)
        assert "only common words" in message, query


async def test_misspelt_names_are_found(laura: Client) -> None:
    page = await call(laura, "search_clients", query="Begoña Muños")
    assert page["clients"][0]["name"] == "Begoña Muñoz"
    assert page["clients"][0]["match"] == "fuzzy"
    jhon = await call(laura, "search_clients", query="Jhon Smith")
    assert [c["name"] for c in jhon["clients"]] == ["John Smith"]
    exact = await call(laura, "search_clients", query="Pedro Ruiz")
    assert exact["clients"][0]["match"] == "exact"
    nothing = await call(laura, "search_clients", query="Zacarías Quintanilla")
    assert nothing["clients"] == []
