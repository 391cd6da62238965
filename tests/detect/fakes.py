"""Hand-written fake detectors for service tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from flows.risk import LanguageSignal, RiskTier


class RecordingDetector:
    """Flags texts containing a marker word as URGENT and records batch sizes and worker threads."""

    def __init__(self, name: str = "recording", marker: str = "alarm", delay_s: float = 0.0) -> None:
        self.name = name
        self.marker = marker
        self.delay_s = delay_s
        self.batch_sizes: list[int] = []
        self.threads: list[str] = []

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        self.batch_sizes.append(len(texts))
        self.threads.append(threading.current_thread().name)
        if self.delay_s:
            time.sleep(self.delay_s)
        return [
            [LanguageSignal(RiskTier.URGENT, self.name, "marker word", 0.5)] if self.marker in text else []
            for text in texts
        ]


class BrokenDetector:
    """Raises at inference, with the member's text in the exception message (which must never be logged)."""

    def __init__(self, name: str = "broken") -> None:
        self.name = name
        self.calls = 0

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        self.calls += 1
        raise RuntimeError(f"cannot read {texts[0]!r}")


class FixedDetector:
    """Returns the same signal for every text."""

    def __init__(self, signal: LanguageSignal) -> None:
        self.name = signal.detector
        self.signal = signal

    def detect_batch(self, texts: Sequence[str]) -> list[list[LanguageSignal]]:
        return [[self.signal] for _ in texts]
