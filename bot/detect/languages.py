"""Languages Cairn does not read: per-language data files, and the crisis word lists they carry.

Each file in bot/detect/data/languages/ holds, for one language: the words that mark a message as written in it
(identification hints, no safety meaning) and a crisis word list (`urgent`, `concern`) with a `reviewed` flag.
Only a list whose `reviewed` is true may raise an alert; an unreviewed list is a draft and is matched only so a
test can show what it would catch. A message in a language Cairn does not read gets the crisis numbers anyway.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flows.risk import LanguageSignal, RiskTier

ENGLISH = "en"
DETECTOR_PREFIX = "words:"
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "’": "'", "‘": "'", "ı": "i", "ø": "o", "æ": "ae"})


@dataclass(frozen=True)
class LanguageProfile:
    """One language: its code, name, lingua name, marker words and crisis word list."""

    code: str
    name: str
    lingua: str
    markers: frozenset[str]
    reviewed: bool
    urgent: tuple[re.Pattern[str], ...]
    concern: tuple[re.Pattern[str], ...]

    def crisis_signals(self, folded: str) -> list[LanguageSignal]:
        """Return the crisis words found in folded text; empty unless the list is reviewed."""
        if not self.reviewed:
            return []
        return self.draft_hits(folded)

    def draft_hits(self, folded: str) -> list[LanguageSignal]:
        """Return what the list finds in folded text, reviewed or not (for tests and reviewers)."""
        detector = DETECTOR_PREFIX + self.code
        found: list[LanguageSignal] = []
        if any(pattern.search(folded) for pattern in self.urgent):
            found.append(LanguageSignal(RiskTier.URGENT, detector, f"crisis words ({self.name} word list)"))
        elif any(pattern.search(folded) for pattern in self.concern):
            found.append(LanguageSignal(RiskTier.CONCERN, detector, f"words of distress ({self.name} word list)"))
        return found


def fold(text: str) -> str:
    """Lower-case and strip accents from Latin letters (people often type Polish or Romanian without them)."""
    out = []
    for character in text.lower().translate(_FOLD):
        decomposed = unicodedata.normalize("NFKD", character)
        base = decomposed[0]
        out.append(base if base.isascii() and base.isalpha() else character)
    return "".join(out)


def words(folded: str) -> list[str]:
    """Return the words of folded text (letters in any script; "i'm" and "im" are the same word)."""
    return [word.replace("'", "") for word in _WORD.findall(folded)]


def _pattern(phrase: str) -> re.Pattern[str]:
    """Compile a phrase to a whole-word pattern; a trailing * allows any ending ("samobojstw*")."""
    folded = fold(phrase.strip())
    body = re.escape(folded.rstrip("*")) + (r"\w*" if folded.endswith("*") else "")
    return re.compile(rf"(?<!\w){body}(?!\w)")


def parse_profile(data: Mapping[str, Any]) -> LanguageProfile:
    """Build a profile from one language's data, raising ValueError on anything malformed."""
    try:
        reviewed = data["reviewed"]
        if not isinstance(reviewed, bool):
            raise TypeError("reviewed must be true or false")
        return LanguageProfile(
            code=str(data["language"]),
            name=str(data["name"]),
            lingua=str(data.get("lingua", "")),
            markers=frozenset(word for marker in data["markers"] for word in words(fold(marker))),
            reviewed=reviewed,
            urgent=tuple(_pattern(phrase) for phrase in data.get("urgent", ())),
            concern=tuple(_pattern(phrase) for phrase in data.get("concern", ())),
        )
    except (KeyError, TypeError, re.error) as error:
        raise ValueError(f"language data is malformed ({type(error).__name__}: {error})") from error


def load_profiles(directory: Path | None = None) -> dict[str, LanguageProfile]:
    """Load every language file (default: the packaged bot/detect/data/languages/), English included."""
    if directory is None:
        files: Sequence[Any] = [
            entry for entry in resources.files("bot.detect.data.languages").iterdir() if entry.name.endswith(".json")
        ]
    else:
        files = sorted(directory.glob("*.json"))
    profiles = {}
    for entry in files:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if data.get("language") == ENGLISH:
            data = {"reviewed": False, **data}
        profile = parse_profile(data)
        profiles[profile.code] = profile
    if ENGLISH not in profiles:
        raise ValueError("language data has no English marker list (en.json)")
    return profiles
