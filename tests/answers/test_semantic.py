"""Semantic retrieval through LiteLLM: a deterministic local embedding model registered as a
LiteLLM custom provider, so the server's real path (LiteLLM -> storage -> vector ranking ->
fusion) runs end to end without a network or a model download."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import litellm
import pytest
from litellm import CustomLLM
from litellm.types.utils import Embedding, EmbeddingResponse
from mcp import Client

from server.app import build_server
from tests.answers.conftest import OWNER, Book
from tests.server.test_tools import call
from tools.db import Database
from tools.errors import ConfigError
from tools.owners import owner_id
from tools.search import embed_pending, litellm_embedder, pending
from tools.settings import Settings
from tools.text import words

pytestmark = pytest.mark.anyio
MODEL = "wallie-test/concepts"
# Meanings the sales vocabulary does not know: only the embedding model links these words.
CONCEPTS = [
    {"awful", "fatal", "terrible", "mal", "verguenza", "unacceptable"},
    {"thanks", "gracias", "thank", "encantados"},
    {"units", "unidades", "lote", "boxes"},
]


def concept_vector(text: str) -> list[float]:
    """A deterministic embedding: concept counts plus hashed words."""
    vector = [0.0] * (len(CONCEPTS) + 32)
    for w in words(text):
        for i, concept in enumerate(CONCEPTS):
            if w in concept:
                vector[i] += 1.0
        vector[len(CONCEPTS) + zlib.crc32(w.encode()) % 32] += 0.05
    return vector


class ConceptModel(CustomLLM):  # type: ignore[misc]
    """A LiteLLM provider that embeds locally with concept_vector."""

    async def aembedding(self, model: str, input: list[str], **kwargs: Any) -> EmbeddingResponse:
        data = [
            Embedding(embedding=concept_vector(t), index=i, object="embedding")
            for i, t in enumerate(input)
        ]
        return EmbeddingResponse(model=model, data=data)


@pytest.fixture(autouse=True)
def provider() -> Iterator[None]:
    """Register the local model with LiteLLM for this test only."""
    saved = litellm.custom_provider_map
    litellm.custom_provider_map = [{"provider": "wallie-test", "custom_handler": ConceptModel()}]
    yield
    litellm.custom_provider_map = saved


def settings(book: Book, **extra: Any) -> Settings:
    """Laura's settings with the local embedding model, cache off (each call computes)."""
    return Settings(
        DATABASE_URL=book.url,
        WALLIE_OWNER=OWNER,
        REDIS_URL=None,
        WALLIE_CACHE_TTL=0,
        WALLIE_EMBEDDING_MODEL=MODEL,
        **extra,
    )


@pytest.fixture
async def session(book: Book) -> AsyncIterator[Client]:
    """An MCP session whose server embeds through LiteLLM."""
    async with Client(build_server(settings(book))) as client:
        yield client


async def test_fused_search_finds_what_the_words_alone_miss(book: Book, session: Client) -> None:
    result = await call(session, "search_messages", query="awful")
    assert result["retrieval"].startswith(f"fused: full-text + semantic ({MODEL}, numpy sign-bit")
    assert "fatal" in result["hits"][0]["snippet"].lower()
    # The same query without the model: no indexed word matches "awful".
    async with Client(build_server(Settings(DATABASE_URL=book.url, WALLIE_OWNER=OWNER))) as plain:
        bare = await call(plain, "search_messages", query="awful")
    assert bare["hits"] == [] and "no embedding model" in bare["retrieval"]


async def test_fusion_keeps_full_text_hits_first_when_both_agree(session: Client) -> None:
    result = await call(session, "search_messages", query="gracias")
    top = [h["snippet"].lower() for h in result["hits"][:2]]
    assert all("gracias" in s or "thanks" in s for s in top)


async def test_embedding_is_incremental_and_resumable(book: Book) -> None:
    db = Database.from_url(book.url)
    try:
        owner = await owner_id(db, "otro@example.es")
        embedder = litellm_embedder(MODEL)
        before = await pending(db, owner, MODEL)
        assert before > 0
        assert await embed_pending(db, owner, embedder, limit=1) == 1
        assert await pending(db, owner, MODEL) == before - 1
        assert await embed_pending(db, owner, embedder) == before - 1
        assert await pending(db, owner, MODEL) == 0
        assert await embed_pending(db, owner, embedder) == 0
    finally:
        await db.dispose()


async def test_litellm_mock_embedding_and_a_clear_error_on_a_bad_model() -> None:
    one = litellm_embedder("text-embedding-3-small", mock_response=[0.1, 0.2, 0.3])
    assert await one.embed(["hola"]) == [[0.1, 0.2, 0.3]]
    with pytest.raises(ConfigError, match="returned 1 vectors for 2 texts"):
        await one.embed(["hola", "adiós"])
