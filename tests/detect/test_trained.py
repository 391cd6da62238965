"""The trained detector: the shipped artefact loads offline without pickle, and it reads unseen messages."""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from bot.detect.combined import build_detectors, combined_tier, load_combination_rule
from bot.detect.lexicon import LexiconDetector
from bot.detect.trained import ENCODER_WEIGHTS, HEAD_SETTINGS, HEAD_WEIGHTS, TrainedDetector, load_artefact
from flows.risk import RiskTier

DATA = Path(str(resources.files("bot.detect").joinpath("data")))
RULE = load_combination_rule()

# Written for this test in the style of the dev split (dialect, text-speak, euphemism, hard negatives); none of
# these texts is in the corpus or the regression set.
URGENT = [
    "a cannae dae this nae mair, got the tablets oot the drawer",
    "gonna go to sleep tonight and not wake up, sorted it all",
    "thanks for everything pet, look after ma cat for us x",
    "been scratching ma arms wi the blade again",
    "stood on the bridge for an hour last night, going back later",
]
CONCERN = [
    "havent eaten properly in days n cant sleep",
    "everyone would be better off if i just disappeared for a bit",
]
NONE = [
    "this traffic is murder, be late for tea",
    pytest.param(
        "doctor asked if i ever thought about ending it, i said no and i meant it",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known blind spot (docs/safety/detector.md): the word list reads 'ending it' in reported speech "
            "as URGENT with no verdict, and a word-list hit always counts; the trained model reads NONE",
        ),
    ),
    "killed it at the gym today, legs are dead",
]


def tier(detector: TrainedDetector, text: str) -> RiskTier:
    """Return the combined tier of the word list and the trained detector for one text."""
    signals = [*LexiconDetector().detect(text), *detector.detect_batch([text])[0]]
    return combined_tier(signals, RULE)


def test_the_shipped_artefact_is_small_and_loads_without_pickle() -> None:
    sizes = sum((DATA / name).stat().st_size for name in (HEAD_WEIGHTS, HEAD_SETTINGS, ENCODER_WEIGHTS))
    assert sizes < 20 * 1024 * 1024
    for name in (HEAD_WEIGHTS, ENCODER_WEIGHTS):
        with np.load(DATA / name, allow_pickle=False) as arrays:
            assert all(arrays[key].dtype != object for key in arrays.files)
    head, layers = load_artefact()
    assert head.thresholds.keys() == {RiskTier.URGENT, RiskTier.CONCERN} and layers
    assert head.about["chosen_on"].startswith("dev split")


def test_the_detector_loads_offline(trained_detector: TrainedDetector) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert trained_detector.detect_batch([]) == []
    (reading,) = trained_detector.detect_batch(["fine thanks, off to work"])[0]
    assert reading.detector == "trained" and reading.tier == RiskTier.NONE


@pytest.mark.parametrize("text", URGENT)
def test_unseen_urgent_messages_are_urgent(trained_detector: TrainedDetector, text: str) -> None:
    assert tier(trained_detector, text) == RiskTier.URGENT


@pytest.mark.parametrize("text", CONCERN)
def test_unseen_early_signs_are_at_least_concern(trained_detector: TrainedDetector, text: str) -> None:
    assert tier(trained_detector, text) >= RiskTier.CONCERN


@pytest.mark.parametrize("text", NONE)
def test_unseen_everyday_messages_are_quiet(trained_detector: TrainedDetector, text: str) -> None:
    assert tier(trained_detector, text) == RiskTier.NONE


def test_reasons_never_quote_the_member(trained_detector: TrainedDetector) -> None:
    (reading,) = trained_detector.detect_batch(["CANARY-MEMBER-TEXT i want to die"])[0]
    assert "canary" not in reading.reason.lower()


def test_a_broken_artefact_is_loud_and_the_semantic_detector_takes_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "artefact"
    shutil.copytree(DATA, broken)
    settings = json.loads((broken / HEAD_SETTINGS).read_text("utf-8"))
    settings["lexicon_features"] = settings["lexicon_features"][:-1]
    (broken / HEAD_SETTINGS).write_text(json.dumps(settings), "utf-8")
    detectors, status = build_detectors(artefact_dir=broken)
    assert [detector.name for detector in detectors] == ["lexicon", "semantic"]
    assert status.failed_to_load == {"trained": "ValueError"} and status.degraded
    assert any("trained_detector_unavailable error=ValueError" in record.getMessage() for record in caplog.records)
