"""Shared instruments and answer builders for the instrument tests."""

from __future__ import annotations

from pathlib import Path

from flows.instruments import Instrument, load_instrument_file, load_instruments

REPO = Path(__file__).resolve().parents[3]
SWEMWBS_EXAMPLE = REPO / "deploy" / "instruments" / "swemwbs.example.json"
BUNDLED_IDS = {"ons4", "who5", "phq2", "gad2", "ucla3"}

BUNDLED = load_instruments(strict=True)
SWEMWBS = load_instrument_file(SWEMWBS_EXAMPLE)
EVERY_INSTRUMENT: tuple[Instrument, ...] = (*BUNDLED.instruments.values(), SWEMWBS)


def answers_for_raw(instrument: Instrument, raw: int) -> dict[str, int]:
    """Build a complete answer set whose raw total is `raw`."""
    answers = {item.id: item.lowest for item in instrument.items}
    left = raw - sum(answers.values())
    for item in instrument.items:
        step = min(left, item.highest - item.lowest)
        answers[item.id] += step
        left -= step
    assert left == 0, f"{instrument.id} cannot reach raw {raw}"
    return answers
