"""Citations: which ids the tools returned in a run, and which ids an answer cites.

Only the id fields of validated tool results count as evidence. Ids written inside
texts (a message saying "[msg:2071]", a client named "[client:3]") never do: anyone can
send a salesperson a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agents.results import parse_result
from tools.schemas import (
    ClientHit,
    ClientProfile,
    ConversationSummary,
    MessageOut,
)

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

CITATION = re.compile(r"\[(msg|client|conversation):(\d+)\]")

# Fields that hold ids, by the kind of id they hold.
_ID_FIELDS = {
    "message_id": "msg",
    "last_message_id": "msg",
    "client_id": "client",
    "conversation_id": "conversation",
}
_ID_LISTS = {
    "message_ids": "msg",
    "unanswered_inbound": "msg",
    "unanswered_message_ids": "msg",
    "conversation_ids": "conversation",
    "client_ids": "client",
}
# Models whose own `id` field is the id of a client, message or conversation.
_OWN_ID = {
    ClientHit: "client",
    ClientProfile: "client",
    MessageOut: "msg",
    ConversationSummary: "conversation",
}


@dataclass
class Source:
    """Something a tool returned that an answer may cite."""

    kind: str  # "msg", "client" or "conversation"
    id: int
    label: str = ""

    @property
    def ref(self) -> str:
        """The citation marker, e.g. "[msg:12]"."""
        return f"[{self.kind}:{self.id}]"


def _label(model: BaseModel, kind: str) -> str:
    """A short label for an id of `model`: a client's name or a message's words."""
    if kind == "client":
        name = getattr(model, "client_name", None) or getattr(model, "name", None)
        return name if isinstance(name, str) else ""
    if kind == "msg":
        words = getattr(model, "snippet", None) or getattr(model, "text", None)
        return " ".join(words.split())[:80] if isinstance(words, str) else ""
    return ""


@dataclass
class Evidence:
    """Every id the tools returned in one run, with a short label each."""

    sources: dict[str, Source] = field(default_factory=dict)

    def add(self, kind: str, id_: int, label: str = "") -> None:
        """Record that a tool returned `kind` `id_`."""
        key = f"{kind}:{id_}"
        known = self.sources.get(key)
        if known is None:
            self.sources[key] = Source(kind, id_, label)
        elif label and not known.label:
            known.label = label

    def add_result(self, tool: str, content: Any) -> None:
        """Record the ids in the id fields of one Wallie tool result."""
        model = parse_result(tool, content)
        if model is not None:
            self._walk(model)

    def _walk(self, model: BaseModel) -> None:
        own = _OWN_ID.get(type(model))
        if own is not None:
            self.add(own, model.id, _label(model, own))  # type: ignore[attr-defined]
        for name, kind in _ID_FIELDS.items():
            value = getattr(model, name, None)
            if isinstance(value, int) and not isinstance(value, bool):
                self.add(kind, value, _label(model, kind))
        for name, kind in _ID_LISTS.items():
            for value in getattr(model, name, None) or []:
                self.add(kind, value)
        for name in type(model).model_fields:
            value = getattr(model, name)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, BaseModel):
                    self._walk(child)

    def check(self, answer: str) -> tuple[list[Source], list[str]]:
        """(valid sources cited, cited markers that no tool returned)."""
        valid: dict[str, Source] = {}
        invalid: list[str] = []
        for kind, id_ in CITATION.findall(answer):
            key = f"{kind}:{int(id_)}"
            if key in self.sources:
                valid.setdefault(key, self.sources[key])
            elif f"[{key}]" not in invalid:
                invalid.append(f"[{key}]")
        return list(valid.values()), invalid


def evidence_from(messages: Iterable[ModelMessage]) -> Evidence:
    """The evidence in a run's messages: every successful tool return."""
    from pydantic_ai.messages import ModelRequest, ToolReturnPart

    evidence = Evidence()
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, ToolReturnPart) and part.outcome == "success":
                    evidence.add_result(part.tool_name, part.content)
    return evidence
