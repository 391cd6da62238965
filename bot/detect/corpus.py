"""The labelled risk corpus: per-writer files, a split manifest, and a guard that keeps tuning off the test split.

tests/data/risk_corpus/ holds one JSON-lines file per writer ({"text", "label", "kind", "lang", "writer"}) and
splits.json, which names the writers of each split (train, dev, test). Code that trains or chooses anything
reads through `load_for_tuning`, which refuses the test split and any file of a test writer; only the
evaluation reads the test split, through `load_split`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.detect.base import tier_named
from flows.risk import RiskTier

DEFAULT_CORPUS = Path("tests/data/risk_corpus")
MANIFEST = "splits.json"
SPLITS = ("train", "dev", "test")
TUNING_SPLITS = ("train", "dev")
LABELS = ("URGENT", "CONCERN", "NONE")
ENGLISH = "en"
_PLAIN = re.compile(r"\w+")


class TestSplitRefused(PermissionError):
    """Training or tuning code asked for the frozen test split (or a file of one of its writers)."""

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class CorpusMessage:
    """One labelled message: its text, tier, kind of message, language and writer."""

    text: str
    label: RiskTier
    kind: str
    lang: str = ENGLISH
    writer: str = ""

    @property
    def english(self) -> bool:
        """Say whether the English readers should be scored on this message."""
        return self.lang == ENGLISH


def plain(text: str) -> str:
    """Return the words of a text, lower case, without apostrophes: the key for exact duplicates."""
    return " ".join(_PLAIN.findall(text.lower().replace("’", "").replace("'", "")))


def parse_line(line: str, where: str) -> CorpusMessage:
    """Read one JSON line, with a clear error naming the file and line."""
    try:
        row = json.loads(line)
        if row["label"] not in LABELS:
            raise ValueError(f"label must be one of {LABELS}")
        kind = str(row.get("kind") or row.get("note") or "plain")
        return CorpusMessage(
            str(row["text"]), tier_named(row["label"]), kind, str(row.get("lang", ENGLISH)), str(row.get("writer", ""))
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{where}: bad corpus line ({type(error).__name__}: {error})") from error


def read_messages(path: Path) -> list[CorpusMessage]:
    """Read a JSON-lines file of labelled messages (corpus or regression-set format)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse_line(line, f"{path}:{number}") for number, line in enumerate(lines, start=1) if line.strip()]


def read_manifest(corpus: Path) -> dict[str, tuple[str, ...]]:
    """Return the writers of each split, checking that no writer is in two splits."""
    data = json.loads((corpus / MANIFEST).read_text(encoding="utf-8"))
    splits = {name: tuple(str(writer) for writer in data[name]) for name in SPLITS}
    seen: dict[str, str] = {}
    for name, writers in splits.items():
        for writer in writers:
            if writer in seen:
                raise ValueError(f"writer {writer} is in both {seen[writer]} and {name}")
            seen[writer] = name
    return splits


def _writer_file(corpus: Path, writer: str) -> Path:
    """Return the file of one writer."""
    return corpus / f"{writer}.jsonl"


def load_split(corpus: Path, split: str) -> list[CorpusMessage]:
    """Return every message of one split (for evaluation; training must use `load_for_tuning`)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    writers = read_manifest(corpus)[split]
    return [message for writer in writers for message in read_messages(_writer_file(corpus, writer))]


def load_for_tuning(corpus: Path, split: str) -> list[CorpusMessage]:
    """Return the messages of the train or dev split; refuse the test split."""
    if split not in TUNING_SPLITS:
        raise TestSplitRefused(f"tuning code may read only {TUNING_SPLITS}, not {split!r}")
    return load_split(corpus, split)


def check_not_test(corpus: Path, paths: Iterable[Path]) -> None:
    """Refuse an extra training file that is a test writer's file or holds a line written by a test writer.

    It never opens the test split itself: the check is by path, and by the `writer` field of the extra file.
    """
    test_writers = set(read_manifest(corpus)["test"])
    test_files = {_writer_file(corpus, writer).resolve() for writer in test_writers}
    for path in paths:
        if path.resolve() in test_files:
            raise TestSplitRefused(f"{path} is a file of the test split")
        if any(message.writer in test_writers for message in read_messages(path)):
            raise TestSplitRefused(f"{path} holds messages by a writer of the test split")


def without_duplicates(messages: Sequence[CorpusMessage], taken: set[str] | None = None) -> list[CorpusMessage]:
    """Drop exact duplicates (same words, any case or punctuation), and anything already in `taken`."""
    seen = set() if taken is None else set(taken)
    kept = []
    for message in messages:
        key = plain(message.text)
        if key and key not in seen:
            seen.add(key)
            kept.append(message)
    return kept
