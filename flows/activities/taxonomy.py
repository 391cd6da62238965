"""Cairn's interest taxonomy as data (data/taxonomy.json): terms, their labels, and the words they import from."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).with_name("data") / "taxonomy.json"
KINDS = ("interest", "moment")
TERM_ID = re.compile(r"[a-z][a-z0-9-]{0,23}")
INTEREST_TAXONOMY = "https://cairn.community/taxonomy/interests"
"""The taxonomy name Cairn writes on its own terms on export (a name, not a page that must exist); terms under it
are read back by id alone."""


class TaxonomyError(ValueError):
    """The taxonomy file is broken; the message says where."""


@dataclass(frozen=True)
class TaxonomyTerm:
    """One term: its id (stored on activities and members), catalogue label key, kind and import words."""

    id: str
    label: str
    kind: str = "interest"
    maps_from: tuple[str, ...] = ()

    @property
    def moment(self) -> bool:
        """True for the tags suggestions use for the moment (social, low-barrier, calm, small-group)."""
        return self.kind == "moment"


def normalise_word(word: str) -> str:
    """Lower-case a taxonomy word and collapse its spaces and underscores, for matching."""
    return " ".join(word.replace("_", " ").lower().split())


@dataclass(frozen=True)
class Taxonomy:
    """The terms in file order, and an index from import words to term ids."""

    terms: tuple[TaxonomyTerm, ...]
    index: Mapping[str, tuple[str, ...]]

    @property
    def ids(self) -> frozenset[str]:
        """Every term id."""
        return frozenset(term.id for term in self.terms)

    def interests(self) -> tuple[TaxonomyTerm, ...]:
        """The terms a member can choose."""
        return tuple(term for term in self.terms if not term.moment)

    def get(self, term_id: str) -> TaxonomyTerm | None:
        """Find a term by id."""
        return next((term for term in self.terms if term.id == term_id), None)

    def match(self, words: Iterable[str], exact: Iterable[str] = ()) -> tuple[str, ...]:
        """Map Open Referral UK terms, codes or plain words (and `exact` term ids) to term ids, in taxonomy order."""
        found = set(exact) & self.ids
        for word in words:
            found.update(self.index.get(normalise_word(word), ()))
        return tuple(term.id for term in self.terms if term.id in found)


def parse_taxonomy(data: Any) -> Taxonomy:
    """Check a decoded taxonomy file and build the taxonomy, or raise TaxonomyError saying what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list) or not data["terms"]:
        raise TaxonomyError("the file must be an object with a non-empty list 'terms'")
    terms: list[TaxonomyTerm] = []
    index: dict[str, list[str]] = {}
    for position, item in enumerate(data["terms"], start=1):
        where = f"term {position}"
        if not isinstance(item, dict):
            raise TaxonomyError(f"{where}: must be an object")
        term_id, label, kind, words = item.get("id"), item.get("label"), item.get("kind"), item.get("maps_from", [])
        if not isinstance(term_id, str) or not TERM_ID.fullmatch(term_id):
            raise TaxonomyError(f"{where}: 'id' must be 1-24 characters of a-z, 0-9 and '-', starting with a letter")
        if any(term.id == term_id for term in terms):
            raise TaxonomyError(f"{where}: the id {term_id!r} is used twice")
        if not isinstance(label, str) or not label.startswith("taxonomy."):
            raise TaxonomyError(f"{where} ({term_id}): 'label' must be a catalogue key starting with 'taxonomy.'")
        if kind not in KINDS:
            raise TaxonomyError(f"{where} ({term_id}): 'kind' must be one of {', '.join(KINDS)}")
        if not isinstance(words, list) or not all(isinstance(word, str) and word.strip() for word in words):
            raise TaxonomyError(f"{where} ({term_id}): 'maps_from' must be a list of words")
        terms.append(TaxonomyTerm(term_id, label, kind, tuple(normalise_word(word) for word in words)))
        for word in {term_id, normalise_word(term_id), *terms[-1].maps_from}:
            index.setdefault(word, []).append(term_id)
    return Taxonomy(tuple(terms), {word: tuple(ids) for word, ids in index.items()})


def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """Read and check a taxonomy file, failing loudly with the file's name if it is broken."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TaxonomyError(f"{path.name}: cannot be read as JSON ({type(error).__name__})") from error
    try:
        return parse_taxonomy(data)
    except TaxonomyError as error:
        raise TaxonomyError(f"{path.name}: {error}") from error


@cache
def bundled_taxonomy() -> Taxonomy:
    """The taxonomy shipped with Cairn, read once."""
    return load_taxonomy()
