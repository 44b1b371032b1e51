"""The trained analyser: its model file, explanations, language detection and sales rule.

Accuracy is measured on held-out sets by `python -m bench.sentiment`, not asserted here.
"""

from __future__ import annotations

import json
import math

import pytest

from tools.sentiment import analyze, analyze_many, detect_language, model_version, score_many
from tools.sentiment._features import (
    AFTER,
    BEFORE,
    CONTRAST_SCOPE,
    features,
    fold,
    last_contrast,
    tokens,
    weighted_features,
)
from tools.sentiment._language import ENDING_SHARE, word_cues
from tools.sentiment._lexicon import EMOTIONS
from tools.sentiment._lexicon import fold as lexicon_fold
from tools.sentiment._model import (
    CLASSES,
    COMPLAINT,
    LOSS,
    MODEL_FILE,
    PRAISE,
    REQUEST,
    SCORER_REVISION,
    WIN,
    Lexical,
    Linear,
    Weights,
    _cue_phrases,
    expand,
    featurize,
    loss_text,
    rating,
    rules_digest,
    strip_formulae,
    weights,
)

TEXTS = [
    "Muchas gracias, todo perfecto 😍",
    "El envío llegó roto, fatal. No me gusta nada",
    "Te paso el presupuesto mañana",
    "Thanks, great job!!!",
    "This is NOT acceptable @support http://x.co/1",
    "graciaaaas q bien",
    "Buenos días, adjunto la factura. Un cordial saludo",
    "Good morning! I didn't have a good day. Best regards",
    "Gracias por todo, pero el precio no es bueno. Sin embargo, seguimos contentos",
    "Great team, however the app keeps crashing, but support is kind",
    "Buenas, ¿tenéis disponibilidad el martes? 😊",
    "Hola, buenas! Deal, nos vemos",
    "",
    "!!!",
    "x" * 3000,
]


def test_the_shipped_model_loads_and_is_small() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert tuple(data["classes"]) == CLASSES
    assert data["version"] == model_version() and model_version().startswith("lr-")
    assert MODEL_FILE.stat().st_size < 5_000_000
    w = weights()
    assert len(w.sparse) > 10_000 and all(len(v) == 3 for v in w.sparse.values())
    assert {"=lex+", "=lex-", LOSS} <= set(w.dense)
    # The lexicon features were learnt with the expected signs.
    assert w.dense["=lex+"][0] > w.dense["=lex+"][2]
    assert w.dense["=lex-"][2] > w.dense["=lex-"][0]


def test_model_weights_are_read_from_the_file_shape() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert Weights.read(data) == weights()
    assert Weights.read(data, version="dev").version == "dev"
    with pytest.raises(ValueError, match="expected"):
        Weights.read({**data, "classes": list(reversed(CLASSES))})
    # The model was fit with today's lexicons, cues and formulae: change one, rebuild the
    # model (`python -m tools.sentiment.train`), and its version moves for the backfill.
    assert weights().rules == rules_digest(), "data/ changed since model.json was built"
    # The scorer weighs contrasts as the model was fit, or refuses the file.
    assert data["contrast"] == CONTRAST_SCOPE
    with pytest.raises(ValueError, match="contrast"):
        Weights.read({**data, "contrast": "none"})
    # ... and was built for this scoring code.
    assert data["scorer"] == SCORER_REVISION
    with pytest.raises(ValueError, match="rebuild"):
        Weights.read({**data, "scorer": SCORER_REVISION - 1})


def _slow_probabilities(text: str) -> tuple[float, float, float]:
    """The model's sum written out plainly over the training features."""
    w = weights()
    f = featurize(text, Lexical())
    logits = list(w.bias)
    for feat, weight in weighted_features(f.tokens):
        for k, value in enumerate(w.sparse.get(feat, (0.0, 0.0, 0.0))):
            logits[k] += value * weight
    for name, value in f.dense.items():
        for k, dw in enumerate(w.dense.get(name, (0.0, 0.0, 0.0))):
            logits[k] += dw * value
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    return tuple(e / sum(exps) for e in exps)  # type: ignore[return-value]


@pytest.mark.parametrize("text", TEXTS)
def test_fast_scoring_equals_the_training_features(text: str) -> None:
    linear = Linear(weights())
    f = featurize(text, Lexical())
    fast = linear.probabilities(f)
    assert fast == pytest.approx(_slow_probabilities(text), abs=1e-9)
    result = analyze(text)
    p_pos, _, p_neg = fast
    if result.language not in {"pt", "fr", "it", "de"}:
        assert result.score == round(p_pos - p_neg, 4)
        # The likeliest class, unless the evidence rule makes a text without sentiment words
        # neutral.
        label, top = weights().label(fast, bool(f.lexical) or LOSS in f.dense or WIN in f.dense)
        assert result.label == label
        assert label in (CLASSES[max(range(3), key=fast.__getitem__)], "neutral")
        assert result.confidence == round(top, 3)


def test_results_have_the_public_shape_and_bounds() -> None:
    for result in analyze_many(TEXTS):
        data = result.to_dict()
        assert set(data) == {"label", "score", "confidence", "language", "emotions", "drivers"}
        assert data["label"] in CLASSES
        assert -1 <= data["score"] <= 1 and 0 <= data["confidence"] <= 1
        assert set(data["emotions"]) == set(EMOTIONS)
        assert all(0 <= v <= 1 for v in data["emotions"].values())
    assert [r.to_dict() for r in analyze_many(TEXTS)] == [analyze(t).to_dict() for t in TEXTS]


def test_drivers_name_words_of_the_text_with_signed_weights() -> None:
    for text in TEXTS[:6]:
        result = analyze(text)
        words = set(tokens(text))
        for driver in result.drivers:
            word, _, weight = driver.rpartition("(")
            assert word in words or word in ("(lost deal)", "(complaint)"), (text, driver)
            assert weight.endswith(")") and weight[0] in "+-"
            assert float(weight[:-1]) != 0
    # Function words never explain a result.
    assert not any(d.startswith(("el(", "the(", "de(")) for d in analyze(TEXTS[1]).drivers)


def test_emotions_come_from_cue_words_and_emoji() -> None:
    angry = analyze("Estoy harto, esto es una vergüenza 😡")
    assert angry.emotions["anger"] > 0 and angry.emotions["joy"] == 0
    happy = analyze("¡Mil gracias, estamos encantados! 🎉")
    assert happy.emotions["joy"] > 0 and happy.emotions["anger"] == 0


def test_fold_matches_the_lexicon_fold() -> None:
    for text in ["Pésimo ÑANDÚ", "ﬁne café", "Ça va 😡", "plain ascii"]:
        assert fold(text) == lexicon_fold(text)
    assert analyze("pésimo servicio").to_dict() == analyze("pesimo servicio").to_dict()


def test_tokens_normalise_chat_noise() -> None:
    assert tokens("@ana mira http://x.co/a graciaaaas 2024!!") == [
        "@user",
        "mira",
        "<url>",
        "graciaas",
        "0000",
        "!",
        "!",
    ]


def test_times_and_words_are_not_read_as_emoticons() -> None:
    # ":3" is a face, but not inside "4:30"; "8p" is a face, but not inside "8pm".
    assert tokens("see you at 4:30 :3") == ["see", "you", "at", "0", "00", ":3"]
    assert tokens("call me at 8pm, xpress <30 min") == [
        *("call", "me", "at", "0pm", "xpress", "00", "min")
    ]
    # A face that ends in a mark may touch the next word; "8)" keeps its 8 (VADER scores it).
    assert tokens("gracias:) ok:)hoy 8)") == ["gracias", ":)", "ok", ":)", "hoy", "8)"]
    for text in ("See you at 4:30 then", "La reunión es a las 14:30", "Nos vemos a las 4:30"):
        result = analyze(text)
        assert result.label == "neutral", (text, result)
        assert not any(d.startswith(":3") for d in result.drivers), result.drivers


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, ¿me pasas el presupuesto de las mesas?", "es"),
        # "dia" and "gente" are Portuguese words too: a short Spanish text stays Spanish.
        ("Feliz día, nos vemos aquí", "es"),
        ("Bello día para la gente", "es"),
        ("Hi, could you send me the quote for the tables?", "en"),
        ("Hola! The quote está perfect, pero the price es muy high", "mixed"),
        ("Obrigado, mas não quero mais o produto, você pode cancelar?", "pt"),
        ("Merci beaucoup, mais nous ne sommes pas intéressés", "fr"),
        ("Grazie mille, ma non siamo interessati per adesso", "it"),
        ("Danke, aber wir haben uns für einen anderen Anbieter entschieden", "de"),
        ("👍", "unknown"),
        # "dos" and "os" are Portuguese words too: they must not make Spanish unscored.
        ("Pésimo servicio, llevo dos semanas esperando respuesta", "es"),
        ("Os envío la factura", "es"),
        # Short chat in the other languages, read by their everyday words and endings.
        ("Oi, tudo bem? Quando vocês podem entregar?", "pt"),
        ("Fechado! Pode mandar a fatura.", "pt"),
        ("Salut, on peut se voir mardi pour en parler ?", "fr"),
        ("Bonsoir, combien coûte le grand modèle ?", "fr"),
        ("Salve, quanto costa il modello grande?", "it"),
        ("La consegna è di nuovo in ritardo.", "it"),
        ("Ich möchte mein Abo kündigen.", "de"),
        ("Todavía no he recibido el paquete.", "es"),
        ("Thanks for getting back to me, will let you know.", "en"),
        # Two words and no function word: Spanish verb and superlative endings tell.
        ("Esperábamos mejor soporte", "es"),
        ("Llegaron tarde", "es"),
        ("Carísimo", "es"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert analyze(text).language == language
    assert detect_language([w for w in tokens(text) if w[0].isalnum()]) == language


def test_a_telling_ending_names_a_language_no_list_holds() -> None:
    assert word_cues("informacao") == (("pt", ENDING_SHARE),)
    assert word_cues("rechnungen") == (("de", ENDING_SHARE),)
    assert word_cues("situazione") == (("it", ENDING_SHARE),)
    # Short words are left alone ("young" is no German "-ung"), and a listed word is its list's.
    assert word_cues("young") is None
    assert word_cues("merci") == (("fr", 1.0),)


@pytest.mark.parametrize(
    "text",
    [
        "Muito obrigado, o serviço foi péssimo e horrível",
        "C'est horrible, je suis très déçu",
        "Pessimo servizio, sono molto deluso",
        "Das ist schrecklich, ich bin sehr enttäuscht",
    ],
)
def test_other_languages_are_named_and_not_scored(text: str) -> None:
    result = analyze(text)
    assert result.language in {"pt", "fr", "it", "de"}
    assert (result.label, result.score, result.drivers) == ("neutral", 0.0, [])
    assert result.confidence < 0.5


@pytest.mark.parametrize(
    ("polite", "plain"),
    [
        (
            "We decided to go with another vendor, they are cheaper. Thanks anyway, all the best!",
            "We decided to go with another vendor, they are cheaper.",
        ),
        (
            "Muchas gracias por todo, pero nos quedamos con otro proveedor. Un saludo",
            "Nos quedamos con otro proveedor.",
        ),
    ],
)
def test_polite_words_do_not_sweeten_a_lost_deal(polite: str, plain: str) -> None:
    kind = analyze(polite)
    assert kind.label == "negative" and kind.score < 0
    assert "(lost deal)" in " ".join(kind.drivers)
    # The thanks around the refusal carry no weight once the deal is lost.
    assert kind.score == pytest.approx(analyze(plain).score, abs=0.35)


def _assert_lost(*texts: str) -> None:
    """Each text states a lost deal and reads negative."""
    lexical = Lexical()
    for text in texts:
        assert LOSS in featurize(text, lexical).dense, text
        assert analyze(text).label == "negative", text


def _assert_not_lost(*texts: str) -> None:
    """No text states a lost deal, nor names one among its drivers."""
    lexical = Lexical()
    for text in texts:
        assert LOSS not in featurize(text, lexical).dense, text
        assert "(lost deal)" not in " ".join(analyze(text).drivers), text


def _assert_read(
    texts: tuple[str, ...], label: str, cue: str | None = None, absent: tuple[str, ...] = ()
) -> None:
    """Each text states `cue` (if given) and none of `absent`, and reads `label`."""
    lexical = Lexical()
    for text in texts:
        dense = featurize(text, lexical).dense
        assert cue is None or cue in dense, text
        assert not any(other in dense for other in absent), text
        assert analyze(text).label == label, text


def _assert_not_read(texts: tuple[str, ...], cue: str, label: str) -> None:
    """Each text states no `cue` and does not read `label`."""
    lexical = Lexical()
    for text in texts:
        assert cue not in featurize(text, lexical).dense, text
        assert analyze(text).label != label, text


def test_a_price_objection_is_a_loss_unless_it_is_denied() -> None:
    _assert_lost(
        "Thanks, but the price is still too high for us",
        "It's too expensive, we'll wait",
        "Gracias por la rapidez, pero el precio sigue siendo muy alto",
        "Es muy caro para nosotros",
        "No, no nos interesa",  # a phrase that starts with a negation is its own
        "No, es muy caro.",  # "no" answers: the comma keeps it from denying the phrase
        "Sorry, no. Too expensive",
    )
    _assert_not_lost(
        "It's not too expensive, let's go ahead",
        "No es muy caro, nos lo quedamos",
        "No, nos interesa mucho",  # no phrase spans two clauses
    )


def test_a_choice_is_a_loss_unless_the_reader_was_chosen() -> None:
    _assert_lost(
        "We decided to go with TecnoPlus, thanks anyway",
        "Great presentation, but management chose Acme instead.",
        "Hemos elegido otra empresa, gracias",
        "Nos quedamos con nuestro proveedor actual",
    )
    _assert_not_lost(
        "We decided to go with you! Thanks so much.",
        "We chose you instead of Acme",
        "Hemos elegido trabajar con vosotros, muy contentos",
        "I need to cancel tomorrow's meeting, can we move it to Thursday?",  # logistics
        # The reader's own offer was chosen: a win, not a loss.
        "Listo, nos quedamos con la opción B. ¿Cuándo pueden empezar?",
        "We decided to go with the premium plan, send the contract",
    )


def test_a_won_deal_reads_positive_unless_denied_or_lost() -> None:
    lexical = Lexical()
    for text in (
        "Budget approved! Send over the contract.",
        "We decided to go with you! Thanks so much.",
        "Trato hecho, nos vemos el lunes",
        "Perfecto, seguimos adelante con vuestra propuesta",
        "Listo, nos quedamos con la opción B. ¿Cuándo pueden empezar?",
        "Les pasé tu contacto a nuestra empresa hermana",  # a referral
    ):
        assert WIN in featurize(text, lexical).dense, text
        result = analyze(text)
        assert result.label == "positive", text
        assert "(won deal)" in " ".join(result.drivers), text
    for text in (
        "We won't sign the contract",  # denied
        "No firmamos el contrato",
        "We signed the contract with another provider",  # the loss outweighs it
        "Choose your plan on the pricing page",  # an imperative, not a choice
    ):
        assert WIN not in featurize(text, lexical).dense, text


def test_a_deal_agreed_in_a_word_is_won_and_a_deal_called_off_is_lost() -> None:
    lexical = Lexical()
    for text in ("Deal. See you Monday.", "Ok, deal!", "¡Trato! Nos vemos el lunes"):
        assert WIN in featurize(text, lexical).dense, text
        assert analyze(text).label == "positive", text
    for text in ("What a deal", "The deal is on the table, let us know"):
        assert WIN not in featurize(text, lexical).dense, text  # "deal" is not a clause
    _assert_lost(
        "The deal is off, sorry",
        "They called off the order",
        "El trato se cae",
        "I'm afraid the project has been scrapped by head office.",
        "Me temo que la central ha tumbado el proyecto.",
        "We need to pause our account for now, budgets are tight.",
    )


def test_a_complaint_reads_negative_however_politely_it_is_put() -> None:
    lexical = Lexical()
    for text in (
        "The app keeps crashing",
        "Still waiting on that refund, thanks",
        "We expected better support",
        "I'd like to speak to a manager please",
        "You charged my card twice",
        "Not cool.",
        "Sigo esperando el reembolso, gracias",
        "Esperábamos mejor soporte",
        "Quiero hablar con un responsable",
        "nada contentos con el último lote",
        "La aplicación no para de cerrarse",
        "Me habéis cobrado dos veces",
        "Cheaply made, it fell apart after a week. Would not recommend.",
        "Mala calidad, se rompió a los dos días. No lo recomiendo.",
        "Great, another delay.",
        "Han subido el precio otra vez sin avisar",
        "The technician never showed up",
    ):
        dense = featurize(text, lexical).dense
        assert COMPLAINT in dense and LOSS not in dense, text
        result = analyze(text)
        assert result.label == "negative", text
        assert "(complaint)" in " ".join(result.drivers), text
        assert result.emotions["anger"] > 0, text  # a complaint is anger, whatever its words


def test_praise_said_through_a_negation_is_praise() -> None:
    lexical = Lexical()
    for text in (
        "I couldn't be happier with the service.",
        "Can't thank you enough for the quick fix.",
        "I can't recommend you enough!",
        "No complaints at all, everything arrived on time.",
        "You never let us down.",
        "Not a single problem since we started.",
        "Wouldn't change a thing.",
        "No podríamos estar más contentos.",
        "No tengo ninguna queja.",
        "Nunca nos habéis fallado.",
        "No está nada mal.",
        "No me canso de recomendaros.",
    ):
        dense = featurize(text, lexical).dense
        assert PRAISE in dense and COMPLAINT not in dense and LOSS not in dense, text
        result = analyze(text)
        assert result.label == "positive", text
        assert "(praise)" in " ".join(result.drivers), text
        assert result.emotions["joy"] > 0, text  # praise is joy, whatever its words
    # A real negative stays one, and a condition asks rather than praises.
    for text in ("Not happy at all with the last order.", "No estamos nada contentos."):
        assert PRAISE not in featurize(text, lexical).dense, text
        assert analyze(text).label == "negative", text
    assert PRAISE not in featurize("If you have no complaints, leave us a review", lexical).dense


def test_a_complaint_put_right_is_praise_and_one_still_open_a_complaint() -> None:
    fixed = (
        "You charged me twice but support refunded it within an hour, thanks!",
        "Me cobrasteis dos veces pero ya me lo devolvieron, gracias.",
        "The app kept crashing, but you fixed it the same day.",
    )
    _assert_read(fixed, "positive", PRAISE, absent=(COMPLAINT,))
    still_open = (
        "They said they fixed it, but it keeps crashing.",  # the complaint comes last
        "Otra vez el pedido llega tarde. Ya van tres semanas seguidas.",  # "ya van" fixes nothing
        "It used to be great, now it's slow and buggy.",  # worse than it was
        "Antes era buenísima la atención, ahora tardan días en contestar.",
    )
    _assert_read(still_open, "negative", COMPLAINT)


def test_staying_with_the_reader_after_all_is_no_lost_deal() -> None:
    lexical = Lexical()
    kept = (
        "Got a lower quote elsewhere but we're sticking with you, the service is worth it.",
        "La competencia nos ofreció descuento pero seguimos con ustedes.",
        "We tried a cheaper option last year and came straight back to you.",
    )
    _assert_read(kept, "positive", WIN, absent=(LOSS,))
    # Comparisons the reader wins, and switching from a competitor, lose nothing.
    for text in (
        "Vuestro servicio es mucho mejor que el de otro proveedor que teníamos.",
        "We switched from another provider last month and it was the right call.",
        "Nos cambiamos desde la otra empresa el mes pasado y fue la mejor decisión.",
    ):
        assert LOSS not in featurize(text, lexical).dense, text
        assert analyze(text).label != "negative", text
    # Staying with the reader is won on its own too.
    _assert_read(
        ("Me quedo con ustedes, la imprenta de antes tardaba una semana.",), "positive", WIN
    )
    # Nearly cancelling is no cancellation.
    text = "I almost cancelled my membership in January, but the new trainer changed my mind."
    assert LOSS not in featurize(text, lexical).dense
    # Staying first, then the competitor: still lost.
    text = "We stayed with you last year, but this time we're going with another supplier."
    assert LOSS in featurize(text, lexical).dense
    assert analyze(text).label == "negative"


def test_everyday_wins_losses_and_complaints_of_small_businesses() -> None:
    lexical = Lexical()
    cases = {
        WIN: (
            "Hi, we'd like to renew the maintenance contract for another year.",
            "Can you add 20 more units to our standing order?",
            "Mándame otra vez las 200 tarjetas, salieron perfectas.",
        ),
        LOSS: (
            "Harris & Co quoted less, so we'll be going with them.",
            "Can't justify the price increase, we'll be switching at the end of the month.",
            "Ya contraté a otro jardinero, gracias igualmente.",
            "Se nos va del presupuesto, vamos a buscar algo más sencillo.",
        ),
        COMPLAINT: (
            "Qué maravilla, otra vez me mandaron arroz en vez de quinoa.",
            "Me tuvieron toda la mañana esperando y lo reprogramaron sin avisar.",
            "Why does the invoice include a fee nobody mentioned?",
            "Salió del taller con el mismo ruido.",
            "Estoy muy decepcionado con el trato recibido.",
        ),
        PRAISE: (
            "No se rompió ni un vaso en la mudanza.",
            "No puedo decir nada malo del catering.",
            "Antes tardaban días, ahora responden al toque.",
        ),
    }
    cases[WIN] += (
        "Can we book you for the christening in June as well?",
        "Te recomendé en el grupo de mamás del cole.",
    )
    cases[LOSS] += ("Al final el salón lo reservamos en otro lado. Suerte", "ni de broma pago eso")
    cases[COMPLAINT] += ("Is anyone there?", "ya era hora", "Not what I expected for the price.")
    cases[PRAISE] += ("10/10 would recommend", "The cake was a hit!", "Vale cada peso.")
    meant = {WIN: "positive", LOSS: "negative", COMPLAINT: "negative", PRAISE: "positive"}
    for cue, texts in cases.items():
        _assert_read(texts, meant[cue], cue)
    # "Me dijeron" alone promised nothing; a returned contract is no returned product.
    for text in ("Me dijeron que llega el martes.", "Contrato firmado, os lo devuelvo ahora."):
        dense = featurize(text, lexical).dense
        assert COMPLAINT not in dense and LOSS not in dense, text


def test_the_words_of_a_complaint_are_no_complaint_on_their_own() -> None:
    lexical = Lexical()
    for text in (
        "Can you send me your refund policy?",
        "We expected the delivery on Monday, is that still the plan?",
        "I'll check with my manager and get back to you",
        "Much better than we expected, thank you!",
        "It doesn't keep crashing anymore, great fix",  # denied
        "Seguimos esperando la confirmación de finanzas, te aviso",
        "Quiero hablar con el responsable de compras sobre el contrato",
        "No estaba roto, todo bien",
        "Honestly not a waste of money at all",  # denied by "not a"
        "What's your cancellation policy?",  # a "plain" phrase: no lost deal either
        "¿Cuál es la política de devoluciones?",
        "If we cancel the contract, do we lose the discount?",  # a condition asks
        "Si cancelamos el primer mes, ¿hay penalidad?",
    ):
        dense = featurize(text, lexical).dense
        assert COMPLAINT not in dense and LOSS not in dense, text
        assert analyze(text).label != "negative", text
    # Praise in a complaint's words states no complaint.
    assert COMPLAINT not in featurize("I can't recommend you enough!", lexical).dense
    # A lost deal outweighs a complaint in the same text: the explanation names the loss.
    text = "The app keeps crashing, so we're going with another provider"
    assert LOSS in featurize(text, lexical).dense
    assert "(lost deal)" in " ".join(analyze(text).drivers)


def test_chat_about_products_and_plans_reads_as_meant() -> None:
    # Product complaints VADER's lexicon lacks ("crashing", "buggy", "unusable") count.
    lexical = dict(featurize("The app keeps crashing", Lexical()).lexical)
    assert lexical["crashing"] < 0
    assert analyze("Nice people, but the app is buggy and unusable").label == "negative"
    assert analyze("We got overcharged again").label == "negative"
    # "I'll" loses its apostrophe and is no "ill".
    assert "ill" not in dict(featurize("I'll call you on Monday", Lexical()).lexical)
    assert analyze("I'll call you on Monday to go over the details").label == "neutral"


def test_the_fast_scorer_finds_every_sales_phrase_the_rule_holds() -> None:
    # The fast path checks key word pairs before the regexes: a pair it missed would leave
    # a lost or won deal unread. Each phrase, said alone ("*" as one word), reads as the
    # plain path reads it.
    cues = _cue_phrases()
    lexical = Lexical()
    phrases = cues.loss + cues.choice + cues.win + cues.alone + cues.complaint + cues.praise
    phrases += cues.loss_alone + cues.complaint_alone
    unscored = 0
    for phrase in phrases:
        text = phrase.replace("*", "acme").capitalize() + "."
        result = analyze(text)
        if result.language in ("pt", "fr", "it", "de"):  # "Den de baja." alone reads German
            unscored += 1
            continue
        dense = featurize(text, lexical).dense
        said = " ".join(result.drivers)
        assert ("(lost deal)" in said) == (LOSS in dense), text
        assert ("(won deal)" in said) == (WIN in dense), text
        assert ("(complaint)" in said) == (COMPLAINT in dense), text
        assert ("(praise)" in said) == (PRAISE in dense), text
        stated = LOSS in dense or WIN in dense or COMPLAINT in dense or PRAISE in dense
        assert stated or phrase in cues.alone, text
    assert unscored < len(phrases) / 100


def test_a_cue_line_stands_for_each_choice() -> None:
    assert expand("{cancel|anulen} {my|el pedido}") == [
        "cancel my",
        "cancel el pedido",
        "anulen my",
        "anulen el pedido",
    ]
    assert expand("chose * instead") == ["chose * instead"]


def test_the_loss_rule_reads_clauses_apart() -> None:
    assert loss_text("No, es muy caro.") == "no , es muy caro"
    assert loss_text("¿No es muy caro? Vale") == "no es muy caro , vale"
    assert loss_text("see https://x.co/1 at 3:30") == loss_text("see https://x.co/1 at 3:30.")


def test_a_negation_turns_words_not_emoji() -> None:
    lexical = Lexical()
    assert dict(featurize("No te vuelvo a presentar a nadie 🤣", lexical).lexical)["🤣"] > 0
    assert dict(featurize("no es bueno", lexical).lexical)["bueno"] < 0
    drivers = analyze("No te vuelvo a presentar a nadie 🤣").drivers
    assert any(d.startswith("🤣(+") for d in drivers), drivers


def test_spanish_words_are_scored_in_their_everyday_sense() -> None:
    valence = Lexical().valence
    # Stems of other words ("tardar", "real", "podrido") do not score everyday words.
    assert [valence(w, "es") for w in ("tardes", "realidad", "podria", "tiempo")] == [0] * 4
    # The translated AFINN list adds words our list and the stems miss, but no function word.
    assert valence("generoso", "es") > 0 and valence("solo", "es") == 0
    assert valence("gracias", "es") == 1.9  # our own list comes first
    assert "tardes" not in dict(featurize("Buenas tardes, Ana", Lexical()).lexical)


def test_a_spanish_word_inflected_carries_the_valence_of_the_word_listed() -> None:
    valence = Lexical().valence
    # Plurals, superlatives and "-azo" of a word the lexicons list only as it stands.
    for inflected, listed in (
        ("malas", "mala"),
        ("malisimas", "malo"),
        ("feisima", "feo"),
        ("carisimas", "caro"),  # very dear, not "cara", a face
        ("flaquisimo", "flaco"),
        ("horribilisimo", "horrible"),
        ("buenazas", "bueno"),
        ("malazo", "malo"),
    ):
        assert valence(inflected, "es") == valence(listed, "es") != 0, inflected
    # A word listed as it stands keeps its own value, a piece is no "pedo", English is apart.
    assert valence("tardes", "es") == 0 and valence("pedazo", "es") == 0
    assert valence("malas", "en") == 0
    result = analyze("Estas sartenes son malísimas.")
    assert result.label == "negative" and any(d.startswith("malisimas(") for d in result.drivers)


def test_greetings_and_sign_offs_carry_no_sentiment() -> None:
    # "Buenas tardes" and "Best regards" are formulae: logistics around them stays neutral.
    for text in (
        "Buenas tardes, te paso el presupuesto",
        "Adjunto la factura de marzo. Un saludo, Juan",
        "Good morning, please find attached the invoice for March. Best regards, John",
        "Hope you are well. The technician comes on Tuesday. Kind regards",
    ):
        f = featurize(text, Lexical())
        formula_words = {"buenas", "saludo", "good", "morning", "best", "regards", "kind", "hope"}
        assert not formula_words & {word for word, _ in f.lexical}, (text, f.lexical)
        assert analyze(text).label == "neutral", text
        assert not any(
            d.startswith(("buen", "saludo", "good", "best", "regards", "kind"))
            for d in analyze(text).drivers
        )
    # The same words outside a formula still count, and a formula still says the language.
    assert analyze("Buenas noticias: aprobaron el presupuesto").label == "positive"
    assert "buenas" in dict(featurize("Buenas noticias", Lexical()).lexical)
    assert analyze("Buenos días").language == "es"
    # Longest formula first; a negation keeps its words ("didn't have a good day").
    assert strip_formulae(tokens("un cordial saludo ana")) == [3]
    assert strip_formulae(tokens("i didnt have a good day")) is None
    assert dict(featurize("I didn't have a good day", Lexical()).lexical)["good"] < 0
    assert strip_formulae(tokens("te paso el presupuesto")) is None
    # A lone "Buenas" opening a chat greets; "Buenas noticias" is news.
    for text in (
        "Buenas, te paso el número de pedido",
        "Hola, buenas! Te escribo por lo del pedido",
        "Buenas 👋 ¿me pasas el catálogo?",
    ):
        assert "buenas" not in dict(featurize(text, Lexical()).lexical), text
        assert analyze(text).label == "neutral", text
    assert strip_formulae(tokens("buenas te paso"), "Buenas, te paso") == [1, 2]
    assert strip_formulae(tokens("buenas noticias"), "Buenas noticias") is None
    # "Ok, thanks" acknowledges; what follows it still counts.
    for text in ("Ok, gracias!", "ok thanks", "Vale, muchas gracias", "ok thx", "ok noted"):
        assert analyze(text).label == "neutral", text
    assert analyze("Ok gracias, quedó perfecto").label == "positive"
    assert analyze("ok thanks, but the box arrived broken again").label == "negative"


def test_what_follows_a_contrast_outweighs_what_precedes_it() -> None:
    assert CONTRAST_SCOPE == "all"  # the shipped model was fit with n-grams weighed too
    assert last_contrast(tokens("good but bad, but great")) == 3
    assert last_contrast(tokens("all good")) == -1
    lexical = Lexical()
    # VADER's rule: lexicon words before the last "but" count half, after it one and a half.
    hits = dict(featurize("Thanks a lot, but the delivery was terrible", lexical).lexical)
    assert hits["thanks"] == pytest.approx(BEFORE * lexical.valence("thanks", "en"))
    assert hits["terrible"] == pytest.approx(AFTER * lexical.valence("terrible", "en"))
    weighted = weighted_features(tokens("nice but slow"))
    assert ("nice", BEFORE) in weighted and ("slow", AFTER) in weighted
    assert ("but", BEFORE) in weighted  # the contrast word goes with what precedes it
    assert all(w == 1.0 for _, w in weighted_features(tokens("nice and slow")))
    # A contrast ends a negation's reach: "sin embargo" does not turn "contentos".
    assert dict(featurize("Sin embargo, estamos contentos", lexical).lexical)["contentos"] > 0
    assert "~contentos" not in features(tokens("sin embargo, estamos contentos"))

    # Drivers weigh as the sums do: "thanks" before the "but" pushes less than alone.
    def push(text: str, word: str) -> float:
        found = [d for d in analyze(text).drivers if d.startswith(word + "(")]
        return float(found[0][len(word) + 1 : -1]) if found else 0.0

    assert push("Thanks a lot, but it was late", "thanks") < push("Thanks a lot", "thanks")


def test_negation_is_a_feature_of_its_own() -> None:
    feats = features(tokens("no me gusta"))
    assert "~gusta" in feats and "gusta" not in feats
    assert "gusta" in features(tokens("me gusta"))
    # "?" ends a negation's reach.
    assert "bien" in features(tokens("no? bien"))


def test_a_text_without_sentiment_words_needs_a_sure_model_to_be_polar() -> None:
    w = weights()
    assert 0.0 < w.evidence < 1.0  # the shipped model carries the rule
    top = w.evidence - 0.02  # the likeliest class, just short of the rule's threshold
    unsure = (top, 0.40, 1.0 - top - 0.40)
    assert w.label(unsure, lexical=False) == ("neutral", 0.40)
    assert w.label(unsure, lexical=True) == ("positive", top)
    assert w.label((0.1, 0.2, 0.7), lexical=False) == ("negative", 0.7)
    assert w.label((0.3, 0.4, 0.3), lexical=False) == ("neutral", 0.4)
    # Logistics with no sentiment word is neutral; its score still says which way it leans.
    for text in ("Te llamo mañana", "Mañana te envío la factura", "Send me the invoice"):
        f = featurize(text, Lexical())
        p_pos, p_neu, p_neg = Linear(w).probabilities(f)
        result = analyze(text)
        assert not f.lexical and result.label == "neutral", text
        assert result.confidence == round(p_neu, 3)
        assert result.score == round(p_pos - p_neg, 4)


def test_a_score_the_client_gives_is_read_as_a_complaint_or_praise() -> None:
    low = ("Honestly a 2/10.", "0 estrellas", "Zero stars if I could.", "le pongo un 0")
    _assert_read(low, "negative", COMPLAINT)
    high = ("Te dejé 5 estrellas en Google, te las ganaste.", "De 10 la atención!", "4.5/5")
    _assert_read(high, "positive", PRAISE)
    # Sarcasm under a top mark is the complaint it states.
    _assert_read(("10/10 would not recommend",), "negative", COMPLAINT, absent=(PRAISE,))
    # Dates, shares, quantities and a hotel's class are no score.
    for text in (
        "See you on 10/10 at nine",
        "Entrega el 10/10 a las 9",
        "Invoice dated 10/10/2026",
        "3 de 10 pedidos llegaron ayer",
        "un 10% de descuento",
        "una caja de 10",
        "We stayed at a 5 star hotel",
        "hotel de 5 estrellas",
    ):
        assert rating(text) is None, text
    assert rating("rated it 3 out of 5") == pytest.approx(0.6)


def test_a_refusal_or_complaint_that_is_a_whole_clause() -> None:
    _assert_read(("No thanks.", "No, gracias", "nah", "Cancel it.", "No vuelvo."), "negative", LOSS)
    _assert_read(("Meh.", "Nunca más.", "nada bueno"), "negative", COMPLAINT)
    # The same words inside a longer clause state nothing: "no thanks needed", a tag "¿no?".
    lexical = Lexical()
    for text in (
        "No thanks needed, happy to help!",
        "La gerente de cuenta que teníamos ya no está, ¿no?",
        "Nada, que al final nos vemos el lunes.",
    ):
        dense = featurize(text, lexical).dense
        assert LOSS not in dense and COMPLAINT not in dense, text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # No listed word settles these; the character model does.
        ("tô passando aí daqui a pouco pra buscar a encomenda, deixa separado pfv", "pt"),
        ("boa noite, ja sao 3 dias esperando resposta. ninguem atende o telefone", "pt"),
        ("passo tra 10 minuti a ritirare l'ordine, me lo tenete pronto?", "it"),
        ("che, ¿tenés la campera negra en talle M?", "es"),
        ("d'accordo, confermo", "it"),
        ("Servus, passt scho", "de"),
        # ... but it names a language we do not score only with a word of that language.
        ("Nada mal eh, nada mal", "es"),
    ],
)
def test_the_character_model_settles_what_the_words_do_not(text: str, language: str) -> None:
    assert analyze(text).language == language
    words = [w for w in tokens(text) if w[0].isalnum()]
    assert detect_language(words, text=text) == language


def test_a_lone_word_is_not_given_to_the_character_model() -> None:
    # py3langid reads "pésimo" as French; a lone word keeps what its lists say.
    assert analyze("pésimo").language in ("es", "unknown")
    assert analyze("pésimo").label == "negative"


def test_scare_quotes_around_a_promise_are_a_complaint() -> None:
    quoted = (
        'The "express" delivery took 3 weeks. Brilliant.',
        "Vuestro «servicio técnico» no contesta nunca.",
        "Your “customer support” is a joke",
    )
    _assert_read(quoted, "negative", COMPLAINT)
    # A name or an emphasis in quotes is neither.
    lexical = Lexical()
    for text in ('We would like the "Pro" plan, please', 'Can you send the "new" price list?'):
        assert COMPLAINT not in featurize(text, lexical).dense, text


def test_a_message_of_emoji_alone_reads_as_its_emoji() -> None:
    for text, label in (("👎", "negative"), ("😢😢", "negative"), ("🎉🎉", "positive")):
        result = analyze(text)
        assert result.label == label, text
        assert (result.score > 0) == (label == "positive"), text
        assert score_many([text]) == [(result.label, result.score)]
    # With words, the model decides as ever: a thumbs-down in a question stays what it says.
    assert analyze("¿Qué significa este 👎 en la app?").label != "positive"


def test_going_elsewhere_after_the_fact_and_ordering_more_of_the_same() -> None:
    gone = (
        "Ordered a book three weeks ago. I'll just get it elsewhere.",
        "A partir de junio cambiamos de proveedor de limpieza.",
        "Loved the studio, but the edits took four months. Wouldn't book again.",
    )
    _assert_read(gone, "negative", LOSS)
    unhappy = (
        "Hice el pedido de guantes y me llegó la mitad. Ni una llamada para avisar.",
        "The invoice says 180 but I was quoted 120. I won't be paying the difference.",
        "Lovely, another 6 weeks wait for the frames.",
    )
    _assert_read(unhappy, "negative", COMPLAINT)
    more = ("Sold out in two nights. Send 4 more kegs asap", "Listo parce, confirmado el pedido")
    _assert_read(more, "positive", WIN)
    # Her mother-in-law's "nada bueno" is not the client's complaint.
    _assert_read(
        ("Quedó precioso el patio, mi suegra que nunca dice nada bueno dijo que es de revista",),
        "positive",
        absent=(COMPLAINT,),
    )


def test_missing_wrong_and_broken_again_are_complaints_and_referrals_are_won() -> None:
    calm = (
        "The pharmacy delivery came without the insulin. Order 88213. I need it today.",
        "We received 30 units in size M instead of L. These need swapping before Friday.",
        "El celular que me repararon la semana pasada volvió a apagarse solo.",
        "Oye, las invitaciones salieron con la fecha mal: pusieron 14 de mayo y es el 24.",
        "Third email asking for the corrected invoice. Is anyone actually reading these?",
        "Dejen de mandarme promociones por WhatsApp, por favor.",
    )
    _assert_read(calm, "negative", COMPLAINT)
    lost = (
        "Got the proposal, thanks. Unfortunately the board didn't approve the budget this year.",
        "It's a bit too pricey for us at the moment, maybe next year.",
    )
    _assert_read(lost, "negative", LOSS)
    won = (
        "Los recomendé en el grupo de comerciantes del barrio, seguro te llegan clientes.",
        "Told my sister about you, she'll be calling tomorrow to book her engagement shoot.",
        "Confirmo pedido: 30 cajas de cerveza y 15 de agua para el sábado.",
        "Kindly proceed with the order. Payment has been made, find attached the receipt.",
    )
    _assert_read(won, "positive", WIN)
    # "Arrived without a scratch" is no missing part; "a bit pricey, but worth it" no refusal.
    _assert_read(("Llegó sin problemas, gracias",), "positive", absent=(COMPLAINT,))
    _assert_read(
        ("Bit pricey but worth every penny, the window fitting is flawless.",),
        "positive",
        absent=(LOSS,),
    )


def test_words_quoted_back_with_irony_are_a_complaint() -> None:
    ironic = (
        'lol "next day delivery" 🙃 it\'s been a week',
        'jajaja "te lo dejo listo el viernes" 🙃 ya van tres viernes',
    )
    _assert_read(ironic, "negative", COMPLAINT)
    # Quotes alone, or a smile, are no irony.
    lexical = Lexical()
    for text in ('Can you print "Happy Birthday Ana" on the cake? 🙂', 'haha the "Pro" plan it is'):
        assert COMPLAINT not in featurize(text, lexical).dense, text
        assert analyze(text).label != "negative", text


def test_acknowledgements_and_season_greetings_carry_no_sentiment() -> None:
    for text in ("👍", "Got it 👍", "ok 👌", "👍🏻"):
        assert analyze(text).label == "neutral", text
    assert strip_formulae(tokens("kindly share the details")) == [1, 2, 3]
    assert analyze("Great job on the flyers 👍").label == "positive"
    assert strip_formulae(tokens("feliz navidad ana")) == [2]
    assert strip_formulae(tokens("happy new year to all")) == [3, 4]


def test_business_clients_later_on_lost_kept_and_won() -> None:
    lost = (
        "Just letting you know we've submitted our 30-day termination notice as per clause 12.3.",
        "Good day. After the pilot, the board chose not to roll it out company-wide.",
        "Lo siento, se cayó el presupuesto de la segunda fase y no vamos a poder seguir con "
        "ustedes.",
        "Hi po, we won't be pushing through with the renewal na. Thank you for the support.",
    )
    _assert_read(lost, "negative", LOSS)
    # Coming back to the reader, then the same problems: the complaint outweighs the return.
    _assert_read(
        ("Regresamos con ustedes y seguimos con los mismos problemas. Muy decepcionada.",),
        "negative",
        COMPLAINT,
    )
    won = (
        "We'd like to add the analytics module to our plan. Kindly send the revised quote.",
        "Your offer beat the other two we got, so you've got the deal. When can you start?",
        "Probamos el lote de prueba y funcionó. Les envío la orden de compra hoy.",
        "We've extended the pilot into a full rollout across all 14 branches.",
    )
    _assert_read(won, "positive", WIN)
    # Another vendor mentioned, then the reader chosen or returned to: kept, not lost.
    kept = (
        "It was close between you and another vendor but the references tipped it your way.",
        "¡Volvimos! Después de un año con otro proveedor, ¿nos reactivan la cuenta?",
    )
    for text in kept:
        assert analyze(text).label == "positive", text
    # A question about the same words is neither.
    for text in (
        "¿Trabajan con la misma aseguradora que su competencia o tienen póliza propia?",
        "Retomo lo de la cotización de junio, ¿los precios siguen igual?",
    ):
        dense = featurize(text, Lexical()).dense
        assert LOSS not in dense and COMPLAINT not in dense, text
    assert analyze("Enterado, gracias.").label == "neutral"
    ooo = "I am out of the office until Monday with limited access to email."
    assert analyze(ooo).label == "neutral"


def test_consumers_in_chat_returns_fakes_and_slang_praise() -> None:
    unhappy = (
        "I want to return this, the stitching is already coming apart",
        "Pedí 12 alfajores y vinieron 10. Para la próxima cuenten bien",
        "Te pedí rosas blancas y llegaron rojas, y eran para un funeral. Increíble",
        "that's not the colour in the pic at ALL, this is orange not coral",
        "No quiero el cambio, quiero mi plata",
        "¿Por qué me cobraron envío si decía gratis arriba de 50 mil? 🤨",
        'Me vendieron un cargador "original" que claramente es trucho',
        'jajaja sí claro, "envío express" 🐢🐢',
    )
    _assert_read(unhappy, "negative", COMPLAINT)
    gone = ("ya no, gracias. Me quedo con la otra inmobiliaria", "uff no me vuelven a ver")
    _assert_read(gone, "negative", LOSS)
    happy = (
        "ngl i was nervous about the fade but bro u killed it fr, same time next month?",
        "screen looks brand new, can't even tell it was cracked. legend 👌",
        "Boricua aquí 🇵🇷 las empanadillas estaban brutales, pa la próxima pido doble",
        "la torta estaba de otro planeta, mi suegra ya me pidió tu contacto 😂",
        "dale, me anoto al plan trimestral del gym 💪",
    )
    for text in happy:
        assert analyze(text).label == "positive", text
    # Running late, said by the client, is logistics; the driver running late is not.
    assert analyze("I'll be 10 mins late, traffic on the A4").label == "neutral"
    assert strip_formulae(tokens("the driver is running late")) is None


def test_stance_said_indirectly_by_professional_clients() -> None:
    refused = (
        "I don't think this is the right fit for us at this stage, but thank you for your time.",
        "Appreciate the effort, but the quote is well above what we budgeted, so we'll have to "
        "pass.",
        "Lo hemos pensado mejor y de momento no vamos a hacer la ampliación de la terraza.",
        "Anulen el viaje a Punta Cana, por favor. Nos salió mejor por otro lado.",
    )
    _assert_read(refused, "negative", LOSS)
    complained = (
        "The finish on the cabinets is not quite what we had in mind.",
        "¿Hay algún motivo por el que nadie me haya devuelto la llamada desde el lunes?",
        "Respectfully, if this isn't resolved by Monday I'll be taking it up with the Law Society.",
        "Estoy empezando a pensar que les escribo a una pared.",
    )
    _assert_read(complained, "negative", COMPLAINT)
    pleased = (
        "I'm in. Send me the invoice for the deposit and we'll lock in the date.",
        "Mi marido dice que el baño ha quedado de hotel, y eso que él no se fija en nada.",
        "Hi Siobhan, the wedding was everything we hoped for. We owe you a drink.",
    )
    for text in pleased:
        assert analyze(text).label == "positive", text
    # Hiring more hours is no competitor; "can I come back to you" is a reply to come.
    dense = featurize("Quiero contratar otras diez horas de desarrollo", Lexical()).dense
    assert LOSS not in dense
    dense = featurize("Can I come back to you next week?", Lexical()).dense
    assert WIN not in dense


def test_praise_standing_alone_after_a_grievance_is_sarcasm() -> None:
    sarcastic = (
        "The replacement arrived broken as well. Brilliant.",
        "La lavadora sigue perdiendo agua después de la visita. Estupendo.",
        "Oh wonderful, another invoice with the wrong VAT number",
        "Genial, otra vez sin conexión en la oficina.",
    )
    _assert_read(sarcastic, "negative", COMPLAINT)
    # The same praise after good news, after plain logistics or after the writer's own
    # apology is sincere; an order that opens with "Perfect" is an order.
    _assert_not_read(
        (
            "The boiler has been quiet all week since your visit. Brilliant.",
            "The parcel arrived this morning. Perfect.",
            "Sorry for the late reply, I was away. Perfect!",
            "Perfect, another 10 boxes for Friday then",
        ),
        COMPLAINT,
        "negative",
    )


def test_spanish_sales_words_carry_no_sentiment_of_the_stem_lexicon() -> None:
    # A booking, a delivery, a copy, a nurse or "we want" is no judgement ("reserva" read -3
    # through a stem, "queremos" +3).
    valence = Lexical().valence
    words = ("reserva", "reservamos", "mandaron", "entregaron", "copia", "enfermera", "queremos")
    assert [valence(word, "es") for word in words] == [0] * len(words)
    assert valence("horrible", "es") < 0 and valence("encantaron", "es") > 0  # stems still work
    assert analyze("Hola, ¿me confirman la reserva del salón para el viernes?").label == "neutral"


def test_regional_voices_passing_buying_and_being_passed_around() -> None:
    lost = (
        "Gracias por todo, pero pasamos por esta vez.",
        "We've lost confidence in the service, so we won't be ordering from you again.",
        "Al final vamos a ir con la inmobiliaria que nos cobraba menos comisión.",
        "Te lo agradezco, pero me lo llevo a otro taller.",
    )
    _assert_read(lost, "negative", LOSS)
    complained = (
        "Llevo una semana y me siguen pasando de un departamento a otro.",
        "Third visit and the quote keeps going up, what exactly am I paying for?",
        "¿Alguien me va a contestar? Ya van cuatro correos.",
        "Felt really let down by the photos, half of them are blurry.",
    )
    _assert_read(complained, "negative", COMPLAINT)
    won = (
        "Listo, me lo llevo. Paso el sábado a buscarlo.",
        "Dale, arrancamos con el plan trimestral la semana que viene.",
        "Just renewed our membership for another year.",
        "Órale, te deposito el anticipo mañana temprano.",
    )
    _assert_read(won, "positive", WIN)
    assert analyze("What's the best time to call the office?").label == "neutral"


def test_a_comparison_the_reader_loses_staying_put_and_a_role_with_its_department() -> None:
    # Another supplier, an earlier one or the competition better than the reader: a complaint;
    # nobody better than the reader: praise.
    lost_comparisons = (
        "Honestly our last agency was far more reliable with deadlines.",
        "The competition is way cheaper and delivers next day.",
        "La gestoría de antes nos trataba muchísimo mejor que ustedes.",
        "Antes lo hacíais bastante mejor, la verdad.",
    )
    _assert_read(lost_comparisons, "negative", COMPLAINT)
    _assert_read(("No one looks after us like you do.",), "positive", PRAISE)
    # "better than you think" compares nothing with the reader.
    assert COMPLAINT not in featurize("It works better than you think.", Lexical()).dense
    # Keeping the client's own provider, said to one who offered to replace it: lost; staying
    # with the reader's company: won.
    _assert_read(
        (
            "We'll keep what we already use for the payroll, thank you for the demo.",
            "Gracias, pero de momento sigo con mi gestor de toda la vida.",
            "After the review we're staying with our existing broker.",
        ),
        "negative",
        LOSS,
    )
    _assert_read(
        ("Tras la reunión seguiremos trabajando con vuestra empresa otro año.",), "positive", WIN
    )
    # A role with its department is someone to do business with; a manager called in anger is
    # a complaint.
    for text in (
        "Quiero hablar con la encargada de compras sobre el pedido de enero.",
        "Necesito hablar con el jefe de obra para coordinar la entrega del material.",
    ):
        assert COMPLAINT not in featurize(text, Lexical()).dense, text
        assert analyze(text).label == "neutral", text
    _assert_read(("Quiero hablar con el encargado, llevo una hora esperando.",), "negative")


def test_a_short_decline_a_booking_elsewhere_and_a_fault_back_where_it_was_fixed() -> None:
    # A decline that is the whole reply, however short or soft, loses the deal.
    _assert_read(("Not right now.", "Maybe another time", "Ahorita no"), "negative", LOSS)
    # Booked elsewhere with the thing named, the other quote chosen, a slot no longer needed.
    _assert_read(
        (
            "Ya reservamos la sala en otro sitio, gracias",
            "Nos decidimos por la otra propuesta",
            "We won't need the van after all",
        ),
        "negative",
        LOSS,
    )
    # A fault back where, or soon after, it was fixed is a complaint, not one put right.
    _assert_read(
        (
            "The leak is back, right where you fixed it",
            "It stopped working two days after you fixed it",
            "Volvió la gotera justo donde la sellaron",
        ),
        "negative",
        COMPLAINT,
        absent=(PRAISE,),
    )


def test_news_about_the_client_and_a_rival_outdone_are_no_lost_deal() -> None:
    # A new role or address is news; a new supplier is a lost deal.
    text = "Quick note: I'm moving to a new office next month, same phone number."
    assert LOSS not in featurize(text, Lexical()).dense
    _assert_read(("We're switching to a new provider in the spring.",), "negative", LOSS)
    # What another supplier could not do, done by the reader: praise, no supplier lost.
    _assert_read(
        (
            "Arreglasteis en una tarde lo que otro taller no pudo en semanas.",
            "You fixed in a day what our old developer couldn't in a month.",
        ),
        "positive",
        PRAISE,
        absent=(LOSS,),
    )
    # A parcel that arrived is no complaint until something is wrong with it.
    assert COMPLAINT not in featurize("Ya me llegó el paquete, gracias", Lexical()).dense
    _assert_read(("Nos llegó la caja rota",), "negative", COMPLAINT)


def test_others_hired_and_the_same_noise_after_a_paid_repair() -> None:
    _assert_read(("Ya contratamos a otros, gracias de todas formas",), "negative", LOSS)
    _assert_read(
        ("Paid for the repair last week and it's still making the same noise.",),
        "negative",
        COMPLAINT,
    )


def test_a_fault_the_client_asks_to_have_mended_is_a_lead_unless_it_is_the_readers_doing() -> None:
    # A fault with a request for a visit, a quote or a price, and no word that the reader
    # caused it, is new work: a request, neither a complaint nor praise hiding in it ("dead on").
    _assert_read(
        (
            "The boiler stopped working after the power cut, could someone come and look?",
            "Phone screen cracked when I dropped it, how much to fix?",
            "The phone screen is dead on one side after a fall, how much to fix?",
            "Se rompió la persiana del salón, ¿cuánto cobran por venir a cambiarla?",
            "La caldera gotea desde la helada, ¿pueden venir a mirarla?",
        ),
        "neutral",
        REQUEST,
        absent=(COMPLAINT, PRAISE),
    )
    # The same request after the reader's own work, or for a fault back again, is a complaint
    # (the model may still weigh a polite request against it: it leans negative, at least).
    lexical = Lexical()
    for text in (
        "The boiler you fitted stopped working, could someone come and look?",
        "The boiler stopped working again, could someone come and look?",
        "La persiana que nos instalaron se rompió, ¿cuánto cobran por venir?",
        "Desde su visita la caldera gotea, ¿pueden venir a mirarla?",
        "Desde que vinieron a revisarla la caldera gotea, ¿pueden venir a mirarla?",
        "The heating stopped working since the engineer came, can someone come out?",
        "La mesa llegó con una pata rota, ¿pueden venir a retirarla?",
    ):
        dense = featurize(text, lexical).dense
        assert COMPLAINT in dense and REQUEST not in dense, text
        assert analyze(text).score < -0.1, text
    # Asking why a charge was made is no request for work.
    _assert_read(("¿Por qué me cobran la visita si no arreglaron nada?",), "negative", COMPLAINT)
    # Work another firm did is no supplier lost; a note someone left is no praise ("¡una nota!").
    for text in (
        "The alarm was installed by another company and now beeps at night, can you look?",
        "El portón lo instaló otra empresa y ahora hace ruido, ¿me pasan presupuesto?",
        "El vecino dejó una nota diciendo que el muro tiene una grieta, ¿pueden venir a verlo?",
    ):
        dense = featurize(text, lexical).dense
        assert LOSS not in dense and PRAISE not in dense, text
    _assert_read(("Contratamos a otra empresa para el portón, gracias igual.",), "negative", LOSS)


def test_a_fault_the_client_feared_or_that_is_gone_is_no_complaint() -> None:
    # Thanks after a rescue tell how bad it was: a fault feared or put right is praise.
    _assert_read(
        (
            "Thanks for getting the coffee stain out of my suit, I thought it was ruined!",
            "The mice were everywhere last month. Two weeks after your visit, not a single "
            "mouse. Thank you!",
            "Creí que la alfombra quedó destrozada, pero la dejaron como nueva.",
        ),
        "positive",
        absent=(COMPLAINT,),
    )
    # A belief with a conjunction after it, or a fault said as now, still complains.
    _assert_read(
        (
            "I thought we'd be fine, but the boiler died again this morning.",
            "I thought it was fixed, and it stopped working again.",
            "Pensaba que ya estaba arreglado y sigue sin funcionar.",
        ),
        "negative",
        COMPLAINT,
    )


def test_praise_after_a_turn_for_the_better_is_sincere() -> None:
    # What follows the last "but" is what a closing "Brilliant." answers.
    _assert_read(
        (
            "I was doubtful at first, but the new logo has brought us loads of compliments. "
            "Brilliant.",
            "Tenía mis dudas al principio, pero las reservas se han duplicado. Genial.",
        ),
        "positive",
        absent=(COMPLAINT,),
    )
    _assert_read(
        (
            "The parcel came at last, but it was damaged. Brilliant.",
            "Llegó por fin, pero roto. Genial.",
        ),
        "negative",
        COMPLAINT,
    )


def test_work_another_firm_did_is_a_lead_and_a_tender_lost_is_lost() -> None:
    _assert_not_read(
        (
            "Another company tiled our bathroom and the grout is cracking. Could you redo it?",
            "A different plumber fitted the shower and it leaks at the tray, can you come?",
            "La web nos la hizo otra agencia y no carga en el móvil, ¿podrían revisarla?",
            "Nos pintaron la fachada en otra empresa y se está descascarillando. ¿Presupuesto?",
        ),
        LOSS,
        "positive",
    )
    _assert_read(
        (
            "Thanks but no thanks.",
            "El comité ha seleccionado otra propuesta. Gracias por participar.",
            "The board has awarded the contract to another supplier.",
        ),
        "negative",
        LOSS,
    )


def test_a_remedy_counts_only_while_the_fault_stays_gone() -> None:
    # "Arrived today" puts a late order right, not a fault that is still there after it.
    _assert_read(
        (
            "Still broken. Arrived today and it does not turn on.",
            "Late again. Finally arrived, but the box was crushed.",
            "Me cobraron doble, ya me lo devolvieron pero todavía no veo el dinero.",
        ),
        "negative",
        COMPLAINT,
        absent=(PRAISE,),
    )
    # A negation that denies the fault ("no harm done", "ningún problema") keeps the remedy.
    _assert_read(
        (
            "They charged me twice but refunded it right away, no harm done.",
            "Me cobraron doble pero ya me lo devolvieron, ningún problema.",
            "Tyres fitted, alignment done, car no longer pulls to the left. Sorted.",
            "Desde que cambiaron el router no se ha caído el internet ni una vez.",
        ),
        "positive",
        PRAISE,
        absent=(COMPLAINT,),
    )


def test_a_threat_not_carried_out_is_no_loss_nor_complaint() -> None:
    # "Was about to" / "iba a": the client did not; "we're going to" (folded "were") still does.
    _assert_not_read(
        (
            "I was about to cancel my membership, but you sorted it the same day.",
            "Iba a cancelar la suscripción pero ya lo arreglaron.",
        ),
        LOSS,
        "negative",
    )
    _assert_not_read(
        ("I was ready to leave a bad review, but the replacement turned up next day. Thanks.",),
        COMPLAINT,
        "negative",
    )
    _assert_read(("We're going to go with the other quote, thanks anyway.",), "negative", LOSS)


def test_scare_quotes_on_what_a_maker_claims_are_a_complaint_unless_asked_about() -> None:
    _assert_read(
        (
            'Wow, thanks for the "fresh" salad with brown lettuce.',
            'lol the "handmade" mug has a made in china sticker on the bottom',
            'Gracias por el sushi "fresco" que olía a pescado de tres días.',
            'qué buena la "pizza artesanal", de las congeladas del súper',
        ),
        "negative",
        COMPLAINT,
    )
    # A question that names an option is not irony.
    _assert_not_read(
        ('Can I book the "express" option?', 'Do you sell the "homemade" jam in bigger jars?'),
        COMPLAINT,
        "negative",
    )


def test_praise_beside_an_ironic_face_is_sarcasm() -> None:
    _assert_read(
        (
            "wow. great job. 🙄",
            "Qué bien, me mandaron la lámpara con la pantalla rota 🙃",
            "Perfect, the app logged me out again mid-order 🙃",
        ),
        "negative",
        COMPLAINT,
    )
    # The face alone, beside a plain request, is no complaint.
    _assert_not_read(
        ("Sat on my glasses 🙄 can you fix the hinge or do I need new frames?",),
        COMPLAINT,
        "negative",
    )


def test_asking_who_will_be_in_is_no_unanswered_complaint() -> None:
    # "Is anyone there?" alone (or after a greeting) chases a silence; followed by when or what
    # for, it asks who will be in.
    _assert_read(
        ("Hello? Is anyone there?", "is anyone there?? 3rd message today", "¿Hay alguien ahí?"),
        "negative",
        COMPLAINT,
    )
    _assert_not_read(
        (
            "Is anyone there on Saturday to take the delivery?",
            "Will there be anyone there at 9 to let the plumber in?",
        ),
        COMPLAINT,
        "negative",
    )


def test_marks_that_show_nothing_do_not_split_words() -> None:
    # Copied email text and chat exports carry soft hyphens, zero-width spaces, direction marks
    # and control characters inside words: they must read as the words they hide in.
    for hidden, plain in (
        ("Excel\u00adlent work, thanks", "Excellent work, thanks"),
        ("gre\u200bat ser\u200dvice", "great service"),
        ("\ufeff\u200eCancel my order please", "Cancel my order please"),
        ("great\x00service", "great service"),
    ):
        read, meant = analyze(hidden), analyze(plain)
        assert (read.label, read.score, read.drivers) == (meant.label, meant.score, meant.drivers)
        assert score_many([hidden]) == [(meant.label, meant.score)]
    # An emoji sequence keeps its joiner: the shrug is still one sign.
    assert analyze("🤷\u200d♀️").drivers == analyze("🤷\u200d♀️ ").drivers


def test_a_formula_that_declines_is_a_lost_deal() -> None:
    # "Cheers anyway" thanks for an offer not taken: every development message with one is lost.
    _assert_read(
        (
            "we're gonna record somewhere closer to the band. cheers anyway",
            "Al final lo hace mi cuñado, gracias de todas formas",
            "Gracias por la info, pero nos decidimos por otra academia más cerca de casa.",
        ),
        "negative",
        LOSS,
    )
    # Another date is no other supplier.
    _assert_not_read(("Nos decidimos por otra fecha, ¿os va bien el 14?",), LOSS, "negative")


def test_praise_before_the_third_time_is_sarcasm() -> None:
    _assert_read(
        (
            "Estupendo, tercera vez este mes que llego a clase y no hay profesor.",
            'Great, another "we\'ll call you tomorrow".',
            "Brilliant, yet another missed collection.",
        ),
        "negative",
        COMPLAINT,
    )
    # A reorder is no repeat of a fault.
    _assert_read(("Great, another order of 20 please, same as last time.",), "positive")


def test_a_lone_word_our_phrases_read_is_scored_whatever_language_it_looks_like() -> None:
    # "nel" is Mexican slang for "no" and an Italian word: alone, it answers an offer.
    for text in ("nel", "Nel."):
        result = analyze(text)
        assert (result.label, result.language) == ("negative", "unknown"), text
        assert score_many([text]) == [(result.label, result.score)]
    # Italian of two words or more is still recognised and left neutral.
    assert analyze("nel mezzo del cammin di nostra vita").language == "it"
    assert analyze("nel mezzo del cammin di nostra vita").label == "neutral"


def test_a_cancellation_booked_again_is_a_request_not_a_lost_client() -> None:
    _assert_read(
        (
            "Hi, can I cancel my appointment on Thursday at 10am and rebook for the following"
            " Tuesday afternoon?",
            "Quiero cancelar mi cita del jueves y pasarla para el martes.",
            "Cancelen mi reserva del sábado y pásenla para el domingo, por favor.",
            "Necesito cancelar la reserva, ¿tienen otra fecha en marzo?",
        ),
        "neutral",
        REQUEST,
        absent=(LOSS,),
    )
    # Cancelled for good, or to go elsewhere, it is still lost.
    _assert_read(
        (
            "Cancel my appointment please. Never coming back.",
            "Cancel my membership, I've found a cheaper gym.",
        ),
        "negative",
        LOSS,
    )


def test_stance_implied_by_what_was_done() -> None:
    _assert_read(
        (
            "My wife has already booked the next one somewhere else.",
            "Ya compré el repuesto por internet y lo instala mi primo, gracias.",
            "Buenas, dejé de trabajar con ustedes porque el proveedor nuevo entrega en 24 horas.",
            "Ya he llevado la escritura a otra gestoría, me la hacen esta semana.",
            "the kids dont want to go back. just letting u know",
        ),
        "negative",
        LOSS,
    )
    # A fault gone since the reader's repair is praise, not "since you fixed it" the complaint.
    _assert_read(
        ("Haven't had to charge the mower battery once since you fixed it, money well spent.",),
        "positive",
        PRAISE,
        absent=(COMPLAINT,),
    )


def test_a_long_message_reads_each_phrase_by_the_words_just_before_it() -> None:
    # A condition, a belief or a guard a few words before a phrase counts however far into a
    # long message the phrase sits (each phrase now looks back a few words, not to the start:
    # 20,000 characters of phrases took half a second; `python -m bench.sentiment` times it).
    filler = "We spoke about the order for next week and the invoice. " * 300
    lexical = Lexical()
    for said, complains in (
        ("It keeps crashing, call us.", True),
        ("If the new printer keeps crashing, call us.", False),  # three words after "if"
        ("I left a bad review.", True),
        ("I was about to leave a bad review.", False),  # a guard of five words
        ("The dress was ruined.", True),
        ("I thought the dress was ruined.", False),
    ):
        for text in (said, filler + said):
            assert (COMPLAINT in featurize(text, lexical).dense) is complains, said
    # Many phrases in one message: each is read, and the last one decides.
    assert analyze("If it keeps crashing, call us. " * 600).label == "neutral"
    complaints = analyze("The app keeps crashing again. " * 600)
    assert complaints.label == "negative"
    assert any(driver.startswith("(complaint)") for driver in complaints.drivers)


def test_stars_counted_in_words_are_a_score() -> None:
    _assert_read(
        ("Five stars.", "Cinco estrellas, se lo merecen.", "Le doy cinco estrellas"),
        "positive",
        PRAISE,
    )
    _assert_read(
        ("One star. Broke on day two.", "Una estrella y porque no se puede poner cero."),
        "negative",
        COMPLAINT,
    )
    assert rating("Three stars, it's fine.") == pytest.approx(0.6)
    # Stars that rate nothing: a hotel's class, a star in the sky, "five star service".
    for text in (
        "We stayed at a five star hotel.",
        "Vi una estrella fugaz anoche.",
        "Five star service from start to finish.",
        "Tengo que estar allí a las cinco.",
    ):
        assert rating(text) is None, text


def test_what_a_product_review_says_of_the_purchase() -> None:
    _assert_read(
        (
            "Ordered two, both were dead on arrival.",
            "Total lemon, the toaster burns one side.",
            "Stitching came apart on the first wash.",
            "Bloated software that keeps nagging me to upgrade to the pro plan.",
            "Llegó muerto, ni siquiera enciende.",
        ),
        "negative",
        COMPLAINT,
        absent=(PRAISE, WIN),
    )
    # Two coats needed is no missing part; measurements dead on are still praise.
    assert COMPLAINT not in featurize("Hacen falta dos manos para cubrir bien.", Lexical()).dense
    assert COMPLAINT in featurize("Faltan dos piezas en la caja.", Lexical()).dense
    assert PRAISE in featurize("The measurements are dead on.", Lexical()).dense
