"""Evaluate the risk detectors on labelled messages (`python -m bot eval-risk`).

Prints precision and recall per tier (at least this tier, and exact for CONCERN), the false-alarm rate on
NONE messages, throughput, and the combination's misses grouped by note; never the message texts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.detect.base import RiskDetector, tier_named
from bot.detect.combined import CombinationRule, build_detectors, combined_tier, load_combination_rule
from bot.detect.scoring import FALSE_ALARM_TARGET, URGENT_RECALL_TARGET, Scores, format_misses, format_table
from flows.risk import LanguageSignal, RiskTier, strongest

DEFAULT_DATA = Path("tests/data/risk_eval.jsonl")
LABELS = ("URGENT", "CONCERN", "NONE")
BATCH_SIZE = 32


@dataclass(frozen=True)
class LabelledMessage:
    """One evaluation message: its text, the tier it should get, and a note on what kind of message it is."""

    text: str
    label: RiskTier
    note: str


def load_messages(path: Path) -> list[LabelledMessage]:
    """Read a JSON-lines file of {"text", "label", "note"} objects, with a clear error for a bad line."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["label"] not in LABELS:
                raise ValueError(f"label must be one of {LABELS}")
            messages.append(LabelledMessage(str(row["text"]), tier_named(row["label"]), str(row.get("note", "plain"))))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: bad evaluation line ({type(error).__name__}: {error})") from error
    return messages


def evaluate(
    messages: Sequence[LabelledMessage], detectors: Sequence[RiskDetector], rule: CombinationRule
) -> list[Scores]:
    """Score each detector alone and the combination; the combination's time is the sum of the detectors'."""
    texts = [message.text for message in messages]
    per_detector: list[list[list[LanguageSignal]]] = []
    scores = []
    for detector in detectors:
        started = time.perf_counter()
        signals: list[list[LanguageSignal]] = []
        for offset in range(0, len(texts), BATCH_SIZE):
            signals.extend(detector.detect_batch(texts[offset : offset + BATCH_SIZE]))
        score = Scores(detector.name, seconds=time.perf_counter() - started)
        for message, found in zip(messages, signals, strict=True):
            score.add(message.label, strongest(found), message.note)
        per_detector.append(signals)
        scores.append(score)
    combination = Scores("combination", seconds=sum(score.seconds for score in scores))
    for index, message in enumerate(messages):
        gathered = [signal for signals in per_detector for signal in signals[index]]
        combination.add(message.label, combined_tier(gathered, rule), message.note)
    scores.append(combination)
    return scores


def resolve_data(path: Path) -> Path:
    """Find the data file relative to the working directory, else to the repository root."""
    if path.exists() or path.is_absolute():
        return path
    beside_repository = Path(__file__).resolve().parents[2] / path
    return beside_repository if beside_repository.exists() else path


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and print the table; return 0 when the combination meets the targets, else 1."""
    parser = argparse.ArgumentParser(prog="python -m bot eval-risk", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSON-lines file of labelled messages")
    parser.add_argument("--no-model", action="store_true", help="lexicon only: do not load the semantic model")
    parser.add_argument("--model-dir", type=Path, default=None, help="sentence-embedding model directory")
    parser.add_argument("--classifier-dir", type=Path, default=None, help="optional text-classification model")
    args = parser.parse_args(argv)
    messages = load_messages(resolve_data(args.data))
    detectors, status = build_detectors(args.model_dir, args.classifier_dir, semantic=not args.no_model)
    counts = {tier.name: sum(message.label == tier for message in messages) for tier in RiskTier}
    print(f"messages: {len(messages)} (URGENT {counts['URGENT']}, CONCERN {counts['CONCERN']}, NONE {counts['NONE']})")
    print(f"detectors: {status.summary()}")
    scores = evaluate(messages, detectors, load_combination_rule())
    print(format_table(scores))
    combination = scores[-1]
    print(format_misses(combination))
    met = combination.meets_targets()
    print(
        f"targets (combination): URGENT recall >= {URGENT_RECALL_TARGET:.2f}, NONE false alarms <= "
        f"{FALSE_ALARM_TARGET:.0%}: {'met' if met else 'NOT MET'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
