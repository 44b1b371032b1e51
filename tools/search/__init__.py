"""Search understanding: terms (stop words, stems, two languages), fuzzy names, embeddings."""

from tools.search._embeddings import (
    LOCAL,
    LOCAL_MODEL,
    Embedder,
    embed_pending,
    from_settings,
    litellm_embedder,
    local_available,
    local_embedder,
    pending,
    status,
    warm_up,
)
from tools.search._terms import (
    MAX_TERMS,
    Term,
    expand,
    name_trigrams,
    query_terms,
    similarity,
    stems,
    stop_words,
)

__all__ = [
    "LOCAL",
    "LOCAL_MODEL",
    "MAX_TERMS",
    "Embedder",
    "Term",
    "embed_pending",
    "expand",
    "from_settings",
    "litellm_embedder",
    "local_available",
    "local_embedder",
    "name_trigrams",
    "pending",
    "query_terms",
    "similarity",
    "status",
    "stems",
    "stop_words",
    "warm_up",
]
