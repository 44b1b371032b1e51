"""Start-up with the cyclic garbage collector paused while the heavy modules load.

Importing the MCP SDK, SQLAlchemy and the server builds about a million long-lived objects
(classes, schemas, validators); each collection pass during the import scans them again and
frees nothing, about a sixth of `wallie ask`'s start-up. The collector is paused while they
load, then what they built is frozen (never scanned again) and collection resumes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Run imports and set-up with cyclic collection paused; freeze what they built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
