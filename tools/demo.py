"""Deterministic demo data: realistic Spanish/English sales conversations at any scale."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tools._demo_data import (
    CHANNELS,
    COMPETITORS,
    EN_SCENARIOS,
    ES_SCENARIOS,
    FIRST_EN,
    FIRST_ES,
    INDUSTRIES,
    LAST_EN,
    LAST_ES,
    PLACES,
    PLOTS,
)
from tools.ingest import ClientIn, ConversationIn, MessageIn


@dataclass(frozen=True)
class DemoSpec:
    """What to generate: how many clients, from which seed, ending at `anchor`."""

    clients: int = 200
    seed: int = 42
    anchor: datetime | None = None
    days: int = 120


def default_anchor() -> datetime:
    """The end of the demo timeline: the start of today, UTC (same data all day)."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _phone(rng: random.Random, english: bool) -> str:
    if english:
        return rng.choice(["+44 7700 9{:05d}", "+1 (415) 555-{:04d}"]).format(rng.randrange(10000))
    n = f"6{rng.randrange(10**8):08d}"
    style = rng.randrange(5)
    if style == 0:
        return f"+34 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}"
    if style == 1:
        return n
    if style == 2:
        return f"{n[:3]}-{n[3:5]}-{n[5:7]}-{n[7:]}"
    if style == 3:
        return f"0034 {n[:3]} {n[3:6]} {n[6:]}"
    return f"(+34) {n[:3]}.{n[3:5]}.{n[5:7]}.{n[7:]}"


def _ascii(text: str) -> str:
    from tools.text import fold

    return fold(text).replace(" ", "")


def generate(spec: DemoSpec) -> Iterator[MessageIn]:
    """The demo messages for `spec`, client by client, always the same for the same spec."""
    rng = random.Random(spec.seed)
    anchor = spec.anchor or default_anchor()
    start = anchor - timedelta(days=spec.days)
    for index in range(spec.clients):
        english = index > 0 and rng.random() < 0.15
        if index == 0:
            first, last, english = "Ana", "García", False
        elif english:
            first, last = rng.choice(FIRST_EN), rng.choice(LAST_EN)
        else:
            first, last = rng.choice(FIRST_ES), f"{rng.choice(LAST_ES)} {rng.choice(LAST_ES)}"
        industry, kinds, product, unit = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
        company = f"{rng.choice(kinds)} {rng.choice(PLACES)}"
        domain = _ascii(company) + rng.choice([".es", ".com"])
        email = (
            f"{_ascii(first)}.{_ascii(last.split()[0])}@{domain}" if rng.random() < 0.85 else None
        )
        tags = rng.sample(
            ["vip", "nuevo", "recurrente", "mayorista", "b2b", "riesgo"], k=rng.randrange(3)
        )
        client = ClientIn(
            key=f"demo{spec.seed}-{index + 1:06d}",
            name=f"{first} {last}",
            email=email,
            phone=_phone(rng, english),
            company=company,
            industry=industry,
            tags=tags,
        )
        n_conversations = 1 if index == 0 or rng.random() < 0.7 else 2
        for c in range(n_conversations):
            plot, outcome, score = PLOTS[1] if index == 0 else PLOTS[rng.randrange(len(PLOTS))]
            channel = "whatsapp" if index == 0 else rng.choice(CHANNELS)
            scenarios = EN_SCENARIOS if english else ES_SCENARIOS
            # Recent weeks are busier, as in a real pipeline.
            offset = spec.days * (1 - rng.random() ** 1.6) if index else spec.days - 3
            t = start + timedelta(
                days=offset, hours=rng.randrange(8, 19), minutes=rng.randrange(60)
            )
            values = {
                "first": first,
                "first_owner": "Laura",
                "company": company,
                "product": product,
                "unit": unit,
                "qty": rng.choice([5, 10, 12, 20, 25, 50, 100, 200]),
                "price": f"{rng.randrange(4, 400) * 50:,}".replace(",", "."),
                "days": rng.choice([3, 5, 7, 10, 15]),
                "discount": rng.choice([5, 8, 10, 12, 15]),
                "discount2": rng.choice([18, 20, 25]),
                "competitor": rng.choice(COMPETITORS),
            }
            conversation = ConversationIn(
                key=f"{client.key}-c{c + 1}",
                channel=channel,
                subject=f"{product.capitalize()} para {company}" if channel == "email" else None,
                status="closed" if outcome != "open" else "active",
                outcome=outcome,
                success_score=round(min(1.0, max(0.0, score + rng.uniform(-0.05, 0.05))), 2),
            )
            thread: list[MessageIn] = []
            for name in plot:
                for direction, options in scenarios.get(name, scenarios["enquiry"]):
                    t += timedelta(minutes=rng.randrange(3, 60 * 30))
                    thread.append(
                        MessageIn(
                            client=client,
                            conversation=conversation,
                            external_id=f"{conversation.key}-m{len(thread) + 1:03d}",
                            direction=direction,
                            sender=client.name if direction == "inbound" else "Laura (ventas)",
                            sent_at=t,
                            text=rng.choice(options).format(**values),
                        )
                    )
            # Keep the whole thread in the past, preserving its rhythm.
            overflow = thread[-1].sent_at - anchor
            if overflow > timedelta(0):
                shift = overflow + timedelta(hours=1)
                for m in thread:
                    m.sent_at -= shift
            yield from thread
