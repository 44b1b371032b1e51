"""The retrieval-only answer is written from one phrase table per language."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agents.retrieval._compose import compose, table
from agents.retrieval._findings import Findings, call_key
from agents.retrieval._planner import next_calls
from agents.retrieval._question import plan_question
from tools.schemas import ClientHit, ClientInsights, Fact, Mood

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def _findings() -> Findings:
    client = ClientHit(id=7, name="Ana García", company="Albaicín", match="name")
    insight = ClientInsights(
        client_id=7,
        name="Ana García",
        mood_trend="worsening",
        latest_mood=Mood(label="negative", score=-0.62, message_id=41, sent_at=AT),
        churn_risk=True,
        churn_reasons=[
            Fact(
                kind="negative_mood",
                text="the client's latest message is negative",
                message_ids=[41],
            ),
            Fact(kind="churn_language", text="the client mentioned leaving", message_ids=[40, 41]),
        ],
    )
    return Findings(searches={"Ana García": [client]}, insights={7: insight})


def test_the_two_tables_have_the_same_phrases() -> None:
    es, en = table("es"), table("en")
    assert set(es) == set(en)
    assert set(es["risks"]) == set(en["risks"])


def test_a_spanish_answer_has_no_english_fact_text() -> None:
    answer = compose(plan_question("¿Cómo está Ana García?"), _findings())
    assert "- Ánimo del cliente: negativo (-0.62), tendencia empeorando [msg:41]." in answer
    assert (
        "- Señal de riesgo: la puntuación de ánimo del último mensaje del cliente es baja "
        "(-0.62) [msg:41]" in answer
    )
    assert (
        "- Señal de riesgo: el cliente habló de irse, cancelar o de una oferta de la competencia "
        "[msg:40] [msg:41]" in answer
    )
    assert "the client" not in answer


def test_an_english_answer_uses_the_english_table() -> None:
    answer = compose(plan_question("How is Ana García doing?"), _findings())
    assert "- Client mood: negative (-0.62), trend worsening [msg:41]." in answer
    assert (
        "- Risk sign: the mood score of the client's latest message is low (-0.62) [msg:41]"
        in answer
    )


def test_a_neutral_label_with_a_low_score_does_not_contradict_the_risk_sign() -> None:
    # The model labels -0.35 neutral; the risk rule reads the score (at or below -0.30).
    f = _findings()
    insight = f.insights[7]
    insight.latest_mood = Mood(label="neutral", score=-0.35, message_id=41, sent_at=AT)
    answer = compose(plan_question("¿Cómo está Ana García?"), f)
    assert "- Ánimo del cliente: neutro, tirando a negativo (-0.35)" in answer
    assert "es negativo" not in answer and "puntuación de ánimo del último mensaje" in answer
    english = compose(plan_question("How is Ana García doing?"), f)
    assert "- Client mood: neutral, leaning negative (-0.35)" in english


def test_a_neutral_mood_says_which_way_it_leans_as_the_tools_do() -> None:
    f = _findings()
    insight = f.insights[7]
    insight.churn_reasons = []
    for score, es, en in (
        (-0.25, "neutro, tirando a negativo (-0.25)", "neutral, leaning negative (-0.25)"),
        (0.31, "neutro, tirando a positivo (+0.31)", "neutral, leaning positive (+0.31)"),
        (0.05, "neutro (+0.05)", "neutral (+0.05)"),
    ):
        insight.latest_mood = Mood(label="neutral", score=score, message_id=41, sent_at=AT)
        assert f"- Ánimo del cliente: {es}" in compose(plan_question("¿Cómo está Ana García?"), f)
        assert f"- Client mood: {en}" in compose(plan_question("How is Ana García doing?"), f)
        assert insight.latest_mood.describe() == en  # the tools' wording


@pytest.mark.parametrize(
    ("question", "intent", "first"),
    [
        ("¿Cómo va Ana García?", "client", "search_clients"),
        ("How is Ana García feeling?", "mood", "search_clients"),
        ("¿Quién se quejó del precio?", "topic", "search_messages"),
    ],
)
def test_each_intent_starts_with_its_first_call(question: str, intent: str, first: str) -> None:
    plan = plan_question(question, today=date(2026, 11, 26))
    assert plan.intent == intent
    tools = {"search_clients", "search_messages", "get_client", "get_client_insights"}
    assert [name for name, _ in next_calls(plan, 0, Findings(), tools)] == [first]
    # A call already made is never asked for again.
    made = Findings(called={call_key(n, a) for n, a in next_calls(plan, 0, Findings(), tools)})
    assert next_calls(plan, 1, made, tools) == []
