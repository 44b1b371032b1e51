"""The WhatsApp Cloud API webhook: handshake, signatures, every payload type, retries, statuses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.live.conftest import (
    APP_SECRET,
    OWNER,
    VERIFY_TOKEN,
    Live,
    fixture,
    in_process,
)
from tools import events as ev
from tools.db import Database
from tools.models import Client, Message, Owner
from tools.webhooks.whatsapp_cloud import sign

pytestmark = pytest.mark.anyio


async def _deliver(
    client: httpx.AsyncClient, payload: dict[str, Any], secret: str = APP_SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await client.post(
        "/webhooks/whatsapp",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)},
    )


async def _rows(live: Live) -> list[dict[str, Any]]:
    db = Database.from_url(live.url)
    try:
        async with db.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    Message.external_id,
                    Message.text,
                    Message.direction,
                    Message.status,
                    Message.channel,
                    Client.name,
                    Client.phone,
                )
                .join(Client, Client.id == Message.client_id)
                .order_by(Message.id)
            )
            return [dict(r._mapping) for r in rows.all()]
    finally:
        await db.dispose()


async def test_verification_handshake(live: Live) -> None:
    async with in_process(live) as client:
        ok = await client.get(
            "/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        wrong = await client.get(
            "/webhooks/whatsapp",
            params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
        )
        no_mode = await client.get(
            "/webhooks/whatsapp", params={"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}
        )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert wrong.status_code == 403
    assert no_mode.status_code == 403


@pytest.mark.parametrize(
    "header",
    [None, "sha256=" + "0" * 64, "sha1=abc", "signed-with-another-secret"],
)
async def test_bad_or_missing_signature_is_401_and_stores_nothing(
    live: Live, header: str | None
) -> None:
    body = json.dumps(fixture("text.json")).encode()
    headers = {"Content-Type": "application/json"}
    if header == "signed-with-another-secret":
        header = sign("not-the-app-secret", body)
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    async with in_process(live) as client:
        response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
    assert response.status_code == 401
    assert await _rows(live) == []


async def test_a_body_changed_after_signing_is_rejected(live: Live) -> None:
    body = json.dumps(fixture("text.json")).encode()
    signature = sign(APP_SECRET, body)
    tampered = body.replace(b"another color", b"a discount now")
    async with in_process(live) as client:
        response = await client.post(
            "/webhooks/whatsapp", content=tampered, headers={"X-Hub-Signature-256": signature}
        )
    assert response.status_code == 401
    assert await _rows(live) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("text.json", "Does it come in another color?"),
        ("image.json", "[attachment image] This is the one I mean"),
        ("document.json", "[attachment document: factura-112.pdf] Our invoice"),
        ("audio.json", "[attachment audio]"),
        ("video.json", "[attachment video] Mira el vídeo"),
        ("sticker.json", "[attachment sticker]"),
        (
            "reaction.json",
            "[reaction 😀 to wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA]",
        ),
        (
            "location.json",
            "[location: Main Office, 1 Hacker Way, Menlo Park, CA 94025 (37.483307,-122.148981)]",
        ),
        ("button.json", "Sí, confirmo"),
        ("unsupported.json", "[unsupported]"),
    ],
)
async def test_every_message_type_is_stored_with_the_contact(
    live: Live, name: str, text: str
) -> None:
    payload = fixture(name)
    async with in_process(live) as client:
        response = await _deliver(client, payload)
    assert response.status_code == 200
    assert response.json()["messages_added"] == 1
    [row] = await _rows(live)
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert row == {
        "external_id": wamid,
        "text": text,
        "direction": "inbound",
        "status": None,
        "channel": "whatsapp",
        "name": "Sheena Nelson",
        "phone": "+16505551234",
    }


async def test_a_retried_delivery_stores_one_message_and_one_event(live: Live) -> None:
    bus = ev.get_bus(live.settings())
    async with in_process(live) as client:
        first = await _deliver(client, fixture("text.json"))
        again = await _deliver(client, fixture("text.json"))
    assert first.json()["messages_added"] == 1
    assert (again.json()["messages_added"], again.json()["messages_skipped"]) == (0, 1)
    assert len(await _rows(live)) == 1
    owner_events = await bus.read(1, "0-0", wait=0.1)
    assert [e.type for e in owner_events] == ["client.created", "message.created"]


def _outbound(wamid: str) -> dict[str, Any]:
    """The salesperson's reply, sent through the Cloud API and recorded with its wamid."""
    return {
        "client": {"name": "Sheena Nelson", "phone": "+16505551234"},
        "conversation": {"channel": "whatsapp"},
        "message": {
            "id": wamid,
            "direction": "outbound",
            "sent_at": "2026-11-26T10:00:00Z",
            "text": "We have it in blue and green.",
        },
    }


async def test_statuses_move_the_outbound_message_forward_only(live: Live) -> None:
    async with in_process(live) as client:
        posted = await client.post(
            "/api/messages",
            json=_outbound("wamid.OUTBOUND-1"),
            headers={"Authorization": f"Bearer {live.key}"},
        )
        assert posted.status_code == 200
        seen = []
        for status in ("sent", "read", "delivered"):  # Meta may deliver "delivered" late
            response = await _deliver(client, fixture(f"status_{status}.json"))
            assert response.status_code == 200
            seen.append((await _rows(live))[0]["status"])
        failed = await _deliver(client, fixture("status_failed.json"))  # an id we never sent
    assert seen == ["sent", "read", "read"]
    assert failed.json()["statuses_updated"] == 0
    bus = ev.get_bus(live.settings())
    statuses = [e for e in await bus.read(1, "0-0", wait=0.1) if isinstance(e, ev.MessageStatus)]
    assert [(e.external_id, e.status) for e in statuses] == [
        ("wamid.OUTBOUND-1", "sent"),
        ("wamid.OUTBOUND-1", "read"),
    ]


async def test_a_failed_status_marks_the_message(live: Live) -> None:
    async with in_process(live) as client:
        await client.post(
            "/api/messages",
            json=_outbound("wamid.OUTBOUND-2"),
            headers={"Authorization": f"Bearer {live.key}"},
        )
        response = await _deliver(client, fixture("status_failed.json"))
    assert response.json()["statuses_updated"] == 1
    assert (await _rows(live))[0]["status"] == "failed"


async def test_unlinked_numbers_and_other_fields_store_nothing(live: Live) -> None:
    payload = fixture("text.json")
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"
    account_update = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}],
            }
        ],
    }
    async with in_process(live) as client:
        unlinked = await _deliver(client, payload)
        other = await _deliver(client, account_update)
        not_whatsapp = await _deliver(client, {"object": "page", "entry": []})
    assert unlinked.status_code == 200 and unlinked.json()["messages_added"] == 0
    assert other.status_code == 200 and other.json()["messages_added"] == 0
    assert not_whatsapp.status_code == 400
    assert await _rows(live) == []


async def test_the_number_goes_to_its_owner_only(live: Live) -> None:
    async with in_process(live) as client:
        await _deliver(client, fixture("text.json"))
    db = Database.from_url(live.url)
    try:
        async with db.connect() as conn:
            owners = await conn.execute(
                sa.select(Owner.email).join(Message, Message.owner_id == Owner.id).distinct()
            )
            emails = owners.scalars().all()
    finally:
        await db.dispose()
    assert emails == [OWNER]
