"""The analyser's rules, pinned with sentences of our own in Spanish and English."""

from __future__ import annotations

import pytest

from tools.sentiment import analyze, analyze_many


def score(text: str) -> float:
    """The score of `text`."""
    return analyze(text).score


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Muchas gracias, todo perfecto", "positive"),
        ("El envío llegó roto, fatal", "negative"),
        ("Te paso el presupuesto mañana", "neutral"),
        ("Thanks, great job!", "positive"),
        ("This is unacceptable", "negative"),
        ("Send me the invoice", "neutral"),
    ],
)
def test_clear_cases_in_both_languages(text: str, label: str) -> None:
    assert analyze(text).label == label


def test_negation_flips_and_double_negation_emphasises() -> None:
    assert analyze("me gusta").label == "positive"
    assert analyze("no me gusta").label == "negative"
    # "no ... nada" is Spanish emphasis, not a second flip.
    assert score("no me gusta nada") < score("no me gusta") < 0
    assert analyze("no está mal").label != "negative"
    assert analyze("not bad").label != "negative"
    assert score("not good") < 0 < score("good")


def test_intensifiers_and_softeners() -> None:
    assert score("muy bueno") > score("bueno") > score("un poco bueno") > 0
    assert score("really bad") < score("bad") < score("kinda bad") < 0
    assert score("súper contento") > score("contento")


def test_contrast_weighs_the_second_clause() -> None:
    assert analyze("el producto es bueno pero el envío fue fatal").label == "negative"
    assert analyze("caro, pero el servicio es excelente").label == "positive"
    assert analyze("the price is high but the service is excellent").label == "positive"
    # A concessive clause counts less than the main one.
    assert score("aunque tardó, el resultado es excelente") > 0


def test_emoji_and_emoticons_carry_sentiment() -> None:
    assert analyze("Recibido 👍").label == "positive"
    assert analyze("Otra vez el pedido 😡").label == "negative"
    assert score("ok :)") > score("ok") > score("ok :(")
    assert "😡" in " ".join(analyze("vaya tela 😡").drivers)


def test_elongation_capitals_and_exclamations_amplify() -> None:
    assert analyze("graciaaaas").label == "positive"
    assert score("graciaaaas") > score("gracias")
    assert score("esto es HORRIBLE") < score("esto es horrible") < 0
    assert score("genial!!!") > score("genial") > 0


def test_chat_abbreviations_and_laughter() -> None:
    assert analyze("q mal xq no contestais").label == "negative"
    assert analyze("thx, gr8 work").label == "positive"
    assert analyze("jajaja vale").label == "positive"


def test_accents_are_optional() -> None:
    assert score("pésimo servicio") == score("pesimo servicio") < 0
    assert analyze("dificil").language == analyze("difícil").language


def test_language_detection() -> None:
    assert analyze("Hola, ¿me pasas el presupuesto de las mesas?").language == "es"
    assert analyze("Hi, could you send me the quote for the tables?").language == "en"
    assert analyze("Hola! The quote está perfect, pero the price es muy high").language == "mixed"
    assert analyze("👍").language == "unknown"


def test_mixed_language_messages_are_scored() -> None:
    assert analyze("Great service, muchas gracias!").label == "positive"
    assert analyze("The delivery fue un desastre").label == "negative"


def test_emotions_and_drivers_explain_the_result() -> None:
    complaint = analyze("Estoy harto, esto es una vergüenza 😡")
    assert complaint.emotions["anger"] > 0
    assert complaint.emotions["joy"] == 0
    assert any(d.startswith(("harto", "verguenza")) for d in complaint.drivers)
    thanks = analyze("¡Mil gracias, estamos encantados! 🎉")
    assert thanks.emotions["joy"] > 0
    assert set(thanks.emotions) == {"joy", "anger", "sadness", "fear", "surprise", "trust"}
    worried = analyze("I'm worried about the delivery date")
    assert worried.emotions["fear"] > 0


def test_scores_are_bounded_and_confidence_grows_with_evidence() -> None:
    texts = ["!!!!!!", "", "muy muy muy muy bueno!!!!", "x" * 5000, "HORRIBLE HORRIBLE 😡😡😡"]
    for result in analyze_many(texts):
        assert -1 <= result.score <= 1
        assert 0 <= result.confidence <= 1
    assert analyze("excelente, genial, perfecto").confidence > analyze("ok").confidence


def test_stems_only_match_inflections() -> None:
    # "abandon" is a negative stem: "abandonado" matches it, an unrelated word does not.
    assert score("nos habéis abandonado") < 0
    assert analyze("la maleta azul").label == "neutral"
