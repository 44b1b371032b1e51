"""What happens after an owner's data changes: caches are invalidated."""

from __future__ import annotations

from tools.settings import Settings


async def data_changed(settings: Settings, owner: str) -> None:
    """Tell every reader that `owner`'s data changed (bumps the owner's cache version)."""
    from tools.cache import make_cache

    cache = make_cache(settings)
    try:
        await cache.bump_version(owner)
    finally:
        await cache.aclose()
