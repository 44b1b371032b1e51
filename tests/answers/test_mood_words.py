"""How a stored mood reads in tool answers and insights."""

from __future__ import annotations

from tools.schemas import Mood


def test_a_neutral_mood_that_leans_says_which_way() -> None:
    # The evidence rule leaves a message with no sentiment word neutral; its score still leans.
    assert Mood(label="neutral", score=-0.27).describe() == "neutral, leaning negative (-0.27)"
    assert Mood(label="neutral", score=0.31).describe() == "neutral, leaning positive (+0.31)"
    assert Mood(label="neutral", score=0.05).describe() == "neutral (+0.05)"
    assert Mood(label="negative", score=-0.62).describe() == "negative (-0.62)"
