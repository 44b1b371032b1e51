"""The retrieval-only planner: what it reads in a question, and what it answers with it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agents.retrieval import plan_question
from agents.retrieval._findings import Findings, call_key
from agents.retrieval._planner import next_calls
from tools.schemas import ClientHit

NOW = date(2026, 11, 26)  # a Thursday
MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("¿Qué me escribieron hoy?", NOW, NOW),
        ("What came in today?", NOW, NOW),
        ("¿Con quién hablé ayer?", NOW - timedelta(days=1), NOW - timedelta(days=1)),
        ("Who did I talk to yesterday?", NOW - timedelta(days=1), NOW - timedelta(days=1)),
        ("¿Quién se quejó esta semana?", MONDAY, NOW),
        ("Who complained this week?", MONDAY, NOW),
        (
            "¿Qué clientes me escribieron la semana pasada?",
            MONDAY - timedelta(days=7),
            MONDAY - timedelta(days=1),
        ),
        (
            "Which clients wrote to me last week?",
            MONDAY - timedelta(days=7),
            MONDAY - timedelta(days=1),
        ),
        ("¿Cuántas ventas he cerrado este mes?", date(2026, 11, 1), NOW),
        ("Deals won this month?", date(2026, 11, 1), NOW),
        ("¿Cuántos clientes perdimos el mes pasado?", date(2026, 10, 1), date(2026, 10, 31)),
        ("Deals lost last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("Quejas de los últimos 7 días", NOW - timedelta(days=6), NOW),
        ("Complaints in the last 14 days", NOW - timedelta(days=13), NOW),
        ("¿Quién ha escrito desde el lunes?", MONDAY, NOW),
        ("Who wrote since Monday?", MONDAY, NOW),
        ("Any news since Tuesday?", date(2026, 11, 24), NOW),
        ("¿Qué pasó hace 3 días?", NOW - timedelta(days=3), NOW - timedelta(days=3)),
        ("What happened 2 days ago?", NOW - timedelta(days=2), NOW - timedelta(days=2)),
    ],
)
def test_relative_dates_in_both_languages(question: str, since: date, until: date) -> None:
    plan = plan_question(question, today=NOW)
    assert (plan.since, plan.until) == (since.isoformat(), until.isoformat())
    # Time words are not topic words.
    assert not {"semana", "week", "mes", "month", "ayer", "yesterday", "lunes", "monday"} & set(
        plan.terms
    )


def test_no_time_frame_when_the_question_names_none() -> None:
    plan = plan_question("¿Cómo va la negociación con Ana García?", today=NOW)
    assert (plan.since, plan.until, plan.window) == (None, None, {})


@pytest.mark.parametrize(
    "phone",
    ["+34 600 12 34 56", "600 123 456", "600-123-456", "(+34) 611.66.87.32", "+1 (415) 555-2671"],
)
def test_phones_in_any_format_are_looked_up(phone: str) -> None:
    plan = plan_question(f"¿De quién es el teléfono {phone}?", today=NOW)
    assert plan.phones == [phone]
    assert plan.names == [] and plan.lookups == [phone]
    assert plan.intent == "client"


def test_dates_and_small_numbers_are_not_phones() -> None:
    plan = plan_question("Messages from 2026-11-01 about the last 30 days", today=NOW)
    assert plan.phones == []


def test_emails_and_client_ids() -> None:
    plan = plan_question("What did ana.garcia@hotelsol.es say?", today=NOW)
    assert plan.emails == ["ana.garcia@hotelsol.es"] and plan.names == []
    for question in ("¿Cómo va el cliente 42?", "How is client #42?", "Status of [client:42]"):
        plan = plan_question(question, today=NOW)
        assert plan.client_ids == [42], question
        assert plan.phones == [] and plan.intent == "client"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("¿Cómo va la negociación con Ana García?", "client"),
        ("Give me a briefing on Ana García", "client"),
        ("How is Ana García feeling about us?", "mood"),
        ("¿Quién se ha quejado de retrasos en la entrega?", "topic"),
        ("Did anyone receive damaged goods?", "topic"),
        ("¿Qué clientes están en riesgo de irse?", "risk"),
        ("Which clients are at risk of churning?", "risk"),
        ("¿Cuántas negociaciones abiertas tengo?", "count"),
        ("How many clients do I have?", "count"),
        ("¿Qué ventas gané este mes?", "list"),
        ("Who is waiting for my reply?", "list"),
        ("¿Qué clientes están descontentos?", "list"),
        ("¿Quién está más cerca de cerrar, Ana García o Ramón Pérez?", "compare"),
        ("Which deal looks better, Ana García or Ramón Pérez?", "compare"),
    ],
)
def test_intents(question: str, intent: str) -> None:
    assert plan_question(question, today=NOW).intent == intent


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("¿Cómo va Ana García?", "es"),
        ("Resúmeme la relación con Ana García", "es"),
        ("Give me a briefing on José Núñez", "en"),
        ("Which deal looks better, Iñaki Álvarez or Begoña Muñoz?", "en"),
        ("How many deals did I win this month?", "en"),
        ("Cuántas ventas he cerrado este mes", "es"),
    ],
)
def test_the_question_language_ignores_the_names_in_it(question: str, language: str) -> None:
    assert plan_question(question, today=NOW).language == language


@pytest.mark.parametrize(
    "question",
    [
        "¿Cuántas negociaciones abiertas tengo?",
        "Cuántas ventas he cerrado este mes",
        "Which clients are at risk of churning?",
        "Resúmeme las quejas de esta semana",
        "Who did I talk to since Monday?",
        "Dame los clientes que esperan respuesta",
    ],
)
def test_capitalised_question_words_are_not_names(question: str) -> None:
    plan = plan_question(question, today=NOW)
    assert plan.names == [] and plan.lookups == []


def test_filters_read_from_the_question() -> None:
    plan = plan_question("List the deals won this month on WhatsApp", today=NOW)
    assert (plan.outcome, plan.channel, plan.intent) == ("won", "whatsapp", "list")
    plan = plan_question("¿Cuántos clientes perdimos el mes pasado?", today=NOW)
    assert (plan.outcome, plan.clients_asked, plan.intent) == ("lost", True, "count")
    plan = plan_question("Who is unhappy?", today=NOW)
    assert (plan.mood_label, plan.intent) == ("negative", "list")


def test_verbs_of_the_question_are_not_its_topic() -> None:
    # "pedido" (asked / an order) after "ha" is the question's verb.
    assert plan_question("¿Quién ha pedido un descuento?", today=NOW).terms == ["descuento"]
    assert plan_question("Who has asked for a discount?", today=NOW).terms == ["discount"]
    assert plan_question("¿Dónde está mi pedido?", today=NOW).terms == ["pedido"]
    # Complaint words mark a complaint; the topic is what was complained about.
    plan = plan_question("¿Quién ha reclamado por una factura?", today=NOW)
    assert plan.complaint and plan.terms == ["factura"]
    # The search gets the word and its counterpart in the other language.
    assert plan.query() == "factura invoice"


def test_a_negated_mood_turns_around() -> None:
    assert plan_question("¿Quién no está contento?", today=NOW).mood_label == "negative"
    assert plan_question("Who is not happy with us?", today=NOW).mood_label == "negative"
    assert plan_question("¿Quién está contento?", today=NOW).mood_label == "positive"


@pytest.mark.parametrize(
    ("question", "tool", "args"),
    [
        ("How many clients are at risk?", "list_clients", {"churn_risk": True, "sort": "risk"}),
        ("¿Cuántos clientes esperan respuesta?", "list_clients", {"unanswered": True}),
        ("¿Cuántos clientes tengo por WhatsApp?", "list_clients", {"channel": "whatsapp"}),
        ("¿Cuántas ventas he cerrado este mes?", "pipeline_summary", {"since": "2026-11-01"}),
        ("Show me the deals closest to closing", "list_conversations", {"sort": "success_score"}),
        ("Deals lost last month", "list_conversations", {"outcome": "lost"}),
        ("Emails about invoices", "search_messages", {"channel": "email"}),
    ],
)
def test_each_question_gets_the_tool_that_answers_it(
    question: str, tool: str, args: dict[str, object]
) -> None:
    plan = plan_question(question, today=NOW)
    tools = {"search_clients", "search_messages", "list_clients", "list_conversations"}
    calls = next_calls(plan, 0, Findings(), tools | {"pipeline_summary", "get_client"})
    name, given = calls[0]
    assert name == tool
    assert args.items() <= given.items()


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("¿Qué clientes me escribieron en octubre?", date(2026, 10, 1), date(2026, 10, 31)),
        ("How many clients wrote to me in September?", date(2026, 9, 1), date(2026, 9, 30)),
        # A month still to come this year is last year's.
        ("Quejas de diciembre", date(2025, 12, 1), date(2025, 12, 31)),
        ("Invoices during March", date(2026, 3, 1), date(2026, 3, 31)),
        ("¿Quién ha escrito desde septiembre?", date(2026, 9, 1), NOW),
        ("Deals in November", date(2026, 11, 1), NOW),
    ],
)
def test_month_names_are_time_frames(question: str, since: date, until: date) -> None:
    plan = plan_question(question, today=NOW)
    assert (plan.since, plan.until) == (since.isoformat(), until.isoformat())
    assert not {"octubre", "september", "diciembre", "march"} & set(plan.terms)


def test_a_month_word_without_a_preposition_is_not_a_date() -> None:
    # "may" is a verb here, not the month.
    assert plan_question("Who may leave us?", today=NOW).window == {}


@pytest.mark.parametrize(
    ("question", "industry"),
    [
        ("dame la lista de clientes del sector hostelería", "hosteleria"),
        ("Which restaurants and hotels do I work with?", "hosteleria"),
        ("how many clients in logistics do i have", "logistica"),
        ("clientes en riesgo del sector construcción", "construccion"),
        ("¿Cuántas negociaciones abiertas hay con clientes de salud?", "salud"),
        ("who is at risk of churning in education?", "educacion"),
        ("clientes del sector naval", "naval"),  # not in the word list: taken as written
    ],
)
def test_industries_are_read_in_both_languages(question: str, industry: str) -> None:
    plan = plan_question(question, today=NOW)
    assert plan.industry == industry
    # The industry's words filter the list; none is left to search messages for.
    assert not set(plan.terms) & {"hosteleria", "restaurants", "hotels", "logistics", "sector"}
    assert plan.unnamed in ("list", "count", "risk")


def test_no_industry_when_the_question_names_none() -> None:
    assert plan_question("¿Cómo va la negociación con Ana García?", today=NOW).industry is None


def test_the_industry_is_asked_as_the_book_spells_it() -> None:
    plan = plan_question("Which restaurants do I work with?", today=NOW)
    tools = {"search_clients", "list_clients"}
    (name, args), *_ = next_calls(plan, 0, Findings(), tools)
    assert (name, args["industry"]) == ("list_clients", "hosteleria")
    # The tool listed the spellings it knows: the one this industry goes by is taken.
    known = Findings(known_industries=["Retail", "Hospitality", "Logistics"])
    (name, args), *_ = next_calls(plan, 1, known, tools)
    assert args["industry"] == "Hospitality"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("¿quién está esperando que le conteste?", "list"),
        ("who's still waiting for an answer from me?", "list"),
        ("any clients about to leave?", "risk"),
        ("¿quién podría dejarnos?", "risk"),
        ("clientes ganados este mes", "list"),
        ("dame todos los clientes con negociaciones abiertas", "list"),
        ("Between Álvaro Ruiz and Elena Gil, who's more likely to buy?", "compare"),
        ("ana munoz martin vs inigo nunez ramirez, which deal is hotter?", "compare"),
        ("que tal va adrian gomez jimenez", "client"),
    ],
)
def test_more_intents(question: str, intent: str) -> None:
    assert plan_question(question, today=NOW).intent == intent


def test_lower_case_names_are_guessed_from_adjacent_words() -> None:
    plan = plan_question("que tal va adrian gomez jimenez", today=NOW)
    assert plan.guesses == ["adrian gomez jimenez"] and plan.language == "es"
    plan = plan_question("ana munoz vs inigo nunez, which deal is hotter?", today=NOW)
    assert plan.guesses == ["ana munoz", "inigo nunez"]
    # A lone topic word, or a question across the book, guesses no name.
    for question in ("invoice complaints?", "how many clients in logistics do i have"):
        assert plan_question(question, today=NOW).guesses == [], question
    # "Between" opens the sentence; it is not part of the first name.
    plan = plan_question("Between Álvaro Ruiz and Elena Gil, who is closer?", today=NOW)
    assert plan.names == ["Álvaro Ruiz", "Elena Gil"]


def test_a_guessed_name_is_a_client_only_when_spelt_alike() -> None:
    f = Findings(
        searches={
            "ana munoz": [ClientHit(id=1, name="Ana Muñoz Martín", match="name_words")],
            "cambiar proveedor": [ClientHit(id=2, name="Luis Gil", company="X", match="text")],
        }
    )
    assert [c.id for c in f.chosen(["ana munoz"], [], ["ana munoz"])] == [1]
    # A company or email that happens to hold the words is no name of a client.
    assert f.chosen(["cambiar proveedor"], [], ["cambiar proveedor"]) == []


def test_a_misspelt_name_that_fits_namesakes_finds_them_all() -> None:
    hits = [
        ClientHit(id=1, name="Marta Moreno Blanco", match="fuzzy"),
        ClientHit(id=2, name="Marta Moreno Gutiérrez", match="fuzzy"),
        ClientHit(id=3, name="Marta Romero Ruiz", match="fuzzy"),
    ]
    f = Findings(searches={"marta moeno": hits})
    assert [c.id for c in f.matches("marta moeno")] == [1, 2]


@pytest.mark.parametrize(
    ("question", "args"),
    [
        (
            "¿Qué clientes me escribieron la semana pasada?",
            {
                "messages_since": "2026-11-16",
                "messages_until": "2026-11-22",
                "messages_from": "client",
            },
        ),
        (
            "Who did I talk to yesterday?",
            {"messages_since": "2026-11-25", "messages_until": "2026-11-25"},
        ),
        ("¿Cuántos clientes tengo en hostelería?", {"industry": "hosteleria"}),
        ("who is at risk of churning in education?", {"churn_risk": True, "industry": "educacion"}),
        (
            "clientes que esperan respuesta del sector salud",
            {"unanswered": True, "industry": "salud"},
        ),
    ],
)
def test_client_lists_get_the_questions_filters(question: str, args: dict[str, object]) -> None:
    plan = plan_question(question, today=NOW)
    (name, given), *_ = next_calls(plan, 0, Findings(), {"search_clients", "list_clients"})
    assert name == "list_clients"
    assert args.items() <= given.items()
    if "messages_since" in args and "messages_from" not in args:
        assert "messages_from" not in given


def test_a_named_clients_history_keeps_the_questions_time_frame() -> None:
    plan = plan_question("¿Qué me ha dicho Ana García desde el lunes?", today=NOW)
    f = Findings(searches={"Ana García": [ClientHit(id=7, name="Ana García", match="exact")]})
    f.answered.add(call_key("search_clients", {"query": "Ana García", "limit": 5}))
    tools = {"search_clients", "get_client", "get_client_insights", "get_conversation_history"}
    calls = dict((n, a) for n, a in next_calls(plan, 1, f, tools))
    assert calls["get_conversation_history"] == {
        "client_id": 7,
        "limit": 8,
        "since": MONDAY.isoformat(),
        "until": NOW.isoformat(),
    }


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What's the phone number of Begoña Muños?", "Begoña Muños"),
        ("what is Ana García's email", "Ana García"),
        ("¿Cuál es el teléfono de Ramón Pérez?", "Ramón Pérez"),
        ("Dame el correo de Lucía Martín", "Lucía Martín"),
    ],
)
def test_a_question_for_contact_details_is_about_one_client(question: str, name: str) -> None:
    plan = plan_question(question, today=NOW)
    assert plan.contact
    assert plan.names == [name]  # the possessive "'s" is not part of the name
    assert plan.intent == "client"  # "number of" counts nothing here
    assert plan.channel is None  # "email" asks for the address, not for that channel
    assert not plan.terms


def test_a_perfect_tense_wrote_reads_as_wrote() -> None:
    plan = plan_question("¿Quién me ha escrito desde el lunes?", today=NOW)
    assert plan.wrote and plan.start == MONDAY


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("¿Quién está enfadado conmigo?", "negative"),
        ("Which clients are angry with me?", "negative"),
        ("Who are my happiest clients?", "positive"),
        ("¿Qué clientes están encantados?", "positive"),
    ],
)
def test_a_mood_across_the_book_is_a_list_filter(question: str, label: str) -> None:
    plan = plan_question(question, today=NOW)
    assert plan.mood_label == label
    assert plan.intent == "list"
    assert not plan.terms  # "conmigo", "with me": not search words


@pytest.mark.parametrize(
    ("question", "cutoff"),
    [
        ("Who hasn't written to me in over a month?", NOW - timedelta(days=30)),
        ("¿Qué clientes no me escriben desde hace más de dos semanas?", NOW - timedelta(days=14)),
        ("Clients I haven't talked to for more than 3 weeks", NOW - timedelta(days=21)),
        ("¿Qué me dijo Ana hace más de un mes?", NOW - timedelta(days=30)),
    ],
)
def test_more_than_a_while_ago_is_a_cut_off(question: str, cutoff: date) -> None:
    plan = plan_question(question, today=NOW)
    assert plan.start is None and plan.end == cutoff
    assert not plan.terms


def test_quiet_clients_are_listed_by_last_contact() -> None:
    plan = plan_question("Who hasn't written to me in over a month?", today=NOW)
    tools = {"search_clients", "search_messages", "list_clients", "list_conversations"}
    calls = next_calls(plan, 0, Findings(), tools)
    assert calls == [
        (
            "list_clients",
            {"last_contact_before": (NOW - timedelta(days=30)).isoformat(), "limit": 10},
        )
    ]


@pytest.mark.parametrize(
    ("question", "call"),
    [
        ("¿Qué clientes usan email?", ("list_clients", {"channel": "email", "limit": 10})),
        (
            "Top 3 clients by success score",
            ("list_conversations", {"status": "open", "sort": "success_score", "limit": 3}),
        ),
        (
            "Dame los 5 mejores clientes",
            ("list_conversations", {"status": "open", "sort": "success_score", "limit": 5}),
        ),
        (
            "Top 2 clients at risk",
            ("list_clients", {"churn_risk": True, "sort": "risk", "limit": 2}),
        ),
    ],
)
def test_lists_read_their_channel_order_and_length(
    question: str, call: tuple[str, dict[str, object]]
) -> None:
    tools = {"search_clients", "search_messages", "list_clients", "list_conversations"}
    assert next_calls(plan_question(question, today=NOW), 0, Findings(), tools) == [call]


@pytest.mark.parametrize(
    "question", ["How is my pipeline looking?", "¿Cómo van las ventas este mes?"]
)
def test_the_state_of_the_pipeline_is_a_pipeline_summary(question: str) -> None:
    tools = {"search_clients", "search_messages", "list_clients", "pipeline_summary"}
    (name, _args), *_ = next_calls(plan_question(question, today=NOW), 0, Findings(), tools)
    assert name == "pipeline_summary"
