"""AI features (reply suggestions, conclusions, message analysis) behind a cache and a budget.

`AiService` caches and budgets model calls; `features` loads what each feature reads and
builds its typed, citation-checked result; `model` picks the server's LiteLLM model.
"""

from __future__ import annotations

from tools.ai.model import NO_MODEL, SAMPLING_MODEL, Completion, router_completer, server_model
from tools.ai.prompts import ANALYZE, PROMPTS, SUGGEST_REPLY, SUMMARIZE, Prompt
from tools.ai.service import AiService, BadModelOutput, BudgetExceeded

__all__ = [
    "ANALYZE",
    "NO_MODEL",
    "PROMPTS",
    "SAMPLING_MODEL",
    "SUGGEST_REPLY",
    "SUMMARIZE",
    "AiService",
    "BadModelOutput",
    "BudgetExceeded",
    "Completion",
    "Prompt",
    "router_completer",
    "server_model",
]
