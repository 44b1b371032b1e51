"""Search understanding: terms (stop words, stems, two languages), fuzzy names, embeddings."""

from tools.search._embeddings import (
    Embedder,
    embed_pending,
    from_settings,
    litellm_embedder,
    pending,
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
    "MAX_TERMS",
    "Embedder",
    "Term",
    "embed_pending",
    "expand",
    "from_settings",
    "litellm_embedder",
    "name_trigrams",
    "pending",
    "query_terms",
    "similarity",
    "stems",
    "stop_words",
]
