"""Normalise chat text for pattern matching: case, apostrophes, quotation marks, repeated letters, spacing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "`": "'", "´": "'", "ʼ": "'"})
_DOUBLE_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"'})
_OPENING_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[:]))'(?=[a-z0-9])")
_CLOSING_SINGLE = re.compile(r"(?<=[a-z0-9.!?,])'(?=[\s.,!?;:)\]]|$)")
_WORD_APOSTROPHE = re.compile(r"(?<=[a-z0-9])'(?=[a-z0-9])")
_JOINERS = re.compile(r"[-_/\\]+")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_OTHER = re.compile(r"[^a-z0-9\s\".,!?;:]+")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?;:])")
_LONG_RUNS = re.compile(r"([a-z])\1{2,}")
_CLAUSE_BREAK = re.compile(r"[.!?;:,]+|\bbut\b|\bthough\b")
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Clause:
    """A stretch of text between punctuation or contrast words ("but", "though")."""

    start: int
    end: int


@dataclass(frozen=True)
class NormalisedText:
    """One spelling of a message, ready for matching, with its clauses and quoted stretches."""

    text: str
    clauses: tuple[Clause, ...]
    quoted: tuple[tuple[int, int], ...]

    def clause_at(self, position: int) -> Clause:
        """Return the clause holding a character position."""
        for clause in self.clauses:
            if clause.start <= position < clause.end:
                return clause
        return Clause(0, len(self.text))

    def is_quoted(self, start: int, end: int) -> bool:
        """Say whether a stretch lies inside quotation marks."""
        return any(left <= start and end <= right for left, right in self.quoted)


def _mark_single_quotes(text: str) -> str:
    """Turn paired single quotation marks into double ones, leaving apostrophes alone."""
    openings = [match.start() for match in _OPENING_SINGLE.finditer(text)]
    closings = [match.start() for match in _CLOSING_SINGLE.finditer(text)]
    characters = list(text)
    position = -1
    for opening in openings:
        if opening <= position:
            continue
        closing = next((candidate for candidate in closings if candidate > opening), None)
        if closing is None:
            break
        characters[opening] = characters[closing] = '"'
        position = closing
    return "".join(characters)


def _base_form(text: str) -> str:
    """Lower-case and tidy a message, keeping clause punctuation and quotation marks."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_APOSTROPHES).translate(_DOUBLE_QUOTES)
    text = _LINE_BREAKS.sub(" . ", text)
    text = _mark_single_quotes(text)
    text = _WORD_APOSTROPHE.sub("", text)
    text = text.replace("'", " ")
    text = _JOINERS.sub(" ", text)
    text = _OTHER.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def _clauses(text: str) -> tuple[Clause, ...]:
    """Split a normalised text at clause punctuation and contrast words."""
    clauses, start = [], 0
    for match in _CLAUSE_BREAK.finditer(text):
        clauses.append(Clause(start, match.start()))
        start = match.end()
    clauses.append(Clause(start, len(text)))
    return tuple(clause for clause in clauses if clause.end > clause.start)


def _quoted(text: str) -> tuple[tuple[int, int], ...]:
    """Return the stretches between pairs of double quotation marks."""
    marks = [index for index, character in enumerate(text) if character == '"']
    return tuple((marks[index], marks[index + 1]) for index in range(0, len(marks) - 1, 2))


def _prepare(text: str) -> NormalisedText:
    """Wrap one spelling with its clauses and quoted stretches."""
    return NormalisedText(text, _clauses(text), _quoted(text))


def spellings(text: str) -> tuple[NormalisedText, ...]:
    """Return the normalised spellings of a message: runs of 3+ letters cut to two, and (if any) to one."""
    base = _base_form(text)
    doubled = _LONG_RUNS.sub(r"\1\1", base)
    single = _LONG_RUNS.sub(r"\1", base)
    if single == doubled:
        return (_prepare(doubled),)
    return (_prepare(doubled), _prepare(single))


def words(text: str) -> list[str]:
    """Return the words of a normalised stretch of text."""
    return WORD.findall(text)
