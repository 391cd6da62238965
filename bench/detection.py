"""Language detection throughput: the word list, and the embedding model batched and one at a time."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.detect.combined import build_detectors

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "risk_eval.jsonl"


def messages() -> list[str]:
    """The evaluation messages, used here only as realistic text."""
    return [json.loads(line)["text"] for line in EVAL.read_text().splitlines() if line.strip()]


def run_detection() -> dict[str, float]:
    """Return messages per second for each way of reading."""
    texts = messages()
    detectors, _status = build_detectors()
    by_name = {detector.name: detector for detector in detectors}
    figures = {}
    lexicon = by_name["lexicon"]
    began = time.perf_counter()
    for _ in range(5):
        lexicon.detect_batch(texts)
    figures["lexicon"] = 5 * len(texts) / (time.perf_counter() - began)
    semantic = by_name.get("semantic")
    if semantic is not None:
        semantic.detect_batch(texts[:8])  # warm up
        began = time.perf_counter()
        for start in range(0, len(texts), 32):
            semantic.detect_batch(texts[start : start + 32])
        figures["embedding, batches of 32"] = len(texts) / (time.perf_counter() - began)
        sample = texts[:120]
        began = time.perf_counter()
        for text in sample:
            semantic.detect_batch([text])
        figures["embedding, one at a time"] = len(sample) / (time.perf_counter() - began)
    return figures
