"""Shared fixtures for the detectors: the real MiniLM semantic detector, loaded once per session."""

from __future__ import annotations

import pytest

from bot.detect.semantic import SemanticDetector
from bot.detect.trained import TrainedDetector


@pytest.fixture(scope="session")
def minilm_detector() -> SemanticDetector:
    """The semantic detector on the packaged all-MiniLM-L6-v2 (loads in a few seconds)."""
    return SemanticDetector()


@pytest.fixture(scope="session")
def trained_detector() -> TrainedDetector:
    """The trained detector on the shipped artefact and the packaged MiniLM (loads in a few seconds)."""
    return TrainedDetector()
