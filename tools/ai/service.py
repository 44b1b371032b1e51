"""The AI cache: answers keyed by owner, feature, arguments, model, prompt version and the
conversation's newest message; one model call for concurrent identical requests; per-owner
rate limits and a daily cost budget; hits, calls, tokens and cost saved per feature."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from tools.ai._counters import Counters, MemoryCounters, RedisCounters
from tools.ai.context import AiContext
from tools.ai.model import Completion
from tools.ai.prompts import PROMPTS, Prompt
from tools.ai.schemas import FeatureStats
from tools.cache import MemoryCache
from tools.errors import WallieError
from tools.settings import Settings

if TYPE_CHECKING:
    from tools.cache import Cache

STATS = "wallie:ai:stats"
SPEND = "wallie:ai:spend:"
RATE_TOOL = "ai:model"
_CITE = re.compile(r"\s?\[msg:\s*(\d+)\]")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
Fresh = Callable[[], Awaitable[tuple[Completion, AiContext]]]
"""Load the context and call the model: (completion, the context it was given)."""


class BudgetExceeded(WallieError):
    """The owner's daily AI budget is spent."""


class BadModelOutput(WallieError):
    """The model did not answer in the expected shape."""


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def parse(prompt: Prompt, text: str) -> BaseModel:
    """The model's JSON answer as the feature's raw model, or BadModelOutput."""
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    try:
        if start < 0 or end < start:
            raise ValueError("no JSON object in the answer")
        return prompt.output.model_validate(json.loads(body[start : end + 1]))
    except (ValueError, ValidationError) as exc:
        detail = str(exc).splitlines()[0][:200]
        raise BadModelOutput(
            f"{prompt.feature}: the model's answer was not the expected JSON ({detail}); "
            "retry, or configure a stronger model (WALLIE_MODEL)"
        ) from None


def check_citations(data: Any, allowed: set[int]) -> tuple[Any, list[int], list[str]]:
    """`data` with citations of messages outside `allowed` removed: (data, cited, removed)."""
    cited: list[int] = []
    removed: list[str] = []

    def fix(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            ident = int(match.group(1))
            if ident in allowed:
                if ident not in cited:
                    cited.append(ident)
                return f" [msg:{ident}]" if match.group(0).startswith(" ") else f"[msg:{ident}]"
            removed.append(f"[msg:{ident}]")
            return ""

        return _CITE.sub(one, text)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fix(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(data), cited, removed


class AiService:
    """Cached, budgeted model calls for the AI features of one server process."""

    def __init__(
        self, settings: Settings, cache: Cache | None, *, counters: Counters | None = None
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.ttl = settings.ai_cache_ttl
        if counters is None:
            counters = (
                MemoryCounters()
                if cache is None or isinstance(cache, MemoryCache)
                else RedisCounters(cache.redis)
            )
        self.counters = counters

    @property
    def caching(self) -> bool:
        """Whether answers are cached (a cache exists and WALLIE_AI_CACHE_TTL > 0)."""
        return self.cache is not None and self.ttl > 0

    @staticmethod
    def key(prompt: Prompt, args: dict[str, Any], model: str, last: int | None) -> dict[str, Any]:
        """What makes an answer: the arguments, model, prompt version and newest message."""
        return {"args": args, "model": model, "prompt": prompt.version, "last": last}

    async def lookup(
        self, owner: str, prompt: Prompt, args: dict[str, Any], model: str, last: int | None
    ) -> dict[str, Any] | None:
        """A cached answer (counted as a hit or a miss), or None."""
        if not self.caching or self.cache is None:
            return None
        hit, value = await self.cache.get(
            f"ai:{owner}", f"ai:{prompt.feature}", self.key(prompt, args, model, last)
        )
        if hit:
            await self._saved(prompt, value)
            return dict(value)
        return None

    async def answer(
        self,
        owner: str,
        prompt: Prompt,
        args: dict[str, Any],
        model: str,
        last: int | None,
        fresh: Fresh,
    ) -> tuple[dict[str, Any], bool]:
        """(answer, cached): from the cache, or one budgeted model call (`fresh`) shared by
        concurrent identical requests."""
        computed = False

        async def call() -> dict[str, Any]:
            nonlocal computed
            computed = True
            await self.check_budget(owner)
            if self.cache is not None:
                await self.cache.check_rate(owner, RATE_TOOL, limit=self.settings.ai_rate_limit)
            completion, ctx = await fresh()
            return await self.accept(owner, prompt, completion, ctx, spend=True)

        if not self.caching or self.cache is None:
            return await call(), False
        value = await self.cache.cached(
            f"ai:{owner}",
            f"ai:{prompt.feature}",
            self.key(prompt, args, model, last),
            call,
            ttl=self.ttl,
        )
        if not computed:
            await self._saved(prompt, value)
        return dict(value), not computed

    async def accept(
        self, owner: str, prompt: Prompt, completion: Completion, ctx: AiContext, *, spend: bool
    ) -> dict[str, Any]:
        """A completion parsed and citation-checked into a cacheable answer, its call and cost
        counted."""
        raw = parse(prompt, completion.text)
        data, cited, removed = check_citations(raw.model_dump(mode="json"), ctx.message_ids)
        await self.counters.add(
            STATS,
            {
                f"{prompt.feature}|model_calls": 1,
                f"{prompt.feature}|tokens": completion.input_tokens + completion.output_tokens,
                f"{prompt.feature}|cost": completion.cost_usd,
            },
        )
        if spend and completion.cost_usd:
            await self.counters.add(
                SPEND + _today(), {owner: completion.cost_usd}, expire=3 * 86400
            )
        return {
            "data": data,
            "sources": cited,
            "removed": removed,
            "conversation_id": ctx.conversation_id,
            "channel": ctx.channel,
            "message_id": ctx.focus_message_id,
            "extra": ctx.extra,
            "model": completion.model,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "cost_usd": completion.cost_usd,
        }

    async def store(
        self,
        owner: str,
        prompt: Prompt,
        args: dict[str, Any],
        model: str,
        ctx: AiContext,
        completion: Completion,
    ) -> dict[str, Any]:
        """Accept and cache an answer made elsewhere (the host's model, through sampling)."""
        value = await self.accept(owner, prompt, completion, ctx, spend=False)
        if self.caching and self.cache is not None:
            await self.cache.put(
                f"ai:{owner}",
                f"ai:{prompt.feature}",
                self.key(prompt, args, model, ctx.last_message_id),
                value,
                ttl=self.ttl,
            )
        return value

    async def spent_today(self, owner: str) -> float:
        """What `owner`'s model calls cost today (UTC)."""
        return (await self.counters.read(SPEND + _today())).get(owner, 0.0)

    async def check_budget(self, owner: str) -> None:
        """Raise BudgetExceeded when `owner` has spent today's budget."""
        budget = self.settings.ai_daily_budget_usd
        if budget <= 0:
            return
        spent = await self.spent_today(owner)
        if spent >= budget:
            raise BudgetExceeded(
                f"the daily AI budget of ${budget:.2f} for {owner} is spent (${spent:.4f} "
                "today); cached answers still work. It resets at 00:00 UTC, or raise "
                "WALLIE_AI_DAILY_BUDGET"
            )

    async def _saved(self, prompt: Prompt, value: Any) -> None:
        await self.counters.add(
            STATS,
            {
                f"{prompt.feature}|calls_saved": 1,
                f"{prompt.feature}|tokens_saved": int(value.get("input_tokens", 0))
                + int(value.get("output_tokens", 0)),
                f"{prompt.feature}|cost_saved": float(value.get("cost_usd", 0.0)),
            },
        )

    async def stats(self) -> dict[str, FeatureStats]:
        """Per-feature hits, misses, model calls, and tokens and cost spent and saved."""
        counts = await self.counters.read(STATS)
        lookups: dict[str, Any] = {}
        if self.cache is not None:
            lookups = (await self.cache.stats()).tools
        found: dict[str, FeatureStats] = {}
        for feature in PROMPTS:
            c = {k.partition("|")[2]: v for k, v in counts.items() if k.startswith(feature + "|")}
            tool = lookups.get(f"ai:{feature}")
            hits, misses = (tool.hits, tool.misses) if tool is not None else (0, 0)
            if not c and not hits and not misses:
                continue
            found[feature] = FeatureStats(
                hits=hits,
                misses=misses,
                hit_rate=round(100.0 * hits / (hits + misses), 1) if hits + misses else 0.0,
                model_calls=int(c.get("model_calls", 0)),
                calls_saved=int(c.get("calls_saved", 0)),
                tokens=int(c.get("tokens", 0)),
                tokens_saved=int(c.get("tokens_saved", 0)),
                cost_usd=round(c.get("cost", 0.0), 6),
                cost_saved_usd=round(c.get("cost_saved", 0.0), 6),
            )
        return found
