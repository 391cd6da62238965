"""Licensed SWEMWBS wording never enters the repository, and placeholder wording is easy to spot."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from flows.instruments import BUNDLED_DIR, SWEMWBS_ID
from flows.instruments.model import is_placeholder
from tests.flows.instruments.support import BUNDLED, REPO, SWEMWBS

# SHA-256 (first 32 hex digits) of licensed SWEMWBS item phrases, lower-cased and split into words.
# Only the hashes live here, so this test does not itself publish the wording.
PhraseHashes = dict[tuple[str, int], set[str]]
LICENSED_PHRASES: PhraseHashes = {
    ("i", 5): {
        "59eab4f04736790534b4eab2e4f32d86",
        "eccdc7c03de1810431acbad3246ab29a",
        "45f033cd4112f472f221688fdd101a50",
    },
    ("i", 7): {"47cd71ce41c5cd0905fcc5bbf5652718"},
    ("i", 8): {"d95bac35e9072d8c5b23c02c4c9ad0de", "2d3193edce7a2bc7956a199a28581bfd"},
    ("i", 12): {"7146d2fabe2e57a1822d7f2c950b2b65"},
    ("dealing", 4): {"66896515f62212274d589cc9de99b36e"},
    ("make", 7): {"0342a445b61e47738dc791b2bfb69e93"},
}
TEXT_SUFFIXES = {
    ".py", ".json", ".md", ".po", ".pot", ".txt", ".toml", ".yaml", ".yml", ".html", ".js", ".css", ".ini",
    ".cfg", ".example", ".env", ".sh", ".mako", ".sql", ".csv", ".rst",
}  # fmt: skip
SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                ".hypothesis", "var", "build", "test-artifacts"}  # fmt: skip


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'"))


def licensed_phrases_in(text: str, phrases: PhraseHashes = LICENSED_PHRASES) -> list[str]:
    words = words_of(text)
    found = []
    for (first, length), hashes in phrases.items():
        for start, word in enumerate(words):
            if word != first:
                continue
            phrase = " ".join(words[start : start + length])
            if hashlib.sha256(phrase.encode()).hexdigest()[:32] in hashes:
                found.append(phrase)
    return found


def repository_text_files() -> Iterator[Path]:
    for path in REPO.rglob("*"):
        parts = set(path.relative_to(REPO).parts)
        if parts & SKIPPED_DIRS or any(part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
            yield path


def test_the_swemwbs_example_has_only_placeholder_wording() -> None:
    assert SWEMWBS.id == SWEMWBS_ID
    assert SWEMWBS.has_placeholder_wording
    assert len(SWEMWBS.items) == 7
    for item in SWEMWBS.items:
        assert is_placeholder(item.text), item.text
        assert all(is_placeholder(option.label) for option in item.options)


def test_the_example_licence_note_explains_registration_and_the_override() -> None:
    for words in (
        "free to non-commercial",
        "register with Warwick Medical School",
        "must not be",
        "CAIRN_INSTRUMENTS_DIR",
    ):
        assert words in SWEMWBS.licence


def test_bundled_instruments_have_real_wording_and_no_swemwbs() -> None:
    assert SWEMWBS_ID not in BUNDLED.instruments
    assert not any(instrument.has_placeholder_wording for instrument in BUNDLED.instruments.values())
    assert not any(path.stem.startswith(SWEMWBS_ID) for path in BUNDLED_DIR.glob("*.json"))


def test_replacing_every_placeholder_makes_the_wording_real() -> None:
    assert not is_placeholder("How are you?")
    assert is_placeholder("  [Item 3 wording from your SWEMWBS licence] ")


def test_the_phrase_check_finds_wording_however_it_is_spaced() -> None:
    fox = {("quick", 4): {"31960a56bf73918207cc0b203fcc2c48"}}
    assert licensed_phrases_in("The QUICK  brown\nfox-jumps!", fox) == ["quick brown fox jumps"]
    assert licensed_phrases_in("The quick red fox jumps", fox) == []


def test_no_file_in_the_repository_contains_swemwbs_item_wording() -> None:
    found = {}
    for path in repository_text_files():
        try:
            phrases = licensed_phrases_in(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
        if phrases:
            found[str(path.relative_to(REPO))] = phrases
    assert found == {}
