"""Bearer API keys for the HTTP transport: each key acts as exactly one owner."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from cachetools import TTLCache
from mcp.server.auth.provider import AccessToken

from tools.apikeys import verify_key

if TYPE_CHECKING:
    from server._state import ServerState


class ApiKeyVerifier:
    """Checks `Authorization: Bearer wal_...` against the stored key hashes.

    Verdicts are remembered for WALLIE_KEY_CACHE_TTL seconds so a busy client costs no
    query per request: a revoked key keeps working for at most that long (0 = no cache).
    """

    def __init__(self, state: ServerState) -> None:
        self._state = state
        ttl = state.settings.key_cache_ttl
        self._seen: TTLCache[str, str | None] | None = (
            TTLCache(maxsize=10_000, ttl=ttl) if ttl > 0 else None
        )

    async def verify_token(self, token: str) -> AccessToken | None:
        """The owner's access token for a valid key, else None (the client gets 401)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        if self._seen is not None and digest in self._seen:
            owner = self._seen[digest]
        else:
            owner = await verify_key(self._state.database, token)
            if self._seen is not None:
                self._seen[digest] = owner
        if owner is None:
            return None
        return AccessToken(token=token, client_id=token[:12], scopes=["wallie"], subject=owner)
