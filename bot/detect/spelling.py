"""Standardise chat spelling before a model reads it: dialect, text-speak, leetspeak, repeated letters, typos.

"a want tae end it the nicht" becomes "i want to end it tonight"; "i w4nt to k1ll mys3lf" becomes "i want to
kill myself"; "sooo tired" becomes "so tired". The word lists are data (bot/detect/data/spelling.json); this
module only applies them. The result is lower case, without apostrophes, with clause punctuation kept.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "`": "'", "´": "'", "ʼ": "'"})
_WORD_APOSTROPHE = re.compile(r"(?<=[a-z0-9])'(?=[a-z])")
_CENSORED = re.compile(r"(?<=[a-z])\*+(?=[a-z])")
_TOKEN = re.compile(r"[^\s.,!?;:]+|[.,!?;:]+")
_PUNCTUATION = re.compile(r"[.,!?;:]+")
_HAS_LETTER = re.compile(r"[a-z]")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_OTHER = re.compile(r"[^a-z0-9\s.,!?;:]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?;:])")


@dataclass(frozen=True)
class SpellingData:
    """Word and phrase replacements, leetspeak characters, and words whose double letters are real."""

    words: Mapping[str, str]
    phrases: tuple[tuple[re.Pattern[str], str], ...]
    leet: Mapping[str, str]
    keep_double: frozenset[str]


def parse_spelling(data: Mapping[str, Any]) -> SpellingData:
    """Build spelling data from its JSON form, raising ValueError on anything malformed."""
    try:
        words = {str(key).lower(): str(value).lower() for key, value in data["words"].items()}
        phrases = tuple(
            (re.compile(rf"\b(?:{pattern})\b"), str(replacement)) for pattern, replacement in data["phrases"]
        )
        leet = {str(key): str(value) for key, value in data["leet"].items()}
        keep_double = frozenset(str(word) for word in data["keep_double"])
    except (KeyError, TypeError, ValueError, re.error) as error:
        raise ValueError(f"spelling data is malformed ({type(error).__name__}: {error})") from error
    if any(len(key) != 1 for key in leet):
        raise ValueError("spelling data is malformed (leet keys must be single characters)")
    return SpellingData(words, phrases, leet, keep_double)


def load_spelling(path: Path | None = None) -> SpellingData:
    """Load spelling data (default: the packaged bot/detect/data/spelling.json)."""
    if path is None:
        text = resources.files("bot.detect").joinpath("data/spelling.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_spelling(json.loads(text))


@lru_cache(maxsize=1)
def packaged_spelling() -> SpellingData:
    """Return the packaged spelling data, loaded once."""
    return load_spelling()


def _unleet(token: str, leet: Mapping[str, str]) -> str:
    """Turn digits and symbols inside a word that also has letters into letters ("k1ll", "d3ad", "$uicide")."""
    if not _HAS_LETTER.search(token) or token.isalpha():
        return token
    core = token.strip("!|")  # "help!" keeps its "!" as punctuation, not as an "i"
    return "".join(leet.get(character, character) for character in core)


def _shorten_runs(token: str, keep_double: frozenset[str]) -> str:
    """Cut runs of 3+ letters: to two where that makes a known double-letter word, otherwise to one."""
    if not _LONG_RUN.search(token):
        return token
    doubled = _LONG_RUN.sub(r"\1\1", token)
    if doubled in keep_double:
        return doubled
    single = _LONG_RUN.sub(r"\1", token)
    return single


def _standard_word(token: str, data: SpellingData) -> str:
    """Return the standard form of one token (a word, or a run of punctuation kept as it is)."""
    if _PUNCTUATION.fullmatch(token):
        return token[0]
    if token in data.words:
        return data.words[token]
    token = _shorten_runs(_unleet(token, data.leet), data.keep_double)
    token = _OTHER.sub(" ", token).strip()
    return " ".join(data.words.get(part, part) for part in token.split())


def standardise(text: str, data: SpellingData | None = None) -> str:
    """Return a message in standard English spelling, lower case, ready for a model or a word list."""
    data = data or packaged_spelling()
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    text = _WORD_APOSTROPHE.sub("", text).replace("'", " ")
    text = _CENSORED.sub("", text)
    text = re.sub(r"[\r\n]+", " . ", text)
    tokens = [_standard_word(token, data) for token in _TOKEN.findall(text)]
    text = _SPACES.sub(" ", " ".join(token for token in tokens if token)).strip()
    for pattern, replacement in data.phrases:
        text = pattern.sub(replacement, text)
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACES.sub(" ", text)).strip()
