"""The distant-supervision labelling rule of `python -m tools.sentiment.train --distant`."""

from __future__ import annotations

from tools.sentiment.corpora import _Overlap, emoji_labelled, normalised, unsigned


def test_emoji_label_and_signs_removed() -> None:
    assert emoji_labelled("Me encanta el nuevo diseño 😍😍") == (
        "Me encanta el nuevo diseño",
        "positive",
    )
    late = "Otra vez tarde el envío"
    assert emoji_labelled(f"{late} :( 😡") == (late, "negative")
    # Skin tones and variation selectors go with their sign.
    assert emoji_labelled("Gracias por todo ❤️ 👍🏽 de verdad") == (
        "Gracias por todo de verdad",
        "positive",
    )


def test_mixed_unsigned_and_short_tweets_get_no_label() -> None:
    assert emoji_labelled("Qué día 😍 pero qué cansancio 😩") is None  # mixed signals
    assert emoji_labelled("Jajaja no puedo más 😂") is None  # laughter is not in either set
    assert emoji_labelled("Hola 😊") is None  # under three words once the sign is gone
    # A smiley inside a URL is not a sign.
    assert emoji_labelled("mira esto http://x.co/a:)b ya") is None


def test_emoji_free_tweets_stand_for_neutral() -> None:
    assert unsigned("La reunión es el martes a las diez") == (
        "La reunión es el martes a las diez",
        "neutral",
    )
    assert unsigned("La reunión es el martes 🙂") is None
    assert unsigned("Nos vemos ;)") is None


def test_normalised_text_for_duplicate_checks() -> None:
    assert normalised("@ana ¡Qué BIEN!! https://t.co/x 😀") == "qué bien"


def test_a_training_tweet_that_repeats_a_held_out_one_is_caught() -> None:
    held_out = ["Otra vez el vuelo sale tarde y nadie nos dice nada @iberia"]
    overlaps = _Overlap(held_out)
    assert overlaps(normalised("otra vez el vuelo sale tarde y nadie nos dice nada"))
    # Half the word trigrams shared is a near duplicate (a retweet with a comment).
    assert overlaps(normalised("jaja otra vez el vuelo sale tarde y nadie nos dice"))
    assert not overlaps(normalised("el vuelo de ayer salió a su hora, todo bien"))
    assert not _Overlap(None)(normalised("otra vez el vuelo sale tarde"))
