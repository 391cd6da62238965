"""The async service: batching, running off the event loop, and failing loudly but safely."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest

from bot.detect.base import DetectionUnavailable, DetectorStatus
from bot.detect.combined import build_detectors
from bot.detect.lexicon import LexiconDetector
from bot.detect.service import LanguageRiskService
from flows.risk import LanguageSignal, RiskTier, strongest
from tests.detect.fakes import BrokenDetector, FixedDetector, RecordingDetector

CANARY = "CANARY-MEMBER-TEXT"


def no_canary(caplog: pytest.LogCaptureFixture) -> bool:
    """Say whether no captured record (message or traceback) carries the canary."""
    return all(CANARY not in caplog.handler.format(record) for record in caplog.records)


async def test_concurrent_calls_share_a_batch_and_keep_their_answers() -> None:
    detector = RecordingDetector()
    service = LanguageRiskService([detector], max_wait_s=0.02)
    texts = [f"{CANARY} {'alarm' if index % 3 == 0 else 'calm'} {index}" for index in range(10)]
    results = await asyncio.gather(*(service.assess(text) for text in texts))
    await service.close()
    assert max(detector.batch_sizes) > 1
    assert sum(detector.batch_sizes) == len(texts)
    assert [strongest(signals) for signals in results] == [
        RiskTier.URGENT if index % 3 == 0 else RiskTier.NONE for index in range(10)
    ]


async def test_batches_never_exceed_the_limit() -> None:
    detector = RecordingDetector()
    service = LanguageRiskService([detector], max_batch=32)
    await asyncio.gather(*(service.assess(f"message {index}") for index in range(70)))
    await service.close()
    assert max(detector.batch_sizes) <= 32
    assert sum(detector.batch_sizes) == 70


async def test_detectors_run_off_the_event_loop() -> None:
    detector = RecordingDetector(delay_s=0.2)
    service = LanguageRiskService([detector])
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1

    await asyncio.gather(service.assess("hello"), tick())
    await service.close()
    assert ticks == 10
    assert detector.threads and all(name.startswith("cairn-detect") for name in detector.threads)
    assert threading.current_thread().name not in detector.threads


async def test_a_detector_that_raises_does_not_lose_the_message(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    broken = BrokenDetector()
    service = LanguageRiskService([broken, LexiconDetector()])
    signals = await service.assess(f"{CANARY} I want to end it all")
    await service.close()
    assert strongest(signals) == RiskTier.URGENT
    assert service.status().inference_failures == {"broken": 1}
    assert service.status().degraded
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert any("detector_failed detector=broken error=RuntimeError" in record.getMessage() for record in errors)
    assert no_canary(caplog)


async def test_every_detector_failing_is_an_error_for_the_caller() -> None:
    service = LanguageRiskService([BrokenDetector()])
    with pytest.raises(DetectionUnavailable):
        await service.assess(f"{CANARY} hello")
    await service.close()


async def test_semantic_failing_to_load_leaves_the_lexicon_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = await LanguageRiskService.start(model_dir=tmp_path / "no-such-model")
    status = service.status()
    assert status.active == ("lexicon",)
    assert status.failed_to_load == {"trained": "FileNotFoundError", "semantic": "FileNotFoundError"}
    assert service.ready and status.degraded
    signals = await service.assess(f"{CANARY} wanna kms")
    await service.close()
    assert strongest(signals) == RiskTier.URGENT
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert "trained_detector_unavailable error=FileNotFoundError" in errors
    assert "semantic_detector_unavailable error=FileNotFoundError" in errors
    assert all(record.name.startswith("cairn.detect") for record in caplog.records if record.levelno >= logging.ERROR)
    assert no_canary(caplog)


def test_a_broken_classifier_directory_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    (tmp_path / "classifier").mkdir()
    detectors, status = build_detectors(classifier_dir=tmp_path / "classifier", semantic=False)
    assert [detector.name for detector in detectors] == ["lexicon"]
    assert set(status.failed_to_load) == {"classifier"}
    assert any("classifier_detector_unavailable" in record.getMessage() for record in caplog.records)


async def test_assess_returns_combined_signals() -> None:
    near_miss = FixedDetector(LanguageSignal(RiskTier.URGENT, "semantic", "close to: an exemplar", 0.7))
    service = LanguageRiskService([LexiconDetector(), near_miss])
    assert await service.assess("this queue is killing me") == []
    assert strongest(await service.assess("fine thanks")) == RiskTier.URGENT
    await service.close()


async def test_a_closed_or_empty_service_is_not_ready() -> None:
    empty = LanguageRiskService([], DetectorStatus(active=(), failed_to_load={"lexicon": "ValueError"}))
    assert not empty.ready
    with pytest.raises(DetectionUnavailable):
        await empty.assess("hello")
    service = LanguageRiskService([RecordingDetector()])
    assert service.ready
    await service.close()
    assert not service.ready
    with pytest.raises(DetectionUnavailable):
        await service.assess("hello")
