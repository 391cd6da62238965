"""Language detection throughput: the word list, the language model batched and one at a time, and all together."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot.detect.combined import build_detectors

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "risk_eval.jsonl"


def messages() -> list[str]:
    """The evaluation messages, used here only as realistic text."""
    return [json.loads(line)["text"] for line in EVAL.read_text().splitlines() if line.strip()]


def run_detection(runs: int = 1) -> dict[str, list[float]]:
    """Return messages per second for each way of reading, one figure per run (the readers are built once).

    The language model is the trained detector (fine-tuned MiniLM and head), or the semantic detector when the
    trained one cannot load; "all detectors" is what the bot runs on every message.
    """
    texts = messages()
    detectors, _status = build_detectors()
    by_name = {detector.name: detector for detector in detectors}
    figures: dict[str, list[float]] = {}
    lexicon = by_name["lexicon"]
    model = by_name.get("trained") or by_name.get("semantic")
    if model is not None:
        model.detect_batch(texts[:8])  # warm up
    for _ in range(runs):
        began = time.perf_counter()
        for _ in range(5):
            lexicon.detect_batch(texts)
        figures.setdefault("lexicon", []).append(5 * len(texts) / (time.perf_counter() - began))
        if model is None:
            continue
        began = time.perf_counter()
        for start in range(0, len(texts), 32):
            model.detect_batch(texts[start : start + 32])
        figures.setdefault(f"{model.name} model, batches of 32", []).append(len(texts) / (time.perf_counter() - began))
        sample = texts[:120]
        began = time.perf_counter()
        for text in sample:
            model.detect_batch([text])
        figures.setdefault(f"{model.name} model, one at a time", []).append(len(sample) / (time.perf_counter() - began))
        began = time.perf_counter()
        for text in sample:
            for detector in detectors:
                detector.detect_batch([text])
        figures.setdefault("all detectors, one at a time", []).append(len(sample) / (time.perf_counter() - began))
    return figures
