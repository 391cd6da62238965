"""Lexicon detector: phrase patterns per tier, kept as data, with verdicts for idioms, negation and context.

Every rule hit is judged in its clause: inside an everyday figure of speech it is dropped; followed by a topic
word ("suicide prevention") it is dropped; negated ("I'm not going to hurt myself") it is dropped; about someone
else it becomes CONCERN; about the past it becomes CONCERN, or nothing when the message says things are better
now; inside quotation marks with a song or film in view it is dropped. Each such verdict is also returned as a
`LexiconVeto` so the combination rule can weigh it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.detect.base import LexiconVeto, tier_named
from bot.detect.normalise import NormalisedText, spellings, words
from flows.risk import LanguageSignal, RiskTier

_MACRO = re.compile(r"%([A-Z]+)%")
_PAST_PREFIX = "in the past: "
_OTHER_PREFIX = "about someone else: "
_THINKING_VERBS = frozenset({"think", "thought", "thinking", "say", "said", "knew", "know", "realised", "imagined"})


@dataclass(frozen=True)
class LexiconRule:
    """Patterns that, when matched about the member now, mean one tier for one reason."""

    tier: RiskTier
    reason: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Lexicon:
    """The lexicon's rules and the word lists its verdicts use."""

    rules: tuple[LexiconRule, ...]
    idioms: tuple[re.Pattern[str], ...]
    verdict_reasons: Mapping[str, str]
    negation_cues: frozenset[str]
    negation_bridges: frozenset[str]
    negation_distance: int
    third_subjects: frozenset[str]
    first_person: frozenset[str]
    third_person_words: frozenset[str]
    fiction_cues: frozenset[str]
    past_cues: tuple[re.Pattern[str], ...]
    recovery_cues: tuple[re.Pattern[str], ...]
    quote_cues: frozenset[str]
    topic_cues: frozenset[str]
    topic_links: frozenset[str]


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    """Expand %NAME% macros, including macros inside macros."""
    for _ in range(5):
        expanded = _MACRO.sub(lambda match: macros[match.group(1)], pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise ValueError("lexicon macros nest too deeply")


def _compile(pattern: str, macros: Mapping[str, str]) -> re.Pattern[str]:
    """Compile a pattern to match whole words only."""
    return re.compile(rf"(?<![a-z0-9])(?:{_expand(pattern, macros)})(?![a-z0-9])")


def _phrases(phrases: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    """Compile plain phrases to whole-word patterns."""
    return tuple(re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])") for phrase in phrases)


def parse_lexicon(data: Mapping[str, Any]) -> Lexicon:
    """Build a lexicon from its data, raising ValueError on anything malformed."""
    try:
        macros = data.get("macros", {})
        verdicts = data["verdicts"]
        rules = tuple(
            LexiconRule(
                tier_named(rule["tier"]),
                str(rule["reason"]),
                tuple(_compile(pattern, macros) for pattern in rule["patterns"]),
            )
            for rule in data["rules"]
        )
        negation, third, past = verdicts["negation"], verdicts["third_person"], verdicts["past_tense"]
        return Lexicon(
            rules=rules,
            idioms=tuple(_compile(pattern, macros) for pattern in verdicts["idiom"]["patterns"]),
            verdict_reasons={kind: str(verdict["reason"]) for kind, verdict in verdicts.items()},
            negation_cues=frozenset(negation["cues"]),
            negation_bridges=frozenset(negation["bridges"]),
            negation_distance=int(negation["max_distance"]),
            third_subjects=frozenset(third["subjects"]),
            first_person=frozenset(third["first_person"]),
            third_person_words=frozenset(third["third_person_words"]),
            fiction_cues=frozenset(third["fiction_cues"]),
            past_cues=_phrases(past["cues"]),
            recovery_cues=_phrases(past["recovery_cues"]),
            quote_cues=frozenset(verdicts["quote"]["cues"]),
            topic_cues=frozenset(verdicts["topic"]["cues"]),
            topic_links=frozenset(verdicts["topic"].get("before_links", ())),
        )
    except (KeyError, TypeError, re.error) as error:
        raise ValueError(f"lexicon data is malformed ({type(error).__name__}: {error})") from error


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load the lexicon from a JSON file (default: the packaged bot/detect/data/lexicon.json)."""
    if path is None:
        text = resources.files("bot.detect").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_lexicon(json.loads(text))


class LexiconDetector:
    """Flags messages whose words match the lexicon, judged in context."""

    name = "lexicon"

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        """Use a given lexicon, or load the packaged one."""
        self.lexicon = lexicon or load_lexicon()

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        """Return the signals for each text."""
        return [self.detect(text) for text in texts]

    def detect(self, text: str) -> list[LanguageSignal]:
        """Return the hits and verdicts for one message, one signal per distinct reason."""
        found: dict[tuple[RiskTier, str], LanguageSignal] = {}
        for spelling in spellings(text):
            for signal in self._read(spelling):
                key = (signal.tier, signal.reason)
                found.setdefault(key, signal)
        return sorted(found.values(), key=lambda signal: (-signal.tier, signal.reason))

    def _read(self, spelling: NormalisedText) -> list[LanguageSignal]:
        """Match rules and idioms in one spelling and judge each hit."""
        idiom_spans = [match.span() for pattern in self.lexicon.idioms for match in pattern.finditer(spelling.text)]
        signals: list[LanguageSignal] = []
        if idiom_spans:
            signals.append(self._veto("idiom"))
        message_words = set(words(spelling.text))
        for rule in self.lexicon.rules:
            for pattern in rule.patterns:
                for match in pattern.finditer(spelling.text):
                    start, end = match.span()
                    if any(start < idiom_end and idiom_start < end for idiom_start, idiom_end in idiom_spans):
                        continue
                    signals.extend(self._judge(spelling, start, end, rule, message_words))
        return signals

    def _judge(
        self, spelling: NormalisedText, start: int, end: int, rule: LexiconRule, message_words: set[str]
    ) -> list[LanguageSignal]:
        """Decide what one rule hit means, given its clause and the whole message."""
        lexicon = self.lexicon
        if spelling.is_quoted(start, end) and message_words & lexicon.quote_cues:
            return [self._veto("quote")]
        clause = spelling.clause_at(start)
        before = words(spelling.text[clause.start : start])
        if self._about_the_topic(before, words(spelling.text[end : end + 30])[:1]):
            return [self._veto("topic")]
        if self._negated(before):
            return [self._veto("negation")]
        if self._about_someone_else(before, words(spelling.text[start:end])):
            if message_words & lexicon.fiction_cues:
                return [self._veto("quote")]
            tier = min(rule.tier, RiskTier.CONCERN)
            return [LanguageSignal(tier, self.name, _OTHER_PREFIX + rule.reason), self._veto("third_person")]
        clause_text = spelling.text[clause.start : clause.end]
        if any(cue.search(clause_text) for cue in lexicon.past_cues):
            if any(cue.search(spelling.text) for cue in lexicon.recovery_cues):
                return [self._veto("past_tense")]
            tier = min(rule.tier, RiskTier.CONCERN)
            return [LanguageSignal(tier, self.name, _PAST_PREFIX + rule.reason), self._veto("past_tense")]
        return [LanguageSignal(rule.tier, self.name, rule.reason)]

    def _about_the_topic(self, before: list[str], following: list[str]) -> bool:
        """Say whether a hit names a subject ("suicide prevention", "a talk about self-harm")."""
        cues = self.lexicon.topic_cues
        if following and following[0] in cues:
            return True
        return len(before) >= 2 and before[-1] in self.lexicon.topic_links and before[-2] in cues

    def _negated(self, before: list[str]) -> bool:
        """Say whether a negation governs the words that follow `before` (only bridge words in between).

        A negated verb of thinking with its own subject after it ("I never thought I'd ...") negates the
        thinking, not what follows, so it does not count.
        """
        subject_seen = False
        for distance, word in enumerate(reversed(before)):
            if distance >= self.lexicon.negation_distance:
                return False
            if word in self.lexicon.negation_cues:
                return True
            if word not in self.lexicon.negation_bridges:
                return False
            if word in self.lexicon.first_person:
                subject_seen = True
            elif subject_seen and word in _THINKING_VERBS:
                return False
        return False

    def _about_someone_else(self, before: list[str], matched: list[str]) -> bool:
        """Say whether a hit is about someone other than the member (its own words, else the nearest subject)."""
        lexicon = self.lexicon
        if any(word in lexicon.first_person for word in matched):
            return False
        if any(word in lexicon.third_person_words for word in matched):
            return True
        for word in reversed(before):
            if word in lexicon.first_person:
                return False
            if word in lexicon.third_subjects:
                return True
        return False

    def _veto(self, kind: str) -> LexiconVeto:
        """Return the verdict signal of one kind."""
        return LexiconVeto(RiskTier.NONE, self.name, self.lexicon.verdict_reasons[kind], 1.0, kind)
