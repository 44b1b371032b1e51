"""HTTP routes for live data: the WhatsApp Cloud API webhook, the ingest API, the event stream."""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from tools import events as ev
from tools.channels import APP_SECRET_ENV, VERIFY_TOKEN_ENV, channel_owner, secret
from tools.ingest import IngestReport, MessageIn, default_scorer, ingest
from tools.jsonl import parse_record
from tools.owners import ensure_owner
from tools.webhooks import whatsapp_cloud

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from server._state import ServerState

log = logging.getLogger("wallie.webhooks")

MAX_BODY = 5 * 1024 * 1024
MAX_BATCH = 1000
_EVENT_ID = re.compile(r"^[0-9]{1,20}-[0-9]{1,20}$")
_PARTS = re.compile(r"; (?=(?:client|conversation|message)\b)")
_FIELD = re.compile(r'^"?((?:client|conversation|message)(?:\.[a-z_]+)?)"?\b')


def register(app: MCPServer[Any], state: ServerState) -> None:
    """Register the webhook, `POST /api/messages` and `GET /api/events` on the HTTP app.

    With API keys on (`build_server(auth_url=...)`) the API needs one; without, it acts as
    WALLIE_OWNER, like `/mcp` does.
    """
    from server.auth import ApiKeyVerifier

    require_key = app.settings.auth is not None
    verifier = ApiKeyVerifier(state)
    # The sentiment model is read when the first message arrives, not when the server starts.
    scorer = cache(default_scorer)

    async def owner_of(request: Request) -> str | None:
        """The API key's owner (or WALLIE_OWNER when the server runs without keys)."""
        if not require_key:
            return state.settings.owner
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        access = await verifier.verify_token(token.strip())
        return access.subject if access is not None else None

    def unauthorized() -> Response:
        return JSONResponse(
            {"error": "an API key is required: Authorization: Bearer wal_... (wallie keys create)"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="wallie"'},
        )

    @app.custom_route("/webhooks/whatsapp", methods=["GET"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def whatsapp_verify(request: Request) -> Response:
        params = request.query_params
        token = secret(VERIFY_TOKEN_ENV)
        given = params.get("hub.verify_token", "")
        if (
            token
            and params.get("hub.mode") == "subscribe"
            and hmac.compare_digest(given.encode(), token.encode())
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", status_code=403)

    @app.custom_route("/webhooks/whatsapp", methods=["POST"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def whatsapp_deliver(request: Request) -> Response:
        app_secret = secret(APP_SECRET_ENV)
        if not app_secret:
            return JSONResponse({"error": f"{APP_SECRET_ENV} is not set"}, status_code=503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        signature = request.headers.get("x-hub-signature-256")
        if not whatsapp_cloud.verify_signature(app_secret, body, signature):
            return JSONResponse({"error": "bad or missing X-Hub-Signature-256"}, status_code=401)
        try:
            deliveries = whatsapp_cloud.parse(json.loads(body))
        except (ValueError, UnicodeDecodeError) as exc:
            return JSONResponse({"error": str(exc)[:200]}, status_code=400)
        stored = {"messages_added": 0, "messages_skipped": 0, "statuses_updated": 0}
        for delivery in deliveries:
            owner_id = await channel_owner(state.database, "whatsapp", delivery.phone_number_id)
            if owner_id is None:
                # Answer 200 all the same: Meta would retry a number nobody here serves.
                log.warning("webhook for unlinked phone number id %s", delivery.phone_number_id)
                continue
            report = await ingest(
                state.database,
                owner_id,
                delivery.messages,
                statuses=delivery.statuses,
                scorer=scorer(),
            )
            for key in stored:
                stored[key] += getattr(report, key)
        return JSONResponse({"ok": True, **stored})

    @app.custom_route("/api/messages", methods=["POST"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def post_messages(request: Request) -> Response:
        owner = await owner_of(request)
        if owner is None:
            return unauthorized()
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": f"body over {MAX_BODY} bytes"}, status_code=413)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _invalid([{"index": None, "field": "body", "reason": f"invalid JSON: {exc}"}])
        records = payload if isinstance(payload, list) else [payload]
        if not records or len(records) > MAX_BATCH:
            reason = f"send 1 to {MAX_BATCH} records per request, got {len(records)}"
            return _invalid([{"index": None, "field": "body", "reason": reason}])
        messages, errors = _parse_records(records)
        if errors:
            return _invalid(errors)
        owner_id = await _owner_id(state, owner)
        report = await ingest(state.database, owner_id, messages, scorer=scorer())
        return JSONResponse(_stored(messages, report), status_code=200)

    @app.custom_route("/api/events", methods=["GET"], include_in_schema=False)  # type: ignore[untyped-decorator]
    async def event_stream(request: Request) -> Response:
        owner = await owner_of(request)
        if owner is None:
            return unauthorized()
        resume = request.headers.get("last-event-id") or request.query_params.get("after")
        if resume is not None and not _EVENT_ID.match(resume):
            return JSONResponse(
                {"error": f"Last-Event-ID must look like 1732600000000-0, got {resume[:40]!r}"},
                status_code=400,
            )
        types = {t for t in request.query_params.get("types", "").split(",") if t}
        if unknown := types - set(ev.EVENT_TYPES):
            return JSONResponse(
                {"error": f"unknown event types {sorted(unknown)}; use {list(ev.EVENT_TYPES)}"},
                status_code=400,
            )
        owner_id = await _owner_id(state, owner)
        bus = ev.get_bus(state.settings)
        after = resume or await bus.last_id(owner_id)
        return EventSourceResponse(
            _sse(bus, owner_id, after, types),
            ping=state.settings.sse_heartbeat,
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


async def _sse(
    bus: ev.MemoryEventBus | ev.RedisEventBus, owner_id: int, after: str, types: set[str]
) -> AsyncIterator[ServerSentEvent]:
    # The first frame tells the client how long to wait before reconnecting.
    yield ServerSentEvent(comment="wallie events", retry=2000)
    while True:
        for event in await bus.read(owner_id, after, wait=10.0):
            after = event.id or after
            if types and event.type not in types:
                continue
            yield ServerSentEvent(data=event.model_dump_json(), event=event.type, id=event.id)


async def _owner_id(state: ServerState, email: str) -> int:
    """The owner's id (created on its first write), remembered for the process."""
    if email not in state.owner_ids:
        state.owner_ids[email] = await ensure_owner(state.database, email)
    return state.owner_ids[email]


def _invalid(errors: list[dict[str, Any]]) -> Response:
    return JSONResponse({"error": "nothing was stored", "errors": errors}, status_code=422)


def _parse_records(records: list[Any]) -> tuple[list[MessageIn], list[dict[str, Any]]]:
    """Every record parsed, or the errors of the bad ones (index, field, reason)."""
    messages: list[MessageIn] = []
    errors: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        try:
            messages.append(parse_record(record))
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"]) or "record"
                errors.append({"index": index, "field": field, "reason": error["msg"]})
        except ValueError as exc:
            for part in _PARTS.split(str(exc)):
                found = _FIELD.match(part)
                errors.append(
                    {"index": index, "field": found.group(1) if found else "record", "reason": part}
                )
    return messages, errors


def _stored(messages: list[MessageIn], report: IngestReport) -> dict[str, Any]:
    """The ingest API's answer: per record, whether it was new and the ids it has."""
    created: dict[str, list[ev.MessageCreated]] = {}
    for event in report.changes.messages if report.changes else ():
        created.setdefault(event.external_id, []).append(event)
    results = []
    for index, message in enumerate(messages):
        made = created.get(message.external_id)
        new = made.pop(0) if made else None
        results.append(
            {
                "index": index,
                "external_id": message.external_id,
                "created": new is not None,
                "message_id": new.message_id if new else None,
                "conversation_id": new.conversation_id if new else None,
                "client_id": new.client_id if new else None,
            }
        )
    return {**report.as_dict(), "messages": results}
