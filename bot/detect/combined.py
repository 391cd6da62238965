"""Build the detectors and combine their signals into what counts for one message.

Combination rule (data in bot/detect/data/combination.json):

1. Every signal counts at its own tier, and a message's tier is the strongest tier that counts.
2. The lexicon's own hits always count; the lexicon judged them in context already.
3. When the lexicon returns a verdict (`LexiconVeto`: a figure of speech such as "this queue is killing me", a
   negation such as "I would never hurt myself", a quotation of a song or film, a topic such as "suicide
   prevention", the past with recovery, or words about someone else), a model-based signal (semantic,
   classifier) is capped at that verdict's tier: NONE for idiom, negation, quote, topic and past_tense, CONCERN
   for third_person. With several verdicts the lowest cap wins.
4. A capped signal still counts in full when its score reaches the detector's stricter override score (semantic
   0.85 cosine similarity: the message is a near-paraphrase of an exemplar; classifier 0.98 probability). On the
   evaluation set every semantic false alarm carried a lexicon verdict and scored at most 0.79, while 0.85 leaves
   room for a crisis sentence that sits next to an idiom ("this queue is killing me. I've got the pills ready").
5. A capped signal is dropped when its cap is NONE, and otherwise lowered to the cap with its reason kept.

6. When the rule names a deciding detector (`decider`, the trained head) and it has read the message, its reading
   counts at its own tier, verdicts or not: it was trained on the word list's hits and verdicts as features, with
   the text around them, and its thresholds were chosen on the dev split for recall first. It may raise a
   message's tier but never lower a word-list hit (rule 2 still holds: the lexicon's own hits count in full).
   The other model-based signals (semantic, classifier) are kept as reasons at no more than the decided tier, and
   dropped when it decided NONE. If the decider is not loaded or fails on a batch, rules 1 to 5 apply as before
   (the word list and the semantic detector), and the service reports itself degraded.

Known limit: a verdict applies to the whole message, so a message mixing a figure of speech with a crisis
phrase that neither the lexicon nor a near-paraphrase exemplar catches can be capped. The lexicon's breadth and
the override score are the controls; the evaluation reports misses by kind.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.detect.base import LOGGER_NAME, DetectorStatus, LexiconVeto, RiskDetector, tier_named
from bot.detect.lexicon import LexiconDetector
from flows.risk import LanguageSignal, RiskTier, strongest

logger = logging.getLogger(LOGGER_NAME)


@dataclass(frozen=True)
class CombinationRule:
    """Caps per lexicon verdict kind and the scores at which a model overrides them."""

    veto_caps: Mapping[str, RiskTier]
    override_scores: Mapping[str, float]
    default_override_score: float = 1.01
    lexicon_name: str = LexiconDetector.name
    decider: str | None = None

    def override_score(self, detector: str) -> float:
        """Return the score at which a detector's signal ignores lexicon verdicts."""
        return self.override_scores.get(detector, self.default_override_score)


def parse_combination_rule(data: Mapping[str, Any]) -> CombinationRule:
    """Build a combination rule from its data, raising ValueError on anything malformed."""
    try:
        caps = {str(kind): tier_named(name) for kind, name in data["veto_caps"].items()}
        overrides = {str(name): float(score) for name, score in data["override_scores"].items()}
        default = float(data.get("default_override_score", 1.01))
        decider = str(data["decider"]) if data.get("decider") else None
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"combination data is malformed ({type(error).__name__})") from error
    return CombinationRule(caps, overrides, default, decider=decider)


def load_combination_rule(path: Path | None = None) -> CombinationRule:
    """Load the combination rule (default: the packaged bot/detect/data/combination.json)."""
    if path is None:
        text = resources.files("bot.detect").joinpath("data/combination.json").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_combination_rule(json.loads(text))


def combine(signals: Sequence[LanguageSignal], rule: CombinationRule) -> list[LanguageSignal]:
    """Return the signals that count for one message (tier above NONE), after lexicon verdicts."""
    decision = next((signal for signal in signals if signal.detector == rule.decider), None) if rule.decider else None
    if decision is not None:
        return _decided(signals, decision, rule)
    vetoes = [signal for signal in signals if isinstance(signal, LexiconVeto)]
    caps = [rule.veto_caps[veto.kind] for veto in vetoes if veto.kind in rule.veto_caps]
    cap = min(caps) if caps else None
    counted: list[LanguageSignal] = []
    for signal in signals:
        if signal.tier <= RiskTier.NONE:
            continue
        capped = (
            cap is not None
            and signal.detector != rule.lexicon_name
            and signal.tier > cap
            and signal.score < rule.override_score(signal.detector)
        )
        if not capped:
            counted.append(signal)
        elif cap is not None and cap > RiskTier.NONE:
            counted.append(dataclasses.replace(signal, tier=cap))
    return counted


def _decided(
    signals: Sequence[LanguageSignal], decision: LanguageSignal, rule: CombinationRule
) -> list[LanguageSignal]:
    """Return the decider's reading, the word list's hits in full, and other model signals no higher than decided."""
    counted = [decision] if decision.tier > RiskTier.NONE else []
    for signal in signals:
        if signal.tier <= RiskTier.NONE or signal.detector == decision.detector:
            continue
        lexicon_hit = signal.detector == rule.lexicon_name and not isinstance(signal, LexiconVeto)
        if lexicon_hit or signal.tier <= decision.tier:
            counted.append(signal)
        elif decision.tier > RiskTier.NONE:
            counted.append(dataclasses.replace(signal, tier=decision.tier))
    return counted


def combined_tier(signals: Sequence[LanguageSignal], rule: CombinationRule) -> RiskTier:
    """Return the tier of one message under the combination rule."""
    return strongest(combine(signals, rule))


def build_detectors(
    model_dir: Path | str | None = None,
    classifier_dir: Path | str | None = None,
    *,
    semantic: bool = True,
    trained: bool = True,
    artefact_dir: Path | None = None,
) -> tuple[list[RiskDetector], DetectorStatus]:
    """Load the lexicon, the language model (unless `semantic` is False) and, if given, a classifier.

    The language model is the trained detector (fine-tuned MiniLM and head, the packaged artefact or
    `artefact_dir`); if it cannot load, or `trained` is False, the exemplar-based semantic detector takes its
    place. A detector that cannot load is left out, logged at ERROR with its error class only, and named in the
    status, so the service reports itself degraded.
    """
    detectors: list[RiskDetector] = []
    failed: dict[str, str] = {}
    try:
        detectors.append(LexiconDetector())
    except Exception as error:
        failed[LexiconDetector.name] = type(error).__name__
        logger.error("lexicon_detector_unavailable error=%s", type(error).__name__)
    if semantic and trained:
        try:
            from bot.detect.trained import TrainedDetector

            detectors.append(TrainedDetector(model_dir, artefact_dir))
        except Exception as error:
            failed["trained"] = type(error).__name__
            logger.error("trained_detector_unavailable error=%s", type(error).__name__)
    if semantic and "trained" not in {detector.name for detector in detectors}:
        try:
            from bot.detect.semantic import SemanticDetector

            detectors.append(SemanticDetector(model_dir))
        except Exception as error:
            failed["semantic"] = type(error).__name__
            logger.error("semantic_detector_unavailable error=%s", type(error).__name__)
    if classifier_dir is not None:
        try:
            from bot.detect.classifier import ClassifierDetector

            detectors.append(ClassifierDetector(classifier_dir))
        except Exception as error:
            failed["classifier"] = type(error).__name__
            logger.error("classifier_detector_unavailable error=%s", type(error).__name__)
    status = DetectorStatus(active=tuple(detector.name for detector in detectors), failed_to_load=failed)
    logger.info("detectors_loaded %s", status.summary())
    return detectors, status
