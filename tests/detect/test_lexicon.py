"""The lexicon detector: plain hits, slang and typos, and the verdicts that keep everyday talk quiet."""

from __future__ import annotations

import pytest

from bot.detect.base import LexiconVeto
from bot.detect.lexicon import LexiconDetector, parse_lexicon
from bot.detect.normalise import spellings
from flows.risk import LanguageSignal, RiskTier, strongest

DETECTOR = LexiconDetector()


def tier_of(text: str) -> RiskTier:
    """Return the lexicon's tier for a message."""
    return strongest(DETECTOR.detect(text))


def verdicts_of(text: str) -> set[str]:
    """Return the kinds of verdict the lexicon gave."""
    return {signal.kind for signal in DETECTOR.detect(text) if isinstance(signal, LexiconVeto)}


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "wanna end it",
        "kms",
        "gonna unalive myself tbh",
        "I’m going to end it all",
        "I want to diiiiie",
        "I'm    SUICIDAL",
        "done with life",
        "i cant go on living",
        "I've been self-harming again",
    ],
)
def test_urgent_phrases_slang_and_typos(text: str) -> None:
    assert tier_of(text) == RiskTier.URGENT


@pytest.mark.parametrize(
    "text",
    ["cant go on", "I feel like a burden", "nothing matters any more", "I can't cope", "I'm not ok"],
)
def test_concern_phrases(text: str) -> None:
    assert tier_of(text) == RiskTier.CONCERN


@pytest.mark.parametrize(
    "text",
    [
        "I'm not going to hurt myself",
        "I would never kill myself",
        "No thoughts of suicide, honestly",
        "I don't want to die, I want a holiday",
    ],
)
def test_negation_is_not_urgent(text: str) -> None:
    assert tier_of(text) < RiskTier.CONCERN
    assert "negation" in verdicts_of(text)


def test_negation_does_not_hide_a_later_clause() -> None:
    assert tier_of("I'm not ok. I want to end my life") == RiskTier.URGENT
    assert tier_of("I can't stop thinking about killing myself") == RiskTier.URGENT
    assert tier_of("I'm not going to kill myself but I can't cope") == RiskTier.CONCERN


@pytest.mark.parametrize(
    "text",
    [
        "this queue is killing me",
        "I could murder a bacon roll",
        "dying to see it",
        "just here to kill time",
        "dead tired",
        "I killed myself laughing",
        "I'd rather die than go to that wedding",
    ],
)
def test_idioms_are_quiet_and_marked(text: str) -> None:
    assert tier_of(text) == RiskTier.NONE
    assert "idiom" in verdicts_of(text)


def test_third_person_is_concern_not_urgent() -> None:
    signals = DETECTOR.detect("my friend wants to die")
    assert strongest(signals) == RiskTier.CONCERN
    assert "third_person" in {signal.kind for signal in signals if isinstance(signal, LexiconVeto)}
    assert strongest(DETECTOR.detect("my brother keeps talking about killing himself")) == RiskTier.CONCERN
    assert strongest(DETECTOR.detect("I told my friend I want to die")) == RiskTier.URGENT


def test_past_tense_is_not_urgent() -> None:
    assert tier_of("I used to self-harm") == RiskTier.CONCERN
    assert tier_of("I used to self-harm but I'm doing really well now") == RiskTier.NONE
    assert "past_tense" in verdicts_of("I used to self-harm")


def test_quotes_and_lyrics_with_context_are_quiet() -> None:
    assert tier_of("the chorus goes 'I want to die tonight' and it's a banger") == RiskTier.NONE
    assert tier_of('this song "end it all" is on the radio again') == RiskTier.NONE
    assert tier_of("I keep thinking 'I want to die'") == RiskTier.URGENT


def test_normalisation_of_apostrophes_repeats_and_spaces() -> None:
    curly, straight = spellings("I’m   NOT   ok"), spellings("i'm not ok")
    assert curly[0].text == straight[0].text == "im not ok"
    assert [spelling.text for spelling in spellings("sooooo")] == ["soo", "so"]


def test_every_hit_has_a_reason_that_does_not_quote_the_member() -> None:
    text = "CANARY-MEMBER-TEXT i want to die"
    signals = DETECTOR.detect(text)
    assert signals and all(isinstance(signal, LanguageSignal) and signal.reason for signal in signals)
    assert all("canary" not in signal.reason.lower() and text not in signal.reason for signal in signals)


def test_batch_returns_one_list_per_text() -> None:
    results = DETECTOR.detect_batch(["fine thanks", "kms", ""])
    assert [strongest(signals) for signals in results] == [RiskTier.NONE, RiskTier.URGENT, RiskTier.NONE]


def test_malformed_lexicon_data_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_lexicon({"rules": [{"tier": "URGENT", "reason": "x", "patterns": ["("]}], "verdicts": {}})
    with pytest.raises(ValueError, match="unknown risk tier"):
        parse_lexicon({"rules": [{"tier": "SEVERE", "reason": "x", "patterns": ["a"]}], "verdicts": {}})
