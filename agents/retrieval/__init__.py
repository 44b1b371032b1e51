"""Retrieval-only mode: a deterministic planner posing as a model, for when no LLM is set up.

It runs through the same agent loop as an LLM (real MCP tool calls, streaming, limits,
citation check): it reads the question (`_question`), calls tools in rounds chosen by the
question's intent (`_planner`), accumulates their typed results (`_findings`) and writes an
extractive, cited summary in the question's language (`_compose`, one phrase table per
language in `messages/`), saying plainly that no LLM was used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents.retrieval._question import Plan, plan_question

if TYPE_CHECKING:
    from agents.retrieval._model import RetrievalModel

__all__ = ["Plan", "RetrievalModel", "plan_question"]


def __getattr__(name: str) -> Any:
    """`RetrievalModel` on first use: it imports pydantic-ai, which the planner loop needs not."""
    if name == "RetrievalModel":
        from agents.retrieval._model import RetrievalModel

        return RetrievalModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
