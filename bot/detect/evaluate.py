"""Evaluate the risk detectors on labelled messages (`python -m bot eval-risk`).

By default it reads the corpus (tests/data/risk_corpus: train, dev and the frozen test split) and the regression
set (tests/data/risk_eval.jsonl) and prints, for each split, precision and recall per tier for each detector and
the combination, then per kind of message: URGENT recall, CONCERN-or-higher recall on CONCERN messages and false
alarms on NONE messages, per detector and combined. Messages not in English are scored apart (the English readers
are not meant for them). Misses are listed with their texts for the dev split only; for the other splits they are
counted by kind, and the test split's texts are never printed. With --data FILE it scores one file as before.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bot.detect.base import RiskDetector
from bot.detect.combined import CombinationRule, build_detectors, combined_tier, load_combination_rule
from bot.detect.corpus import DEFAULT_CORPUS, LABELS, SPLITS, CorpusMessage, load_split, read_messages
from bot.detect.scoring import FALSE_ALARM_TARGET, URGENT_RECALL_TARGET, Scores, format_misses, format_table
from flows.risk import LanguageSignal, RiskTier, strongest

DEFAULT_DATA = Path("tests/data/risk_eval.jsonl")
BATCH_SIZE = 32
LabelledMessage = CorpusMessage
__all__ = ["LABELS", "LabelledMessage", "evaluate", "load_messages", "main"]

# Acceptance on the frozen test split (issue 17).
TEST_URGENT_RECALL = 0.95
TEST_URGENT_RECALL_PER_KIND = 0.85
TEST_KIND_MINIMUM = 10
TEST_FALSE_ALARMS = 0.03
TEST_CONCERN_RECALL = 0.7


def load_messages(path: Path) -> list[CorpusMessage]:
    """Read a JSON-lines file of labelled messages ({"text", "label", "note" or "kind"}), with clear errors."""
    return read_messages(path)


def read_all(messages: Sequence[CorpusMessage], detectors: Sequence[RiskDetector]) -> list[tuple[float, list]]:
    """Run each detector over the messages in batches; return its seconds and its signals per message."""
    texts = [message.text for message in messages]
    readings = []
    for detector in detectors:
        started = time.perf_counter()
        signals: list[list[LanguageSignal]] = []
        for offset in range(0, len(texts), BATCH_SIZE):
            signals.extend(detector.detect_batch(texts[offset : offset + BATCH_SIZE]))
        readings.append((time.perf_counter() - started, signals))
    return readings


def evaluate(
    messages: Sequence[CorpusMessage], detectors: Sequence[RiskDetector], rule: CombinationRule
) -> list[Scores]:
    """Score each detector alone and the combination; the combination's time is the sum of the detectors'."""
    readings = read_all(messages, detectors)
    scores = []
    for detector, (seconds, signals) in zip(detectors, readings, strict=True):
        score = Scores(detector.name, seconds=seconds)
        for message, found in zip(messages, signals, strict=True):
            score.add(message.label, strongest(found), message.kind)
        scores.append(score)
    combination = Scores("combination", seconds=sum(seconds for seconds, _ in readings))
    for index, message in enumerate(messages):
        gathered = [signal for _, signals in readings for signal in signals[index]]
        combination.add(message.label, combined_tier(gathered, rule), message.kind)
    scores.append(combination)
    return scores


def _subset(score: Scores, kind: str) -> Scores:
    """Return a reader's scores on the messages of one kind."""
    part = Scores(score.name)
    for label, prediction, note in zip(score.labels, score.predictions, score.notes, strict=True):
        if note == kind:
            part.add(label, prediction, note)
    return part


def _cell(value: float, count: int) -> str:
    """Format a share, or a dash when nothing was counted."""
    return f"{value:.2f}" if count else "-"


def format_kinds(scores: Sequence[Scores]) -> str:
    """Return per kind of message: counts, and URGENT R, CONCERN+ R (on CONCERN), NONE FA per reader."""
    readers = [score.name[:10] for score in scores]
    header = f"{'kind':<18} {'n':>4} {'U':>4} {'C':>4} {'N':>4}  " + "  ".join(
        f"{name + ' U R':>15} {'C+ R':>5} {'FA':>5}" for name in readers
    )
    lines = [header, "-" * len(header)]
    for kind in sorted(set(scores[-1].notes)):
        parts = [_subset(score, kind) for score in scores]
        labels = Counter(parts[0].labels)
        urgent, concern, none = labels[RiskTier.URGENT], labels[RiskTier.CONCERN], labels[RiskTier.NONE]
        cells = []
        for part in parts:
            concern_only = Scores(part.name)
            for label, prediction, note in zip(part.labels, part.predictions, part.notes, strict=True):
                if label == RiskTier.CONCERN:
                    concern_only.add(label, prediction, note)
            cells.append(
                f"{_cell(part.recall_at_least(RiskTier.URGENT), urgent):>15} "
                f"{_cell(concern_only.recall_at_least(RiskTier.CONCERN), concern):>5} "
                f"{_cell(part.false_alarm_rate(), none):>5}"
            )
        lines.append(f"{kind:<18} {len(parts[0].labels):>4} {urgent:>4} {concern:>4} {none:>4}  " + "  ".join(cells))
    return "\n".join(lines)


def concern_recall(score: Scores) -> float:
    """Return CONCERN-or-higher recall on messages labelled CONCERN (not URGENT)."""
    pairs = [found for label, found in zip(score.labels, score.predictions, strict=True) if label == RiskTier.CONCERN]
    return sum(prediction >= RiskTier.CONCERN for prediction in pairs) / len(pairs) if pairs else 0.0


def acceptance(combination: Scores) -> list[str]:
    """Return the acceptance checks of issue 17 on the test split, each with its figure and verdict."""
    checks = [
        ("URGENT recall", combination.recall_at_least(RiskTier.URGENT), TEST_URGENT_RECALL, True),
        ("NONE false alarms", combination.false_alarm_rate(), TEST_FALSE_ALARMS, False),
        ("CONCERN+ recall on CONCERN", concern_recall(combination), TEST_CONCERN_RECALL, True),
    ]
    for kind in sorted(set(combination.notes)):
        part = _subset(combination, kind)
        if Counter(part.labels)[RiskTier.URGENT] >= TEST_KIND_MINIMUM:
            checks.append(
                (f"URGENT recall, {kind}", part.recall_at_least(RiskTier.URGENT), TEST_URGENT_RECALL_PER_KIND, True)
            )
    lines = []
    for name, value, target, at_least in checks:
        met = value >= target if at_least else value <= target
        lines.append(f"  {name:<34} {value:.3f} ({'>=' if at_least else '<='} {target}): {'met' if met else 'NOT MET'}")
    return lines


def dev_misses(messages: Sequence[CorpusMessage], combination: Scores) -> str:
    """Return the dev split's misses with their texts (dev only: it is the split for choosing)."""
    lines = ["misses (combination), dev split, with texts:"]
    for message, prediction in zip(messages, combination.predictions, strict=True):
        if message.label == RiskTier.URGENT and prediction < RiskTier.URGENT:
            lines.append(f"  URGENT read as {prediction.name:<8} [{message.kind}] {message.text}")
        elif message.label == RiskTier.CONCERN and prediction == RiskTier.NONE:
            lines.append(f"  CONCERN read as NONE     [{message.kind}] {message.text}")
        elif message.label == RiskTier.NONE and prediction >= RiskTier.CONCERN:
            lines.append(f"  NONE read as {prediction.name:<11} [{message.kind}] {message.text}")
    return "\n".join([lines[0], *sorted(lines[1:])])


def overruled(scores: Sequence[Scores]) -> str:
    """Count messages the word list read as URGENT that the combination read lower, by their label."""
    lexicon = next((score for score in scores if score.name == "lexicon"), None)
    if lexicon is None:
        return "word-list URGENT readings lowered by the combination: (no word list)"
    combination = scores[-1]
    lowered = Counter(
        label.name
        for label, alone, combined in zip(lexicon.labels, lexicon.predictions, combination.predictions, strict=True)
        if alone == RiskTier.URGENT and combined < RiskTier.URGENT
    )
    listed = ", ".join(f"labelled {name} {count}" for name, count in sorted(lowered.items())) or "none"
    return f"word-list URGENT readings lowered by the combination: {sum(lowered.values())} ({listed})"


def report(
    name: str, messages: Sequence[CorpusMessage], detectors: Sequence[RiskDetector], rule: CombinationRule
) -> Scores | None:
    """Print one split's figures (English messages; others apart) and return the combination's scores."""
    english = [message for message in messages if message.english]
    others = [message for message in messages if not message.english]
    counts = Counter(message.label.name for message in english)
    print(
        f"\n=== {name}: {len(english)} English messages (URGENT {counts['URGENT']}, CONCERN {counts['CONCERN']}, "
        f"NONE {counts['NONE']}); {len(others)} in other languages scored apart"
    )
    if not english:
        return None
    scores = evaluate(english, detectors, rule)
    print(format_table(scores))
    print(format_kinds(scores))
    combination = scores[-1]
    print(overruled(scores))
    print(dev_misses(english, combination) if name == "dev" else format_misses(combination))
    if others:
        other = evaluate(others, detectors, rule)[-1]
        by_lang = Counter(message.lang for message in others)
        print(
            f"other languages ({', '.join(f'{lang} {count}' for lang, count in sorted(by_lang.items()))}): "
            f"URGENT read as URGENT by the English readers {other.recall_at_least(RiskTier.URGENT):.2f}, "
            f"CONCERN+ on CONCERN {concern_recall(other):.2f}, NONE false alarms {other.false_alarm_rate():.2f} "
            "(the language fallback, not these readers, is meant to answer them)"
        )
    return combination


def main(argv: list[str] | None = None) -> int:
    """Print the figures; return 0 when the targets are met (test acceptance, or the --data file's), else 1."""
    parser = argparse.ArgumentParser(prog="python -m bot eval-risk", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder with splits.json")
    parser.add_argument("--regression", type=Path, default=DEFAULT_DATA, help="the regression set")
    parser.add_argument("--splits", default="train,dev,test,regression", help="which to report, comma-separated")
    parser.add_argument("--data", type=Path, default=None, help="score one JSON-lines file instead")
    parser.add_argument("--no-model", action="store_true", help="word list only: load no language model")
    parser.add_argument("--semantic", action="store_true", help="use the exemplar semantic detector, not the trained")
    parser.add_argument("--model-dir", type=Path, default=None, help="sentence-embedding model directory")
    parser.add_argument("--classifier-dir", type=Path, default=None, help="optional text-classification model")
    parser.add_argument("--artefact-dir", type=Path, default=None, help="trained model files (default: packaged)")
    args = parser.parse_args(argv)
    detectors, status = build_detectors(
        args.model_dir,
        args.classifier_dir,
        semantic=not args.no_model,
        trained=not args.semantic,
        artefact_dir=args.artefact_dir,
    )
    print(f"detectors: {status.summary()}")
    rule = load_combination_rule()
    if args.data is not None:
        return _one_file(resolve_data(args.data), detectors, rule)
    wanted = [name.strip() for name in args.splits.split(",") if name.strip()]
    results: dict[str, Scores | None] = {}
    for name in wanted:
        if name in SPLITS:
            results[name] = report(name, load_split(resolve_data(args.corpus), name), detectors, rule)
        elif name == "regression":
            results[name] = report(name, read_messages(resolve_data(args.regression)), detectors, rule)
        else:
            raise SystemExit(f"unknown split {name!r}")
    test = results.get("test")
    if test is None:
        return 0
    lines = acceptance(test)
    print("\nacceptance on the frozen test split (combination):\n" + "\n".join(lines))
    return 0 if all(line.endswith(": met") for line in lines) else 1


def _one_file(path: Path, detectors: Sequence[RiskDetector], rule: CombinationRule) -> int:
    """Score one file as the regression check always has: table, misses by note, and the targets."""
    messages = load_messages(path)
    counts = {tier.name: sum(message.label == tier for message in messages) for tier in RiskTier}
    print(f"messages: {len(messages)} (URGENT {counts['URGENT']}, CONCERN {counts['CONCERN']}, NONE {counts['NONE']})")
    scores = evaluate(messages, detectors, rule)
    print(format_table(scores))
    combination = scores[-1]
    print(format_misses(combination))
    met = combination.meets_targets()
    print(
        f"targets (combination): URGENT recall >= {URGENT_RECALL_TARGET:.2f}, NONE false alarms <= "
        f"{FALSE_ALARM_TARGET:.0%}: {'met' if met else 'NOT MET'}"
    )
    return 0 if met else 1


def resolve_data(path: Path) -> Path:
    """Find the data file relative to the working directory, else to the repository root."""
    if path.exists() or path.is_absolute():
        return path
    beside_repository = Path(__file__).resolve().parents[2] / path
    return beside_repository if beside_repository.exists() else path


if __name__ == "__main__":
    raise SystemExit(main())
