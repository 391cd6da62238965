"""Shared fixtures for the detectors: the real MiniLM semantic detector, loaded once per session."""

from __future__ import annotations

import pytest

from bot.detect.semantic import SemanticDetector


@pytest.fixture(scope="session")
def minilm_detector() -> SemanticDetector:
    """The semantic detector on the packaged all-MiniLM-L6-v2 (loads in a few seconds)."""
    return SemanticDetector()
