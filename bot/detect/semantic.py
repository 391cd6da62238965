"""Semantic detector: cosine similarity of a message (and its sentences) to curated exemplars per tier."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from bot.detect.base import tier_named
from bot.detect.encoder import DEFAULT_THREADS, SentenceEncoder, default_model_dir, limit_threads
from flows.risk import LanguageSignal, RiskTier

_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|[\r\n]+|,\s*(?=(?:but|though|and now|still)\b)", re.IGNORECASE)
MAX_SEGMENTS = 8
FLAGGED_TIERS = (RiskTier.URGENT, RiskTier.CONCERN)


class Encoder(Protocol):
    """Anything that turns texts into unit-length vectors (rows of a torch tensor)."""

    def encode(self, texts: Sequence[str]) -> Any:
        """Return one L2-normalised row per text."""
        ...


@dataclass(frozen=True)
class Exemplars:
    """Example phrases per tier and the thresholds that turn similarity into a tier."""

    phrases: Mapping[RiskTier, tuple[str, ...]]
    thresholds: Mapping[RiskTier, float]
    margin_over_none: float


def parse_exemplars(data: Mapping[str, Any]) -> Exemplars:
    """Build exemplars from their data, raising ValueError on anything malformed."""
    try:
        phrases = {tier_named(name): tuple(str(text) for text in texts) for name, texts in data["exemplars"].items()}
        thresholds = {tier_named(name): float(value) for name, value in data["thresholds"].items()}
        margin = float(data.get("margin_over_none", 0.0))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"exemplar data is malformed ({type(error).__name__})") from error
    missing = [tier.name for tier in FLAGGED_TIERS if not phrases.get(tier) or tier not in thresholds]
    if missing:
        raise ValueError(f"exemplar data needs phrases and a threshold for {missing}")
    return Exemplars(phrases, thresholds, margin)


def load_exemplars(path: Path | None = None) -> Exemplars:
    """Load exemplars from a JSON file (default: the packaged bot/detect/data/exemplars.json)."""
    if path is None:
        text = resources.files("bot.detect").joinpath("data/exemplars.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_exemplars(json.loads(text))


def segments(text: str) -> list[str]:
    """Return the whole message and, when it has several, its sentences (at most MAX_SEGMENTS in all)."""
    whole = " ".join(text.split())
    parts = [" ".join(part.split()) for part in _SENTENCE_BREAK.split(text)]
    parts = [part for part in parts if len(part.split()) >= 2 and part != whole]
    return [whole, *parts][:MAX_SEGMENTS]


class SemanticDetector:
    """Flags messages that read like the URGENT or CONCERN exemplars more than like the everyday ones."""

    name = "semantic"

    def __init__(
        self,
        model_dir: Path | str | None = None,
        exemplars: Exemplars | None = None,
        *,
        threads: int = DEFAULT_THREADS,
        encoder: Encoder | None = None,
    ) -> None:
        """Load the model (default: the packaged MiniLM) and embed the exemplars once."""
        limit_threads(threads)
        self.encoder: Encoder = encoder or SentenceEncoder(model_dir or default_model_dir())
        self.exemplars = exemplars or load_exemplars()
        self._texts: list[str] = []
        self._tiers: list[RiskTier] = []
        for tier, phrases in self.exemplars.phrases.items():
            self._texts.extend(phrases)
            self._tiers.extend([tier] * len(phrases))
        self._matrix = self.encoder.encode(self._texts)

    def similarities(self, texts: Sequence[str]) -> list[dict[RiskTier, tuple[float, str]]]:
        """Return, per text, the best (similarity, exemplar) per tier over its segments."""
        results = []
        for rows in self._segment_scores(texts):
            best: dict[RiskTier, tuple[float, str]] = {}
            for row in rows:
                for tier, found in self._best_per_tier(row).items():
                    if tier not in best or found[0] > best[tier][0]:
                        best[tier] = found
            results.append(best)
        return results

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        """Return at most one signal per text: the highest tier any of its segments reaches."""
        results = []
        for rows in self._segment_scores(texts):
            found = [signal for signal in (self._judge(row) for row in rows) if signal is not None]
            results.append([max(found, key=lambda signal: (signal.tier, signal.score))] if found else [])
        return results

    def _segment_scores(self, texts: Sequence[str]) -> list[list[Any]]:
        """Embed every segment of every text in one pass; return, per text, its rows of exemplar similarities."""
        pieces = [segments(text) or [""] for text in texts]
        flat = [segment for group in pieces for segment in group]
        if not flat:
            return [[] for _ in texts]
        scores = self.encoder.encode(flat) @ self._matrix.T
        grouped, row = [], 0
        for group in pieces:
            grouped.append([scores[index] for index in range(row, row + len(group))])
            row += len(group)
        return grouped

    def _best_per_tier(self, row: Any) -> dict[RiskTier, tuple[float, str]]:
        """Return the closest exemplar and its similarity for each tier, for one segment."""
        best: dict[RiskTier, tuple[float, str]] = {}
        for index, score in enumerate(row.tolist()):
            tier = self._tiers[index]
            if tier not in best or score > best[tier][0]:
                best[tier] = (float(score), self._texts[index])
        return best

    def _judge(self, row: Any) -> LanguageSignal | None:
        """Turn one segment's similarities into a signal, or None when it is closest to everyday talk."""
        best = self._best_per_tier(row)
        none_score = best.get(RiskTier.NONE, (-1.0, ""))[0]
        margin = self.exemplars.margin_over_none
        urgent_score, urgent_exemplar = best[RiskTier.URGENT]
        if urgent_score >= self.exemplars.thresholds[RiskTier.URGENT] and urgent_score >= none_score + margin:
            return LanguageSignal(RiskTier.URGENT, self.name, f"close to: {urgent_exemplar}", round(urgent_score, 4))
        concern_score, concern_exemplar = max(best[RiskTier.CONCERN], best[RiskTier.URGENT])
        if concern_score >= self.exemplars.thresholds[RiskTier.CONCERN] and concern_score >= none_score + margin:
            return LanguageSignal(RiskTier.CONCERN, self.name, f"close to: {concern_exemplar}", round(concern_score, 4))
        return None
