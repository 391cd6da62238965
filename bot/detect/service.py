"""The bot's async facade: batches concurrent assessments and runs the detectors on one worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.detect.base import LOGGER_NAME, DetectionUnavailable, DetectorStatus, RiskDetector
from bot.detect.combined import CombinationRule, build_detectors, combine, load_combination_rule
from flows.risk import LanguageSignal

logger = logging.getLogger(LOGGER_NAME)

MAX_BATCH = 32
MAX_WAIT_S = 0.005


class LanguageRiskService:
    """Assesses member messages with every loaded detector, off the event loop, in batches.

    `assess` returns the signals that count after the combination rule (see bot.detect.combined); an empty list
    means nothing of concern, and `flows.risk.strongest(signals)` gives the message's tier. Calls arriving
    within `max_wait_s` of each other (up to `max_batch`) share one `detect_batch` call per detector.
    """

    def __init__(
        self,
        detectors: Sequence[RiskDetector],
        load_status: DetectorStatus | None = None,
        *,
        rule: CombinationRule | None = None,
        max_batch: int = MAX_BATCH,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        """Use detectors that are already loaded; `load_status` carries any that failed to load."""
        self._detectors = list(detectors)
        self._failed_to_load = dict(load_status.failed_to_load) if load_status else {}
        self._rule = rule or load_combination_rule()
        self._max_batch = max(1, max_batch)
        self._max_wait_s = max(0.0, max_wait_s)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-detect")
        self._failures: Counter[str] = Counter()
        self._failures_lock = threading.Lock()
        self._pending: list[tuple[str, asyncio.Future[list[LanguageSignal]]]] = []
        self._batch_full: asyncio.Event | None = None
        self._collector: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def start(
        cls,
        model_dir: Path | str | None = None,
        classifier_dir: Path | str | None = None,
        *,
        semantic: bool = True,
        max_batch: int = MAX_BATCH,
        max_wait_s: float = MAX_WAIT_S,
    ) -> LanguageRiskService:
        """Load the detectors on a worker thread (models take seconds) and return a running service."""
        detectors, status = await asyncio.to_thread(build_detectors, model_dir, classifier_dir, semantic=semantic)
        service = cls(detectors, status, max_batch=max_batch, max_wait_s=max_wait_s)
        logger.info("language_risk_service_started %s", service.status().summary())
        return service

    @property
    def ready(self) -> bool:
        """Say whether the service can assess messages (open, with at least one detector)."""
        return not self._closed and bool(self._detectors)

    def status(self) -> DetectorStatus:
        """Return which detectors run, which failed to load and why, and inference failures so far."""
        with self._failures_lock:
            failures = dict(self._failures)
        return DetectorStatus(
            active=tuple(detector.name for detector in self._detectors),
            failed_to_load=dict(self._failed_to_load),
            inference_failures=failures,
        )

    async def assess(self, text: str) -> list[LanguageSignal]:
        """Return the signals that count for one message; raise DetectionUnavailable if nothing could read it."""
        if not self.ready:
            raise DetectionUnavailable("the language risk service has no detector or is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[LanguageSignal]] = loop.create_future()
        self._pending.append((text, future))
        if self._batch_full is None:
            self._batch_full = asyncio.Event()
        if len(self._pending) >= self._max_batch:
            self._batch_full.set()
        if self._collector is None or self._collector.done():
            self._collector = loop.create_task(self._collect(), name="cairn-detect-collector")
        return await future

    async def close(self) -> None:
        """Stop taking work, fail anything still waiting, and let the worker thread go."""
        self._closed = True
        if self._collector is not None and not self._collector.done():
            self._collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._collector
        for _, future in self._pending:
            if not future.done():
                future.set_exception(DetectionUnavailable("the language risk service closed"))
        self._pending.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _collect(self) -> None:
        """Gather waiting calls into batches and hand each batch to the worker thread, one at a time."""
        loop = asyncio.get_running_loop()
        while self._pending:
            if len(self._pending) < self._max_batch and self._batch_full is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._batch_full.wait(), self._max_wait_s)
            if self._batch_full is not None:
                self._batch_full.clear()
            batch = [(text, future) for text, future in self._pending[: self._max_batch] if not future.done()]
            del self._pending[: self._max_batch]
            if not batch:
                continue
            texts = [text for text, _ in batch]
            try:
                results = await loop.run_in_executor(self._executor, self._run_batch, texts)
            except Exception as error:
                unavailable = DetectionUnavailable(type(error).__name__)
                failure = error if isinstance(error, DetectionUnavailable) else unavailable
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failure)
                continue
            for (_, future), signals in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(signals)

    def _run_batch(self, texts: list[str]) -> list[list[LanguageSignal]]:
        """Run every detector on a batch (worker thread); a detector that raises is skipped for this batch."""
        gathered: list[list[LanguageSignal]] = [[] for _ in texts]
        answered = 0
        for detector in self._detectors:
            try:
                results = detector.detect_batch(texts)
                if len(results) != len(texts):
                    raise ValueError("detector returned the wrong number of results")
            except Exception as error:
                with self._failures_lock:
                    self._failures[detector.name] += 1
                logger.error(
                    "detector_failed detector=%s error=%s batch_size=%d",
                    detector.name,
                    type(error).__name__,
                    len(texts),
                )
                continue
            answered += 1
            for slot, signals in zip(gathered, results, strict=True):
                slot.extend(signals)
        if not answered:
            raise DetectionUnavailable("every detector failed on this batch")
        return [combine(signals, self._rule) for signals in gathered]
