"""WhatsApp Business Platform (Cloud API) webhook payloads -> ingest records.

Meta's format: `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {"metadata": {"phone_number_id": ...}, "contacts": [...], "messages":
[...], "statuses": [...]}}]}]}`. Parsing is pure; the signature check is `verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tools.ingest import ClientIn, ConversationIn, MessageIn
from tools.statuses import STATUS_RANK, StatusIn
from tools.text import phone_digits

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
MAX_TEXT = 20_000


def verify_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether `X-Hub-Signature-256` is `sha256=` + HMAC-SHA256(body, app secret)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def sign(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` header value Meta sends for `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    """What one webhook delivery carries for one business phone number."""

    phone_number_id: str
    messages: list[MessageIn] = field(default_factory=list)
    statuses: list[StatusIn] = field(default_factory=list)


def _time(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _client(wa_id: str, name: str | None) -> ClientIn:
    digits = phone_digits(wa_id)
    phone = f"+{digits}" if digits else wa_id
    # The same keys a JSONL import derives from a phone, so both land on one client.
    return ClientIn(key=f"phone:{phone_digits(phone)}", name=name or phone, phone=phone)


def _marker(kind: str, detail: str | None = None) -> str:
    return f"[{kind}: {detail}]" if detail else f"[{kind}]"


def message_text(msg: dict[str, Any]) -> str:
    """A message's text, with media, reactions and other kinds as readable markers."""
    kind = str(msg.get("type") or "unknown")
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    assert isinstance(body, dict)
    if kind == "text":
        return str(body.get("body") or "")
    if kind in MEDIA_TYPES:
        detail = body.get("filename") if kind == "document" else None
        caption = str(body.get("caption") or "")
        marker = _marker(f"attachment {kind}", str(detail) if detail else None)
        return f"{marker} {caption}".strip()
    if kind == "reaction":
        emoji = str(body.get("emoji") or "")
        target = str(body.get("message_id") or "")
        return f"[reaction {emoji or 'removed'} to {target}]"
    if kind == "location":
        where = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        coords = f"{body.get('latitude')},{body.get('longitude')}"
        return _marker("location", f"{where} ({coords})" if where else coords)
    if kind == "contacts":
        names = [
            str((c.get("name") or {}).get("formatted_name") or "")
            for c in msg.get("contacts") or []
            if isinstance(c, dict)
        ]
        return _marker("contacts", ", ".join(n for n in names if n) or None)
    if kind == "button":
        return str(body.get("text") or body.get("payload") or "")
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title") or "") if isinstance(reply, dict) else ""
    return _marker(kind)


def _value_deliveries(value: dict[str, Any]) -> Delivery | None:
    metadata = value.get("metadata") or {}
    phone_number_id = str(metadata.get("phone_number_id") or "")
    if not phone_number_id:
        return None
    delivery = Delivery(phone_number_id)
    names = {
        str(c.get("wa_id")): (c.get("profile") or {}).get("name")
        for c in value.get("contacts") or []
        if isinstance(c, dict)
    }
    for msg in value.get("messages") or []:
        if not isinstance(msg, dict) or not msg.get("id") or not msg.get("from"):
            continue
        wa_id = str(msg["from"])
        client = _client(wa_id, names.get(wa_id))
        text = message_text(msg)[:MAX_TEXT]
        delivery.messages.append(
            MessageIn(
                client=client,
                conversation=ConversationIn(key=f"{client.key}:whatsapp", channel="whatsapp"),
                external_id=str(msg["id"])[:200],
                direction="inbound",
                sender=client.name,
                sent_at=_time(msg.get("timestamp")),
                text=text,
            )
        )
    for status in value.get("statuses") or []:
        if isinstance(status, dict) and status.get("status") in STATUS_RANK and status.get("id"):
            delivery.statuses.append(StatusIn(str(status["id"])[:200], str(status["status"])))
    return delivery


def parse(payload: Any) -> list[Delivery]:
    """Every message and status in a webhook payload, per business phone number id.

    Changes of other fields (account updates, templates) carry no messages and are skipped.
    """
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValueError(
            'not a WhatsApp Business webhook: "object" must be "whatsapp_business_account"'
        )
    merged: dict[str, Delivery] = {}
    for entry in payload.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            delivery = _value_deliveries(value) if isinstance(value, dict) else None
            if delivery is None:
                continue
            into = merged.setdefault(delivery.phone_number_id, Delivery(delivery.phone_number_id))
            into.messages += delivery.messages
            into.statuses += delivery.statuses
    return list(merged.values())
