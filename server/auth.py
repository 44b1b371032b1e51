"""Bearer API keys for the HTTP transport: each key acts as exactly one owner."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from mcp.server.auth.provider import AccessToken

from tools.apikeys import verify_key

if TYPE_CHECKING:
    from server.app import ServerState

# Verified keys are remembered briefly so a busy client costs no query per request;
# a revoked key stops working within this many seconds.
VERIFY_TTL = 30.0


class ApiKeyVerifier:
    """Checks `Authorization: Bearer wal_...` against the stored key hashes."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._seen: dict[str, tuple[float, str | None]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        """The owner's access token for a valid key, else None (the client gets 401)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._seen.get(digest)
        if cached is not None and cached[0] > now:
            owner = cached[1]
        else:
            owner = await verify_key(self._state.database, token)
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[digest] = (now + VERIFY_TTL, owner)
        if owner is None:
            return None
        return AccessToken(token=token, client_id=token[:12], scopes=["wallie"], subject=owner)
