"""Which language a message is written in, offline: the writing system, lingua's guess and marker words.

The rule (chosen for recall on short messages, checked on English, Scots and text-speak that must stay English):

1. A message mostly in another writing system (Arabic, Gurmukhi, Bengali, Devanagari, Cyrillic, ...) is not
   English: lingua names the language, or the script does when lingua is unsure or not loaded.
2. In Latin letters, a message whose words are mostly English, Scots or text-speak (en.json) stays English.
3. Otherwise it is in language L when at least two of its words are L's marker words (one, for a message of one
   or two words with no English word), or when lingua gives L at least 0.5 and English under 0.2, or when lingua
   gives L at least 0.3 and one word is L's marker. lingua alone never decides a one-word message ("brb", "hiya").
4. A message with letters English does not use (ą, ș, ñ, ô, ı, ...), or of three words or more with no English
   word and lingua unsure of English, is not English either: lingua names it if sure, else it is "und" (a
   language with no data file: it gets the notice in English, with the numbers).
5. Anything else stays English. A guess never stops English reading: it only adds help (see flows/unreadable).

Punjabi in Arabic letters (Shahmukhi) is taken for Urdu on purpose: its readers read that script, and the Punjabi
notice is written in Gurmukhi. Romanised Urdu, Punjabi and Bengali are told apart by their marker words only.

lingua is often unsure on short messages (FACTS.md: Scots came out as Dutch, romanised Urdu as Yoruba), which is
why rules 2 and 3 lean on word lists; lingua alone never turns a mostly-English message foreign.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.detect.base import LOGGER_NAME
from bot.detect.languages import ENGLISH, LanguageProfile, fold, load_profiles, words
from flows.risk import LanguageSignal

logger = logging.getLogger(LOGGER_NAME)

UNDETERMINED = "und"
# Languages lingua compares: English and the languages in Latin letters with a data file, plus French, Italian and
# Turkish (spoken in UK communities, with a notice of their own) and Dutch (close to Scots). Arabic, Urdu, Persian,
# Punjabi and Bengali are told apart by their writing system and letters: each lingua language costs about 26 MB.
LINGUA_LANGUAGES = (
    "ENGLISH", "POLISH", "ROMANIAN", "LITHUANIAN", "PORTUGUESE", "SPANISH", "WELSH", "SOMALI", "GERMAN", "IRISH",
    "FRENCH", "DUTCH", "ITALIAN", "TURKISH",
)  # fmt: skip
_LINGUA_CODES = {
    "ENGLISH": "en", "POLISH": "pl", "URDU": "ur", "PUNJABI": "pa", "BENGALI": "bn", "ROMANIAN": "ro", "ARABIC": "ar",
    "LITHUANIAN": "lt", "PORTUGUESE": "pt", "SPANISH": "es", "WELSH": "cy", "SOMALI": "so", "GERMAN": "de",
    "IRISH": "ga", "DUTCH": "nl", "FRENCH": "fr", "ITALIAN": "it", "PERSIAN": "fa", "TURKISH": "tr", "HINDI": "hi",
    "RUSSIAN": "ru", "UKRAINIAN": "uk",
}  # fmt: skip
_SCRIPTS = (
    (re.compile("[\u0a00-\u0a7f]"), "pa"),
    (re.compile("[\u0980-\u09ff]"), "bn"),
    (re.compile("[\u0900-\u097f]"), "hi"),
    (re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"), "ar"),
    (re.compile("[\u0400-\u04ff]"), "ru"),
)
_URDU_LETTERS = re.compile("[ٹڈڑںےۓھہ]")
_PERSIAN_LETTERS = re.compile("[پچژگکی]")
_UKRAINIAN_LETTERS = re.compile("[іїєґІЇЄҐ]")
_GAELIC_GRAVES = re.compile("[àèìòù]")
LINGUA_SURE = 0.5
LINGUA_WITH_MARKER = 0.3
ENGLISH_UNSURE = 0.2
ENGLISH_MAJORITY = 0.5
UNKNOWN_MIN_WORDS = 3


@dataclass(frozen=True)
class Identification:
    """What a message is written in: "en", a language code, or "und" (not English, language unknown)."""

    language: str
    how: str
    confidence: float = 0.0

    @property
    def english(self) -> bool:
        """Say whether the message is read as English (the only language Cairn reads)."""
        return self.language == ENGLISH


@functools.lru_cache(maxsize=2)
def build_lingua(names: tuple[str, ...] = LINGUA_LANGUAGES) -> Any:
    """Build lingua's detector for the given languages, models preloaded (seconds; run it off the event loop).

    Built once per process and shared (it is thread-safe and read-only): a restart in the same process, or a
    test that builds several bots, does not load the models again.
    """
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in names]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


class LanguageIdentifier:
    """Identifies the language of messages (sync and CPU-bound: call it on a worker thread)."""

    def __init__(self, lingua: Any | None, profiles: Mapping[str, LanguageProfile] | None = None) -> None:
        """Use a built lingua detector (None: script and marker words only) and the language data."""
        self.lingua = lingua
        self.profiles = dict(profiles or load_profiles())
        self._foreign = {code: p for code, p in self.profiles.items() if code != ENGLISH}
        shared = frozenset().union(*(profile.markers for profile in self._foreign.values()))
        self._english_words = self.profiles[ENGLISH].markers
        self._english = self._english_words - shared  # "no", "me", "man": evidence for neither language

    @classmethod
    def load(cls, names: tuple[str, ...] = LINGUA_LANGUAGES) -> LanguageIdentifier:
        """Load the language data and lingua's models, logging the time taken."""
        started = time.perf_counter()
        identifier = cls(build_lingua(names))
        logger.info("language_identifier_loaded languages=%d seconds=%.2f", len(names), time.perf_counter() - started)
        return identifier

    def identify_batch(self, texts: Sequence[str]) -> list[Identification]:
        """Identify each text's language, in order."""
        return [self.identify(text) for text in texts]

    def identify(self, text: str) -> Identification:
        """Identify one message's language by the rule in this module's docstring."""
        letters = [character for character in text if character.isalpha()]
        if not letters:
            return Identification(ENGLISH, "no_letters")
        latin = sum(1 for character in letters if ord(character) < 0x250)
        if latin * 2 < len(letters):
            return self._other_script(text)
        return self._latin(text)

    def crisis_signals(self, text: str, language: str) -> list[LanguageSignal]:
        """Return what the identified language's reviewed crisis word list finds (nothing for drafts)."""
        profile = self._foreign.get(language)
        return profile.crisis_signals(fold(text)) if profile is not None else []

    def _confidences(self, text: str) -> dict[str, float]:
        if self.lingua is None:
            return {}
        values = self.lingua.compute_language_confidence_values(text)
        return {_LINGUA_CODES.get(value.language.name, value.language.name.lower()): value.value for value in values}

    def _other_script(self, text: str) -> Identification:
        script = next((code for pattern, code in _SCRIPTS if pattern.search(text)), UNDETERMINED)
        confidences = self._confidences(text)
        if confidences:
            best = max(confidences, key=lambda code: confidences[code])
            if best != ENGLISH and confidences[best] >= LINGUA_SURE and _same_script(best, script):
                return Identification(best, "lingua", confidences[best])
        if script == "ar":
            script = "ur" if _URDU_LETTERS.search(text) else "fa" if _PERSIAN_LETTERS.search(text) else "ar"
        elif script == "ru" and _UKRAINIAN_LETTERS.search(text):
            script = "uk"
        return Identification(script, "script")

    def _latin(self, text: str) -> Identification:
        tokens = words(fold(text))
        if not tokens:
            return Identification(ENGLISH, "no_words")
        english = sum(1 for token in tokens if token in self._english)
        if english >= ENGLISH_MAJORITY * len(tokens):
            return Identification(ENGLISH, "english_words", english / len(tokens))
        hits = {
            code: sum(1 for token in tokens if token in profile.markers and token not in self._english_words)
            for code, profile in self._foreign.items()
        }
        confidences = self._confidences(text)
        ranked = sorted(hits, key=lambda code: (hits[code], confidences.get(_lingua_code(code), 0.0)), reverse=True)
        marked = ranked[0] if ranked else None
        if marked is not None and (hits[marked] >= 2 or (hits[marked] >= 1 and len(tokens) <= 2 and not english)):
            return Identification(self._gaelic_or_irish(marked, text, hits), "markers", float(hits[marked]))
        guessed = {code: value for code, value in confidences.items() if code != ENGLISH}
        top = max(guessed, key=lambda code: guessed[code]) if guessed else UNDETERMINED
        english_unsure = confidences.get(ENGLISH, 0.0) < ENGLISH_UNSURE
        if guessed:
            sure = len(tokens) >= 2 and guessed[top] >= LINGUA_SURE and english_unsure
            backed = guessed[top] >= LINGUA_WITH_MARKER and any(hits[c] for c in hits if _lingua_code(c) == top)
            if sure or backed:
                return Identification(self._gaelic_or_irish(top, text, hits), "lingua", guessed[top])
        accented = any(0x80 <= ord(character) < 0x250 for character in text if character.isalpha())
        if accented or (len(tokens) >= UNKNOWN_MIN_WORDS and not english and english_unsure):
            named = top if guessed and guessed[top] >= LINGUA_SURE else UNDETERMINED
            return Identification(self._gaelic_or_irish(named, text, hits), "not_english")
        return Identification(ENGLISH, "default")

    def _gaelic_or_irish(self, code: str, text: str, hits: Mapping[str, int]) -> str:
        """Tell Scottish Gaelic from Irish (lingua knows only Irish): grave accents or more Gaelic words."""
        if code not in ("ga", "gd"):
            return code
        if _GAELIC_GRAVES.search(text.lower()) or hits.get("gd", 0) >= hits.get("ga", 0):
            return "gd"
        return "ga"


def _lingua_code(code: str) -> str:
    """The lingua language that stands for a data file's language (Scottish Gaelic is compared as Irish)."""
    return "ga" if code == "gd" else code


def _same_script(language: str, script: str) -> bool:
    """Say whether lingua's language is written in the message's script."""
    by_script = {"ar": {"ar", "ur", "fa"}, "pa": {"pa"}, "bn": {"bn"}, "hi": {"hi"}, "ru": {"ru", "uk"}}
    return language in by_script.get(script, set())
