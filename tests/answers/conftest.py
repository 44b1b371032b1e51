"""Known clients (relative to today) plus a small demo book, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import built_database
from tests.server.conftest import OTHER, OWNER
from tests.server.conftest import Dataset as Book  # the same owner and settings
from tools.db import Database
from tools.demo import DemoSpec, generate
from tools.ingest import ClientIn, ConversationIn, MessageIn, default_scorer, ingest
from tools.owners import ensure_owner
from tools.settings import DEMO_OWNER

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

BEGONA = ClientIn(
    key="b",
    name="Begoña Muñoz",
    phone="+34 611 22 33 44",
    company="Hotel Mar",
    industry="hostelería",
)
JOHN = ClientIn(
    key="j", name="John Smith", email="john@shop.co.uk", company="Shop Ltd", industry="retail"
)
MARIA = ClientIn(key="m", name="María López", company="Clínica Sur", industry="salud")
PEDRO = ClientIn(key="p", name="Pedro Ruiz", company="Transportes Ebro", industry="logística")


def _thread(
    client: ClientIn,
    channel: str,
    outcome: str,
    score: float,
    texts: list[tuple[int, str, str]],
) -> list[MessageIn]:
    conv = ConversationIn(
        key=f"{client.key}-{channel}",
        channel=channel,
        outcome=outcome,
        status="active" if outcome == "open" else "closed",
        success_score=score,
    )
    return [
        MessageIn(
            client=client,
            conversation=conv,
            external_id=f"{client.key}-{i}",
            direction=direction,
            sender=client.name if direction == "inbound" else "Laura",
            sent_at=NOW - timedelta(days=days),
            text=text,
        )
        for i, (days, direction, text) in enumerate(texts)
    ]


def known_messages() -> list[MessageIn]:
    """Four clients whose list answers the tests know."""
    return [
        *_thread(
            BEGONA,
            "whatsapp",
            "open",
            0.3,
            [
                (12, "inbound", "Hola, todo perfecto con el último pedido, gracias!"),
                (11, "outbound", "¡Genial Begoña!"),
                (5, "inbound", "Estamos pensando en cambiar de proveedor, no estamos contentos."),
                (4, "inbound", "Muy mal servicio, el envío llegó con la caja dañada. Fatal."),
            ],
        ),
        *_thread(
            JOHN,
            "email",
            "won",
            0.9,
            [
                (6, "inbound", "Our last delivery arrived late and damaged, the box was broken."),
                (4, "inbound", "Let's go ahead with 20 units, send the invoice please."),
                (3, "outbound", "Fantastic, invoice on its way."),
                (2, "inbound", "Paid. Great service, thanks a lot!"),
            ],
        ),
        *_thread(
            MARIA,
            "sms",
            "lost",
            0.1,
            [
                (41, "inbound", "Al final nos vamos con Provexa, su oferta era más barata."),
                (40, "outbound", "Entendido, gracias por avisar."),
            ],
        ),
        *_thread(
            PEDRO,
            "whatsapp",
            "open",
            0.6,
            [
                (
                    3,
                    "inbound",
                    "¿Me pasas el presupuesto y la factura proforma de las etiquetadoras?",
                ),
                (1, "outbound", "Te lo envío hoy mismo."),
            ],
        ),
    ]


def other_messages() -> list[MessageIn]:
    """Another salesperson's unhappy client: must never show up."""
    twin = ClientIn(key="b", name="Begoña Muñoz", company="Secreta SL", industry="hostelería")
    return _thread(
        twin,
        "whatsapp",
        "open",
        0.2,
        [
            (6, "inbound", "Nos vamos con otro proveedor, fatal todo."),
            (5, "inbound", "Muy mal, no estamos contentos."),
        ],
    )


async def _build(url: str) -> None:
    db = Database.from_url(url)
    await db.upgrade()
    scorer = default_scorer()
    await ingest(db, await ensure_owner(db, OWNER), known_messages(), scorer=scorer)
    await ingest(db, await ensure_owner(db, OTHER), other_messages(), scorer=scorer)
    demo = await ensure_owner(db, DEMO_OWNER)
    await ingest(db, demo, generate(DemoSpec(clients=40)), scorer=scorer)
    await db.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Book]:
    """The data, built once per backend."""
    for url in built_database(request, tmp_path_factory, _build):
        yield Book(url, request.param)
