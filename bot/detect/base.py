"""The detector interface, what a lexicon verdict looks like, and the status the service reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from flows.risk import LanguageSignal, RiskTier

LOGGER_NAME = "cairn.detect"


@runtime_checkable
class RiskDetector(Protocol):
    """Reads a batch of messages and says, for each, what it noticed (sync and CPU-bound)."""

    name: str

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        """Return one list of signals per text, in the same order."""
        ...


@dataclass(frozen=True)
class LexiconVeto(LanguageSignal):
    """A lexicon verdict that words which sound risky are not about the member now (tier NONE).

    `kind` is one of the lexicon's verdict kinds ("idiom", "negation", "third_person", "past_tense", "quote",
    "topic");
    the combination rule uses it to cap what a model-based detector may say about the same message.
    """

    kind: str = "idiom"


@dataclass(frozen=True)
class DetectorStatus:
    """Which detectors run, which failed to load (error class names only), and inference failures so far."""

    active: tuple[str, ...]
    failed_to_load: Mapping[str, str] = field(default_factory=dict)
    inference_failures: Mapping[str, int] = field(default_factory=dict)

    @property
    def degraded(self) -> bool:
        """Say whether any detector is missing or has failed at inference."""
        return bool(self.failed_to_load) or any(self.inference_failures.values())

    def summary(self) -> str:
        """Return a one-line description safe for logs (names and error classes only)."""
        failed = ",".join(f"{name}:{error}" for name, error in sorted(self.failed_to_load.items())) or "-"
        errors = ",".join(f"{name}:{count}" for name, count in sorted(self.inference_failures.items()) if count)
        return f"active={','.join(self.active) or '-'} failed={failed} inference_failures={errors or '-'}"


def tier_named(name: str) -> RiskTier:
    """Return the tier for a name such as "URGENT", with a clear error for anything else."""
    try:
        return RiskTier[name.strip().upper()]
    except KeyError:
        raise ValueError(f"unknown risk tier {name!r}; expected one of {[tier.name for tier in RiskTier]}") from None


class DetectionUnavailable(RuntimeError):
    """No detector could read a message (none loaded, or every one failed on its batch)."""
