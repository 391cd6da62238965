"""Train the risk model (`python -m bot train-risk`): fit on train, choose on dev, never read the test split.

Training data: the corpus's train split (English messages only), plus the regression set
tests/data/risk_eval.jsonl unless --no-regression, plus any --extra files (refused if they belong to the test
split). Exact duplicates are dropped, and so is any training text that is also in dev. The top layers of MiniLM
and a 3-class head are fine-tuned on the standardised messages and the word list's readings (bot.detect.finetune,
settings chosen on dev); then the two thresholds are chosen on dev, recall first, under the combination rule
(the word list's own hits always count): the highest URGENT threshold at which the combination's URGENT recall on
dev reaches URGENT_RECALL_GOAL (or, if no threshold reaches it, the highest at which it is as high as it gets),
then the highest CONCERN threshold at which CONCERN-or-higher recall on dev CONCERN messages reaches
CONCERN_RECALL_GOAL (likewise). The NONE false alarms that costs on dev are reported, not traded against recall.
`--thresholds-only` rechooses the thresholds for the packaged (or --artefact-dir) model without retraining and
rewrites only risk_head.json. Seeded; torch, scipy-free, no scikit-learn.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.detect.combined import CombinationRule, combined_tier, load_combination_rule
from bot.detect.corpus import (
    DEFAULT_CORPUS,
    CorpusMessage,
    check_not_test,
    load_for_tuning,
    plain,
    read_messages,
    without_duplicates,
)
from bot.detect.encoder import SentenceEncoder, default_model_dir, limit_threads
from bot.detect.finetune import FineTuneSettings, finetune
from bot.detect.lexicon import LexiconDetector
from bot.detect.trained import (
    CLASSES,
    RiskHead,
    TrainedDetector,
    lexicon_feature,
    load_artefact,
    read_message,
    save_artefact,
    save_settings,
)
from flows.risk import LanguageSignal, RiskTier

DEFAULT_REGRESSION = Path("tests/data/risk_eval.jsonl")
DEFAULT_OUT = Path(__file__).resolve().parent / "data"
URGENT_RECALL_GOAL = 0.95
CONCERN_RECALL_GOAL = 0.85
THRESHOLDS = (
    0.005,
    0.01,
    0.02,
    0.03,
    0.04,
    *(round(value, 3) for value in np.arange(0.05, 0.95, 0.025)),
    0.95,
    0.97,
    0.98,
    0.99,
    0.995,
    0.998,
)


@dataclass(frozen=True)
class Choice:
    """One candidate's thresholds and its dev figures (combination of word list and head)."""

    urgent_threshold: float
    concern_threshold: float
    urgent_recall: float
    concern_recall: float
    false_alarms: float


def english(messages: Sequence[CorpusMessage]) -> list[CorpusMessage]:
    """Keep the messages the English readers are trained and scored on."""
    return [message for message in messages if message.english]


def training_set(
    corpus: Path, regression: Path | None, extras: Sequence[Path], dev: Sequence[CorpusMessage]
) -> list[CorpusMessage]:
    """Return train (and the regression set and extras), English only, without duplicates or dev texts."""
    check_not_test(corpus, extras)
    messages = english(load_for_tuning(corpus, "train"))
    if regression is not None:
        messages += read_messages(regression)
    for path in extras:
        messages += english(read_messages(path))
    return without_duplicates(messages, taken={plain(message.text) for message in dev})


def label_index(tier: RiskTier) -> int:
    """Return the class index of a tier."""
    return CLASSES.index(tier)


def choose_thresholds(
    messages: Sequence[CorpusMessage],
    lexicon: Sequence[Sequence[LanguageSignal]],
    probabilities: np.ndarray,
    rule: CombinationRule,
) -> Choice:
    """Return the thresholds chosen on dev, recall first (see the module docstring), under the combination rule."""
    labels = [message.label for message in messages]
    urgent_scores = probabilities[:, 2]
    concern_scores = probabilities[:, 1] + probabilities[:, 2]
    outcome = np.asarray(
        [
            [
                int(combined_tier([*found, LanguageSignal(tier, "trained", "", float(score))], rule))
                for tier, score in (
                    (RiskTier.NONE, 1.0 - concern),
                    (RiskTier.CONCERN, concern),
                    (RiskTier.URGENT, urgent),
                )
            ]
            for found, urgent, concern in zip(lexicon, urgent_scores, concern_scores, strict=True)
        ]
    )
    rows = np.arange(len(labels))

    def choice(urgent: float, concern: float) -> Choice:
        read = np.where(urgent_scores >= urgent, 2, np.where(concern_scores >= concern, 1, 0))
        tiers = [RiskTier(int(value)) for value in outcome[rows, read]]
        return Choice(urgent, concern, *figures(labels, tiers))

    # URGENT recall does not depend on the CONCERN threshold; the highest CONCERN threshold stands in for it.
    by_urgent = [choice(urgent, THRESHOLDS[-1]) for urgent in THRESHOLDS]
    goal = min(URGENT_RECALL_GOAL, max(candidate.urgent_recall for candidate in by_urgent))
    urgent = max(candidate.urgent_threshold for candidate in by_urgent if candidate.urgent_recall >= goal)
    by_concern = [choice(urgent, concern) for concern in THRESHOLDS]
    goal = min(CONCERN_RECALL_GOAL, max(candidate.concern_recall for candidate in by_concern))
    return max(
        (candidate for candidate in by_concern if candidate.concern_recall >= goal),
        key=lambda candidate: candidate.concern_threshold,
    )


def figures(labels: Sequence[RiskTier], tiers: Sequence[RiskTier]) -> tuple[float, float, float]:
    """Return URGENT recall, CONCERN-or-higher recall on CONCERN, and false alarms on NONE."""
    pairs = list(zip(labels, tiers, strict=True))

    def share(label: RiskTier, hit: RiskTier) -> float:
        relevant = [tier for wanted, tier in pairs if wanted == label]
        return sum(tier >= hit for tier in relevant) / len(relevant) if relevant else 0.0

    return (
        share(RiskTier.URGENT, RiskTier.URGENT),
        share(RiskTier.CONCERN, RiskTier.CONCERN),
        share(RiskTier.NONE, RiskTier.CONCERN),
    )


def digest(messages: Sequence[CorpusMessage]) -> str:
    """Return a short fingerprint of the training data (texts and labels)."""
    hasher = hashlib.sha256()
    for message in messages:
        hasher.update(f"{message.label.name}\t{message.text}\n".encode())
    return hasher.hexdigest()[:16]


def train(
    corpus: Path = DEFAULT_CORPUS,
    regression: Path | None = DEFAULT_REGRESSION,
    extras: Sequence[Path] = (),
    out: Path = DEFAULT_OUT,
    settings: FineTuneSettings | None = None,
    model_dir: Path | None = None,
) -> RiskHead:
    """Fine-tune on train, choose the thresholds on dev, save the artefact to `out`, and return the head."""
    settings = settings or FineTuneSettings()
    limit_threads()
    model_dir = model_dir or default_model_dir()
    dev = english(load_for_tuning(corpus, "dev"))
    messages = training_set(corpus, regression, extras, dev)
    lexicon = LexiconDetector()
    read = [read_message(message.text, lexicon) for message in messages]
    names = tuple(sorted({lexicon_feature(signal) for _, found in read for signal in found}))
    template = RiskHead(np.zeros((3, 1), np.float32), np.zeros(3, np.float32), settings.scale, {}, names)
    rows = template.lexicon_rows([found for _, found in read])
    labels = [label_index(message.label) for message in messages]
    tuned = finetune(str(model_dir), [text for text, _ in read], rows, labels, settings)
    dimension = tuned.head_weights.shape[1] - len(names)
    head = RiskHead(
        tuned.head_weights[:, :dimension],
        tuned.head_bias,
        settings.scale,
        {RiskTier.URGENT: 0.5, RiskTier.CONCERN: 0.5},
        names,
        tuned.head_weights[:, dimension:],
    )
    encoder = SentenceEncoder(model_dir, overrides=tuned.layers)
    detector = TrainedDetector(encoder=encoder, head=head, lexicon=lexicon)
    choice = choose_on_dev(dev, detector, lexicon)
    about = {
        "what": "all-MiniLM-L6-v2 with its top layers fine-tuned, and a 3-class head on its embedding of the "
        "standardised message and the word list's hits and verdicts",
        "trained_on": f"{len(messages)} English messages (corpus train split"
        + (", regression set" if regression is not None else "")
        + (", extras" if extras else "")
        + ")",
        "training_digest": digest(messages),
        "chosen_on": f"dev split, {len(dev)} English messages",
        "settings": dataclasses.asdict(settings),
        "dev": dev_figures(choice),
    }
    final = dataclasses.replace(head, thresholds=thresholds_of(choice), about=about)
    save_artefact(final, tuned.layers, out)
    return final


def dev_figures(choice: Choice) -> dict[str, float]:
    """Return the dev figures of a choice as stored in the head's settings."""
    return {
        "urgent_recall": round(choice.urgent_recall, 4),
        "concern_recall": round(choice.concern_recall, 4),
        "none_false_alarms": round(choice.false_alarms, 4),
    }


def rechoose_thresholds(
    corpus: Path = DEFAULT_CORPUS,
    artefact: Path | None = None,
    out: Path = DEFAULT_OUT,
    model_dir: Path | None = None,
) -> RiskHead:
    """Choose the thresholds of an already trained model on dev (no retraining); rewrite only risk_head.json."""
    limit_threads()
    dev = english(load_for_tuning(corpus, "dev"))
    head, layers = load_artefact(artefact)
    lexicon = LexiconDetector()
    encoder = SentenceEncoder(model_dir or default_model_dir(), overrides=layers)
    detector = TrainedDetector(encoder=encoder, head=head, lexicon=lexicon)
    choice = choose_on_dev(dev, detector, lexicon)
    about = {**head.about, "chosen_on": f"dev split, {len(dev)} English messages", "dev": dev_figures(choice)}
    final = dataclasses.replace(head, thresholds=thresholds_of(choice), about=about)
    save_settings(final, out)
    return final


def choose_on_dev(dev: Sequence[CorpusMessage], detector: TrainedDetector, lexicon: LexiconDetector) -> Choice:
    """Read dev with the detector and the word list and choose the thresholds under the packaged rule."""
    probabilities = detector.probabilities([message.text for message in dev])
    dev_lexicon = lexicon.detect_batch([message.text for message in dev])
    return choose_thresholds(dev, dev_lexicon, probabilities, load_combination_rule())


def thresholds_of(choice: Choice) -> dict[RiskTier, float]:
    """Return a choice's thresholds as the head keeps them."""
    return {RiskTier.URGENT: choice.urgent_threshold, RiskTier.CONCERN: choice.concern_threshold}


def main(argv: list[str] | None = None) -> int:
    """Train and save the head; print the dev figures of every candidate and the winner."""
    parser = argparse.ArgumentParser(prog="python -m bot train-risk", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus folder with splits.json")
    parser.add_argument("--regression", type=Path, default=DEFAULT_REGRESSION, help="regression set to train on")
    parser.add_argument("--no-regression", action="store_true", help="do not train on the regression set")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="another training file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write risk_head.npz and .json")
    parser.add_argument(
        "--thresholds-only",
        action="store_true",
        help="do not retrain: choose the thresholds of the model in --artefact-dir (default: packaged) on dev",
    )
    parser.add_argument("--artefact-dir", type=Path, default=None, help="trained model files (default: packaged)")
    defaults = FineTuneSettings()
    parser.add_argument("--top-layers", type=int, default=defaults.top_layers, help="MiniLM layers to fine-tune")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--layer-rate", type=float, default=defaults.layer_rate, help="learning rate of the layers")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(defaults, top_layers=args.top_layers, epochs=args.epochs, layer_rate=args.layer_rate)
    started = time.perf_counter()
    cpu_started = time.process_time()
    from bot.detect.evaluate import resolve_data

    if args.thresholds_only:
        head = rechoose_thresholds(resolve_data(args.corpus), args.artefact_dir, args.out)
    else:
        head = train(
            resolve_data(args.corpus),
            None if args.no_regression else resolve_data(args.regression),
            [resolve_data(path) for path in args.extra],
            args.out,
            settings,
        )
    dev = head.about["dev"]
    print(
        f"thresholds chosen on dev: URGENT {head.thresholds[RiskTier.URGENT]:.3f}, CONCERN "
        f"{head.thresholds[RiskTier.CONCERN]:.3f}; dev URGENT recall {dev['urgent_recall']:.3f}, CONCERN+ recall "
        f"on CONCERN {dev['concern_recall']:.3f}, NONE false alarms {dev['none_false_alarms']:.3f}"
    )
    print(
        f"wrote {args.out} in {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu_started:.1f} s "
        f"CPU ({head.about['trained_on']})"
    )
    return 0
