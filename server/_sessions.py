"""A cap on live MCP sessions per API key, so one key cannot exhaust the server."""

from __future__ import annotations

import hashlib
import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_HEADER = b"mcp-session-id"


class SessionCap:
    """ASGI middleware: a key may hold `per_key` sessions active within `idle_timeout`.

    The SDK expires a session after the same idle time, so a session unseen for that long
    no longer counts; a DELETE ends one at once.
    """

    def __init__(self, app: ASGIApp, per_key: int, idle_timeout: float) -> None:
        self.app = app
        self.per_key = per_key
        self.idle_timeout = idle_timeout
        self._seen: dict[str, dict[str, float]] = {}  # key digest -> session id -> last use

    def _live(self, key: str, now: float) -> dict[str, float]:
        sessions = self._seen.setdefault(key, {})
        for sid, last in list(sessions.items()):
            if now - last > self.idle_timeout:
                del sessions[sid]
        return sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a new session over the key's cap; remember the sessions it opens."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()
        now = time.monotonic()
        sessions = self._live(key, now)
        sid = headers.get(SESSION_HEADER, b"").decode("latin-1")
        if sid:
            if scope["method"] == "DELETE":
                sessions.pop(sid, None)
            elif sid in sessions:
                sessions[sid] = now
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and len(sessions) >= self.per_key:
            await _too_many(send, self.per_key, self.idle_timeout)
            return

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if name.lower() == SESSION_HEADER:
                        sessions[value.decode("latin-1")] = time.monotonic()
            await send(message)

        await self.app(scope, receive, remember)


async def _too_many(send: Send, cap: int, idle: float) -> None:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": -32000,
                "message": f"this API key already has {cap} open sessions "
                f"(WALLIE_MAX_SESSIONS_PER_KEY); close one or wait {idle:.0f} s for idle ones "
                "to expire",
            },
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"60"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
