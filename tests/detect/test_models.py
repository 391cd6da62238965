"""Model-based detectors: a tiny classifier and tiny encoder built here, and the real MiniLM (kept few)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detect.classifier import ClassifierDetector
from bot.detect.combined import build_detectors
from bot.detect.semantic import SemanticDetector, parse_exemplars, segments
from flows.risk import RiskTier, strongest
from tests.detect.tiny_models import build_tiny_classifier, build_tiny_encoder

LABEL_MAP = {"ok": "NONE", "low": "CONCERN", "crisis": "URGENT"}


def test_tiny_classifier_loads_and_maps_labels_from_its_directory(tmp_path: Path) -> None:
    directory = build_tiny_classifier(tmp_path / "crisis", winner="crisis", label_map=LABEL_MAP)
    detector = ClassifierDetector(directory)
    results = detector.detect_batch(["i want to die", "tea and cake"])
    assert [strongest(signals) for signals in results] == [RiskTier.URGENT, RiskTier.URGENT]
    signal = results[0][0]
    assert signal.detector == "classifier" and signal.reason == "classifier label: crisis" and signal.score > 0.99


def test_tiny_classifier_label_map_argument_and_quiet_labels(tmp_path: Path) -> None:
    directory = build_tiny_classifier(tmp_path / "ok", winner="ok")
    quiet = ClassifierDetector(directory, {label: RiskTier[tier] for label, tier in LABEL_MAP.items()})
    assert quiet.detect_batch(["feel fine today"]) == [[]]
    low = ClassifierDetector(directory, {"ok": RiskTier.CONCERN, "low": RiskTier.CONCERN, "crisis": RiskTier.URGENT})
    assert strongest(low.detect_batch(["feel fine today"])[0]) == RiskTier.CONCERN


def test_tiny_classifier_needs_a_full_label_map(tmp_path: Path) -> None:
    directory = build_tiny_classifier(tmp_path / "partial", winner="ok")
    with pytest.raises(ValueError, match=r"label_map\.json"):
        ClassifierDetector(directory)
    with pytest.raises(ValueError, match="does not cover"):
        ClassifierDetector(directory, {"ok": RiskTier.NONE})


def test_build_detectors_adds_a_classifier(tmp_path: Path) -> None:
    directory = build_tiny_classifier(tmp_path / "crisis", winner="crisis", label_map=LABEL_MAP)
    detectors, status = build_detectors(classifier_dir=directory, semantic=False)
    assert status.active == ("lexicon", "classifier") and not status.failed_to_load
    assert [detector.name for detector in detectors] == ["lexicon", "classifier"]


def test_semantic_loading_path_with_a_tiny_encoder(tmp_path: Path) -> None:
    directory = build_tiny_encoder(tmp_path / "encoder")
    exemplars = parse_exemplars(
        {
            "thresholds": {"URGENT": 0.999, "CONCERN": 0.999},
            "margin_over_none": 0.0,
            "exemplars": {"URGENT": ["i want to die"], "CONCERN": ["feel hopeless"], "NONE": ["queue is killing me"]},
        }
    )
    detector = SemanticDetector(directory, exemplars)
    results = detector.detect_batch(["I want to die", "feel hopeless", "tea and cake today"])
    assert [strongest(signals) for signals in results] == [RiskTier.URGENT, RiskTier.CONCERN, RiskTier.NONE]
    assert results[0][0].reason == "close to: i want to die"
    assert detector.detect_batch([]) == []


def test_exemplar_data_is_validated() -> None:
    with pytest.raises(ValueError):
        parse_exemplars({"thresholds": {"URGENT": 0.6}, "exemplars": {"URGENT": ["x"]}})


def test_segments_split_long_messages() -> None:
    assert segments("Work was fine. Bus was late! I want out") == [
        "Work was fine. Bus was late! I want out",
        "Work was fine.",
        "Bus was late!",
        "I want out",
    ]


def test_minilm_flags_a_burden_message_and_not_an_idiom(minilm_detector: SemanticDetector) -> None:
    texts = [
        "everyone would be better off without me",
        "honestly my family would be happier if I just wasn't here",
        "this queue is killing me",
        "the traffic on the ring road is killing me",
    ]
    tiers = [strongest(signals) for signals in minilm_detector.detect_batch(texts)]
    assert tiers[0] in (RiskTier.URGENT, RiskTier.CONCERN)
    assert tiers[1] in (RiskTier.URGENT, RiskTier.CONCERN)
    assert tiers[2] == RiskTier.NONE and tiers[3] == RiskTier.NONE


def test_minilm_reason_names_the_exemplar_not_the_message(minilm_detector: SemanticDetector) -> None:
    text = "CANARY-MEMBER-TEXT. Honestly I don't want to be here any more."
    (signal,) = minilm_detector.detect_batch([text])[0]
    assert signal.reason.startswith("close to: ") and "CANARY" not in signal.reason
    phrases = {phrase for group in minilm_detector.exemplars.phrases.values() for phrase in group}
    assert signal.reason.removeprefix("close to: ") in phrases
