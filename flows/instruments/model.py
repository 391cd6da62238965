"""Validated instruments as plain data: items, answer options, a scoring rule and bands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ScoringRule = Literal["sum", "sum_times", "table", "per_item"]
SCORING_RULES: tuple[ScoringRule, ...] = ("sum", "sum_times", "table", "per_item")


class InstrumentFault(ValueError):
    """A fault in how an instrument is defined."""


PLACEHOLDER = re.compile(r"^\s*\[.*\]\s*$", re.DOTALL)


def is_placeholder(text: str) -> bool:
    """Tell whether a text is a stand-in such as "[Item 1 wording from your licence]"."""
    return PLACEHOLDER.match(text) is not None


@dataclass(frozen=True)
class Option:
    """One answer a member can pick, and the number it scores."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question with its answer options, in the order buttons show them."""

    id: str
    text: str
    options: tuple[Option, ...]
    reverse: bool = False
    measure: str | None = None

    @property
    def values(self) -> tuple[int, ...]:
        """Return the option values from lowest to highest."""
        return tuple(sorted(option.value for option in self.options))

    @property
    def lowest(self) -> int:
        """Return the lowest option value."""
        return min(option.value for option in self.options)

    @property
    def highest(self) -> int:
        """Return the highest option value."""
        return max(option.value for option in self.options)

    @property
    def measure_name(self) -> str:
        """Return the measure this item reports when scored on its own."""
        return self.measure or self.id

    def scored(self, answer: int) -> int:
        """Return the points an answer scores, reversed if the item is reverse-scored."""
        return self.lowest + self.highest - answer if self.reverse else answer


@dataclass(frozen=True)
class Scoring:
    """How answers become a score: a plain sum, a sum times a number, a lookup table, or each item alone."""

    rule: ScoringRule
    multiplier: float = 1
    table: Mapping[int, float] | None = None

    def convert(self, raw: int) -> float:
        """Turn a raw total into the reported value."""
        if self.rule == "sum":
            return float(raw)
        if self.rule == "sum_times":
            return raw * self.multiplier
        if self.rule == "table" and self.table is not None:
            return self.table[raw]
        raise ValueError(f"scoring rule '{self.rule}' has no total to convert")


@dataclass(frozen=True)
class Band:
    """A named range of a measure (both ends included); `worst` marks the most severe band of its measure."""

    id: str
    label: str
    min: float
    max: float
    concern: bool = False
    worst: bool = False
    measure: str | None = None

    def contains(self, value: float) -> bool:
        """Tell whether a value lies in this band."""
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire: what to ask, how to score it, and what the scores mean."""

    id: str
    title: str
    intro: str
    items: tuple[Item, ...]
    scoring: Scoring
    bands: tuple[Band, ...]
    licence: str
    source: str

    @property
    def is_per_item(self) -> bool:
        """Tell whether each item is its own measure, with no total."""
        return self.scoring.rule == "per_item"

    @property
    def measures(self) -> tuple[str, ...]:
        """Return the names of the measures a complete answer set yields."""
        if self.is_per_item:
            return tuple(item.measure_name for item in self.items)
        return (self.id,)

    @property
    def raw_range(self) -> tuple[int, int]:
        """Return the lowest and highest possible raw totals."""
        return sum(item.lowest for item in self.items), sum(item.highest for item in self.items)

    @property
    def has_placeholder_wording(self) -> bool:
        """Tell whether any question or answer is still a stand-in, so members must not see it."""
        texts = [item.text for item in self.items] + [option.label for item in self.items for option in item.options]
        return any(is_placeholder(text) for text in texts)

    def item(self, item_id: str) -> Item:
        """Return the item with this id."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.id} has no item '{item_id}'")

    def possible_values(self, measure: str) -> tuple[float, ...]:
        """Return every value a measure can take, lowest first."""
        if self.is_per_item:
            for item in self.items:
                if item.measure_name == measure:
                    return tuple(float(value) for value in item.values)
            raise KeyError(f"{self.id} has no measure '{measure}'")
        low, high = self.raw_range
        return tuple(sorted({self.scoring.convert(raw) for raw in range(low, high + 1)}))

    def bands_for(self, measure: str) -> tuple[Band, ...]:
        """Return the bands of one measure, lowest range first."""
        wanted = measure if self.is_per_item else None
        if not self.is_per_item and measure != self.id:
            return ()
        return tuple(sorted((band for band in self.bands if band.measure == wanted), key=lambda band: band.min))

    def band_for(self, measure: str, value: float) -> Band | None:
        """Return the band a value of a measure falls in, if any."""
        return next((band for band in self.bands_for(measure) if band.contains(value)), None)

    def worst_band(self, measure: str) -> Band | None:
        """Return the most severe band of a measure."""
        return next((band for band in self.bands_for(measure) if band.worst), None)

    def higher_is_better(self, measure: str) -> bool:
        """Tell whether a higher value of a measure means better wellbeing (its worst band is the lowest)."""
        bands = self.bands_for(measure)
        return bool(bands) and bands[0].worst
