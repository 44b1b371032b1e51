"""Citations: which ids the tools returned in a run, and which ids an answer cites."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart

CITATION = re.compile(r"\[(msg|client|conversation):(\d+)\]")
_MARKER = CITATION  # the servers' own text renderings use the same markers


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


@dataclass
class Evidence:
    """Every id the tools returned in one run, with a short label each."""

    sources: dict[str, Source] = field(default_factory=dict)

    def add(self, kind: str, id_: Any, label: str = "") -> None:
        """Record that a tool returned `kind` `id_`."""
        if isinstance(id_, bool) or not isinstance(id_, int | str) or not str(id_).isdigit():
            return
        key = f"{kind}:{int(id_)}"
        known = self.sources.get(key)
        if known is None:
            self.sources[key] = Source(kind, int(id_), label)
        elif label and not known.label:
            known.label = label

    def add_result(self, content: Any) -> None:
        """Record the ids inside one tool result (structured data or text)."""
        if isinstance(content, str):
            try:
                content = json.loads(content)
            except ValueError:
                for kind, id_ in _MARKER.findall(content):
                    self.add(kind, id_)
                return
        self._walk(content, parent=None)

    def _walk(self, node: Any, parent: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item, parent)
            return
        if not isinstance(node, dict):
            if isinstance(node, str):
                for kind, id_ in _MARKER.findall(node):
                    self.add(kind, id_)
            return
        text = str(node.get("snippet") or node.get("text") or "")[:80]
        if "message_id" in node:
            self.add("msg", node["message_id"], text)
        if "client_id" in node:
            self.add("client", node["client_id"], str(node.get("client_name") or ""))
        if "conversation_id" in node:
            self.add("conversation", node["conversation_id"])
        if "id" in node:
            if parent == "messages" and "direction" in node:
                self.add("msg", node["id"], text)
            elif parent in ("clients", None) and "name" in node:
                self.add("client", node["id"], str(node["name"]))
            elif parent == "open_conversations" or "outcome" in node:
                self.add("conversation", node["id"])
        for key in ("message_ids", "conversation_ids", "unanswered_inbound"):
            for id_ in node.get(key) or []:
                self.add("conversation" if key == "conversation_ids" else "msg", id_)
        for key, value in node.items():
            if isinstance(value, dict | list) or (isinstance(value, str) and "[" in value):
                self._walk(value, key)

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
    evidence = Evidence()
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, ToolReturnPart) and part.outcome == "success":
                    evidence.add_result(part.content)
    return evidence
