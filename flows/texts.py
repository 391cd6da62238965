"""Message catalogues: member-facing texts by key, rendered with their parameters."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from flows.outcome import Joined, Reply, Text

CATALOGUE_DIR = Path(__file__).with_name("catalogue")
DEFAULT_LANGUAGE = "en"
OTHER_LANGUAGES_FILE = "other_languages.po"  # fixed texts in the languages Cairn does not read (flows/unreadable.py)


class CatalogueError(LookupError):
    """A text key is missing from the catalogue: a programming error, never shown to members."""


@dataclass(frozen=True)
class Catalogue:
    """Texts of one language, falling back to English for keys not yet translated."""

    language: str
    messages: Mapping[str, str]
    fallback: Mapping[str, str]

    def template(self, key: str) -> str:
        """Return the raw template for a key."""
        found = self.messages.get(key) or self.fallback.get(key)
        if not found:
            raise CatalogueError(f"no text for key {key!r}")
        return found

    def render(self, text: Text) -> str:
        """Render one text, filling in parameters (nested texts are rendered first)."""
        params = {name: self._render_value(value) for name, value in text.params.items()}
        return self.template(text.key).format(**params)

    def render_reply(self, reply: Reply) -> str:
        """Render a reply's paragraphs into one message body."""
        return "\n\n".join(self.render(part) for part in reply.parts)

    def render_buttons(self, reply: Reply) -> list[list[tuple[str, str]]]:
        """Render a reply's buttons as rows of (label, callback data)."""
        return [[(self.render(button.label), button.data) for button in row] for row in reply.buttons]

    def has(self, key: str) -> bool:
        """Say whether a key exists."""
        return key in self.messages or key in self.fallback

    def _render_value(self, value: Any) -> Any:
        if isinstance(value, Text):
            return self.render(value)
        if isinstance(value, Joined):
            return value.separator.join(self.render(item) for item in value.parts)
        if isinstance(value, tuple) and all(isinstance(item, Text) for item in value):
            return "\n".join(self.render(item) for item in value)
        return value


def read_catalogue_file(path: Path) -> dict[str, str]:
    """Read a monolingual PO file (msgid is the key, msgstr the text)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(message.id): str(message.string) for message in catalog if message.id and message.string}


def load_catalogue(language: str = DEFAULT_LANGUAGE, directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Load a language's catalogue with English beneath it (and the texts for languages Cairn does not read)."""
    english = read_catalogue_file(directory / f"{DEFAULT_LANGUAGE}.po")
    other_languages = directory / OTHER_LANGUAGES_FILE
    if other_languages.exists():
        english = {**read_catalogue_file(other_languages), **english}
    if language == DEFAULT_LANGUAGE:
        return Catalogue(language, english, english)
    return Catalogue(language, read_catalogue_file(directory / f"{language}.po"), english)


def text_fingerprint(rendered: str) -> str:
    """Hash the exact text a member was shown, for the consent record."""
    return hashlib.sha256(rendered.encode("utf-8")).hexdigest()
