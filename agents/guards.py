"""Guards on a run: what an answer must cite, what it may not link, and the run's bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agents.citations import evidence_from
from agents.events import Retry
from agents.markdown import clean, note
from tools.settings import Settings

if TYPE_CHECKING:  # pydantic-ai is imported by the runs that use these guards, not before
    from pydantic_ai import UsageLimits
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.settings import ModelSettings

NO_CITATION = "the answer cites no tool result"


def model_settings(settings: Settings) -> ModelSettings:
    """Per-request settings: every model request has an output-token limit."""
    from pydantic_ai.settings import ModelSettings

    return ModelSettings(max_tokens=settings.max_output_tokens)


def usage_limits(max_steps: int, max_tool_calls: int, settings: Settings, llm: bool) -> UsageLimits:
    """The run's bounds: requests, tool calls and (for an LLM) a token budget."""
    from pydantic_ai import UsageLimits

    return UsageLimits(
        request_limit=max_steps,
        tool_calls_limit=max_tool_calls,
        total_tokens_limit=settings.run_token_budget if llm else None,
    )


@dataclass
class AnswerCheck:
    """The output validator of a run: citations verified, unsafe links dropped."""

    language: str
    require_citation: bool
    retries: list[Retry] = field(default_factory=list)
    dropped: int = 0

    def __call__(self, output: str, messages: list[ModelMessage]) -> str:
        """The answer to keep, or ModelRetry with what to fix."""
        from pydantic_ai import ModelRetry

        evidence = evidence_from(messages)
        valid, invalid = evidence.check(output)
        if invalid:
            self.retries.append(Retry(invalid_citations=invalid))
            raise ModelRetry(
                "These citations were not returned by any tool in this conversation: "
                + ", ".join(invalid)
                + ". Cite only ids that appear in tool results, or drop the claim."
            )
        if self.require_citation and evidence.sources and not valid:
            self.retries.append(Retry(invalid_citations=[], reason=NO_CITATION))
            raise ModelRetry(
                "Your answer cites nothing, but the tools returned data. Cite every factual "
                "claim inline as [msg:ID] or [client:ID] with ids from the tool results."
            )
        output, self.dropped = clean(output)
        return output + ("\n\n" + note(self.dropped, self.language) if self.dropped else "")


class CleanLines:
    """Streamed text, passed on a whole line at a time with unsafe links and images removed."""

    def __init__(self) -> None:
        self._partial = ""

    def feed(self, delta: str) -> str:
        """The complete lines so far, cleaned; the rest waits for its newline."""
        text = self._partial + delta
        head, newline, self._partial = text.rpartition("\n")
        return clean(head + newline)[0] if newline else ""

    def flush(self) -> str:
        """Whatever is left, cleaned."""
        text, self._partial = self._partial, ""
        return clean(text)[0]
