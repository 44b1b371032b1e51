"""Search understanding: query terms (stop words, stems, bilingual vocabulary), fuzzy names."""

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
    "Term",
    "expand",
    "name_trigrams",
    "query_terms",
    "similarity",
    "stems",
    "stop_words",
]
