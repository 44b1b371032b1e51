"""Questions across clients: filtered client and conversation lists and a pipeline summary.

Every signal (mood, trend, unanswered messages, churn risk) is computed for all the
owner's matching clients in a handful of SQL queries, with the same rules as
`insights.client_insights` uses for one client.
"""

from tools.lists._clients import list_clients
from tools.lists._common import (
    IDS_PER_ROW,
    MAX_LIMIT,
    OUTPUT_BUDGET,
    PERIODS,
    TREND_WINDOW,
    ClientSort,
    ConversationSort,
    MoodLabel,
    Outcome,
    Period,
    Status,
    Trend,
    period_range,
)
from tools.lists._conversations import list_conversations
from tools.lists._pipeline import pipeline_summary

__all__ = [
    "IDS_PER_ROW",
    "MAX_LIMIT",
    "OUTPUT_BUDGET",
    "PERIODS",
    "TREND_WINDOW",
    "ClientSort",
    "ConversationSort",
    "MoodLabel",
    "Outcome",
    "Period",
    "Status",
    "Trend",
    "list_clients",
    "list_conversations",
    "period_range",
    "pipeline_summary",
]
