"""Scores for the risk evaluation: precision and recall per tier, false alarms on NONE, throughput, misses."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from flows.risk import RiskTier

URGENT_RECALL_TARGET = 0.95
FALSE_ALARM_TARGET = 0.05
SCORED_TIERS = (RiskTier.URGENT, RiskTier.CONCERN)


def _share(part: int, whole: int) -> float:
    """Return part / whole, or 0.0 when there is nothing to divide."""
    return part / whole if whole else 0.0


@dataclass
class Scores:
    """One reader's predictions against the labels, with the time it took."""

    name: str
    labels: list[RiskTier] = field(default_factory=list)
    predictions: list[RiskTier] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, label: RiskTier, prediction: RiskTier, note: str) -> None:
        """Record one message."""
        self.labels.append(label)
        self.predictions.append(max(prediction, RiskTier.NONE) if prediction != RiskTier.WATCH else RiskTier.NONE)
        self.notes.append(note)

    def _pairs(self) -> list[tuple[RiskTier, RiskTier]]:
        """Return (label, prediction) pairs."""
        return list(zip(self.labels, self.predictions, strict=True))

    def recall_at_least(self, tier: RiskTier) -> float:
        """Share of messages labelled `tier` or above that were predicted `tier` or above."""
        relevant = [prediction for label, prediction in self._pairs() if label >= tier]
        return _share(sum(prediction >= tier for prediction in relevant), len(relevant))

    def precision_at_least(self, tier: RiskTier) -> float:
        """Share of messages predicted `tier` or above that were labelled `tier` or above."""
        flagged = [label for label, prediction in self._pairs() if prediction >= tier]
        return _share(sum(label >= tier for label in flagged), len(flagged))

    def recall_exact(self, tier: RiskTier) -> float:
        """Share of messages labelled exactly `tier` that were predicted exactly `tier`."""
        relevant = [prediction for label, prediction in self._pairs() if label == tier]
        return _share(sum(prediction == tier for prediction in relevant), len(relevant))

    def precision_exact(self, tier: RiskTier) -> float:
        """Share of messages predicted exactly `tier` that were labelled exactly `tier`."""
        flagged = [label for label, prediction in self._pairs() if prediction == tier]
        return _share(sum(label == tier for label in flagged), len(flagged))

    def false_alarm_rate(self) -> float:
        """Share of messages labelled NONE that were predicted CONCERN or URGENT."""
        ordinary = [prediction for label, prediction in self._pairs() if label == RiskTier.NONE]
        return _share(sum(prediction >= RiskTier.CONCERN for prediction in ordinary), len(ordinary))

    def messages_per_second(self) -> float:
        """Return throughput over the whole set."""
        return len(self.labels) / self.seconds if self.seconds > 0 else float("inf")

    def meets_targets(self) -> bool:
        """Say whether URGENT recall and false alarms on NONE meet the targets."""
        return (
            self.recall_at_least(RiskTier.URGENT) >= URGENT_RECALL_TARGET
            and self.false_alarm_rate() <= FALSE_ALARM_TARGET
        )

    def misses_by_note(self) -> dict[str, Counter[str]]:
        """Group misses by kind (worst first) and count the notes in each; texts are never included."""
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        for (label, prediction), note in zip(self._pairs(), self.notes, strict=True):
            if label == RiskTier.URGENT and prediction == RiskTier.NONE:
                kinds["URGENT read as NONE"][note] += 1
            elif label == RiskTier.URGENT and prediction < RiskTier.URGENT:
                kinds["URGENT read as CONCERN"][note] += 1
            elif label == RiskTier.NONE and prediction >= RiskTier.CONCERN:
                kinds[f"NONE read as {prediction.name} (false alarm)"][note] += 1
            elif label == RiskTier.CONCERN and prediction == RiskTier.NONE:
                kinds["CONCERN read as NONE"][note] += 1
        order = ["URGENT read as NONE", "URGENT read as CONCERN"]
        return dict(sorted(kinds.items(), key=lambda item: (order.index(item[0]) if item[0] in order else 2, item[0])))


def format_table(scores: Sequence[Scores]) -> str:
    """Return a fixed-width table: per tier precision/recall (at least, exact), false alarms, throughput."""
    header = (
        f"{'reader':<12} {'URGENT P':>9} {'URGENT R':>9} {'CONCERN+ P':>11} {'CONCERN+ R':>11} "
        f"{'CONCERN= P':>11} {'CONCERN= R':>11} {'NONE FA':>8} {'msg/s':>9}"
    )
    lines = [header, "-" * len(header)]
    for score in scores:
        lines.append(
            f"{score.name:<12} {score.precision_at_least(RiskTier.URGENT):>9.3f} "
            f"{score.recall_at_least(RiskTier.URGENT):>9.3f} {score.precision_at_least(RiskTier.CONCERN):>11.3f} "
            f"{score.recall_at_least(RiskTier.CONCERN):>11.3f} {score.precision_exact(RiskTier.CONCERN):>11.3f} "
            f"{score.recall_exact(RiskTier.CONCERN):>11.3f} {score.false_alarm_rate():>8.3f} "
            f"{score.messages_per_second():>9.1f}"
        )
    return "\n".join(lines)


def format_misses(scores: Scores) -> str:
    """Return the misses of one reader grouped by kind and note (never the texts)."""
    groups = scores.misses_by_note()
    if not groups:
        return f"misses ({scores.name}): none"
    lines = [f"misses ({scores.name}), by note:"]
    for kind, notes in groups.items():
        listed = ", ".join(f"{note} x{count}" for note, count in notes.most_common())
        lines.append(f"  {kind}: {sum(notes.values())} ({listed})")
    return "\n".join(lines)
