"""What a run streams: typed events joined by a discriminated union on `type`.

`wallie ask --json` prints each event's `to_json()`, one a line (documented in the README).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


def _absent(value: object) -> bool:
    return value is None


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> str:
        """The event as one line of JSON (the `--json` output)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)


class Notice(_Event):
    """Something the user should know before the answer (e.g. no LLM is configured)."""

    type: Literal["notice"] = "notice"
    message: str


class ToolCall(_Event):
    """The model called a tool."""

    type: Literal["tool_call"] = "tool_call"
    tool: str
    args: dict[str, Any]


class ToolResult(_Event):
    """A tool answered (or failed), summarised in one line."""

    type: Literal["tool_result"] = "tool_result"
    tool: str
    ok: bool
    summary: str


class Text(_Event):
    """A piece of the answer as it streams."""

    type: Literal["text"] = "text"
    delta: str


class Retry(_Event):
    """The answer was sent back: it cited ids no tool returned, or cited nothing."""

    type: Literal["retry"] = "retry"
    invalid_citations: list[str]
    reason: str | None = Field(default=None, exclude_if=_absent)


class SourceRef(BaseModel):
    """A cited id that a tool returned in this run."""

    ref: str
    kind: str
    id: int
    label: str


class Usage(BaseModel):
    """What the run spent."""

    requests: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None = Field(default=None, exclude_if=_absent)


class Final(_Event):
    """The answer, its verified sources, usage and the model that wrote it."""

    type: Literal["final"] = "final"
    answer: str
    sources: list[SourceRef]
    usage: Usage
    model: str


class Found(BaseModel):
    """One thing the tools had found when a run stopped early."""

    ref: str
    label: str


class Error(_Event):
    """The run failed or was stopped; `partial` holds what the tools had found."""

    type: Literal["error"] = "error"
    message: str
    partial: list[Found] | None = Field(default=None, exclude_if=_absent)


Event = Annotated[
    Notice | ToolCall | ToolResult | Text | Retry | Final | Error, Field(discriminator="type")
]
EVENT = TypeAdapter[Event](Event)
