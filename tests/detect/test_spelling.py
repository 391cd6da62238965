"""Standardising chat spelling: dialect, text-speak, crisis slang, leetspeak, repeated letters, misspellings."""

from __future__ import annotations

import pytest

from bot.detect.spelling import parse_spelling, standardise


@pytest.mark.parametrize(
    ("written", "standard"),
    [
        ("a want tae end it the nicht", "i want to end it tonight"),
        ("A cannae dae this anymore", "i cannot do this any more"),
        ("ah'm no safe", "i am not safe"),
        ("masel", "myself"),
        ("gonna unalive meself 2nite", "going to kill myself tonight"),
        ("kms", "kill myself"),
        ("thinking about sewerslide", "thinking about suicide"),
        ("i w4nt to k1ll mys3lf", "i want to kill myself"),
        ("so d3ad inside", "so dead inside"),
        ("sooo tired", "so tired"),
        ("I want to diiiiie", "i want to die"),
        ("killlll me", "kill me"),
        ("feeeeling low", "feeling low"),
        ("idk wot to do tbh", "i do not know what to do to be honest"),
        ("suicdal again", "suicidal again"),
        ("relapsed on sh last nite", "relapsed on self harm last night"),
        ("divvent knaa, nowt matters", "do not know, nothing matters"),
        ("fit's the point", "what is the point"),
    ],
)
def test_dialect_text_speak_and_leetspeak_become_standard_english(written: str, standard: str) -> None:
    assert standardise(written) == standard


def test_plain_english_keeps_its_words_and_clause_punctuation() -> None:
    assert standardise("Went to the allotment. Lovely day!") == "went to the allotment. lovely day!"
    assert standardise("I took 2 tablets for my headache") == "i took 2 tablets for my headache"


def test_censored_swearing_is_not_read_as_a_crisis_abbreviation() -> None:
    assert "self harm" not in standardise("sh*t day at work")


def test_spelling_data_is_validated() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_spelling({"words": {}, "phrases": [["(", "x"]], "leet": {}, "keep_double": []})
    with pytest.raises(ValueError, match="single characters"):
        parse_spelling({"words": {}, "phrases": [], "leet": {"ab": "c"}, "keep_double": []})
