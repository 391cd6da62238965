"""Risk tiers and signals: what detectors and instrument rules say, before they are combined."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class RiskTier(IntEnum):
    """How worried to be, in order: a higher value is more urgent."""

    NONE = 0
    WATCH = 1
    CONCERN = 2
    URGENT = 3


@dataclass(frozen=True)
class LanguageSignal:
    """One detector's reading of one message: a tier and a human-readable reason.

    `reason` explains the hit without quoting the member ("close to: I don't want to be here any more",
    "words of intent to self-harm"); it is safe to show to a worker whose member allowed it, never logged.
    """

    tier: RiskTier
    detector: str
    reason: str
    score: float = 1.0


def strongest(signals: list[LanguageSignal]) -> RiskTier:
    """Return the highest tier among signals (NONE if there are none)."""
    return max((signal.tier for signal in signals), default=RiskTier.NONE)
