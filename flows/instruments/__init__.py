"""Validated wellbeing instruments as data: load them, check them, score answers to them."""

from __future__ import annotations

from flows.instruments.checks import check_instrument
from flows.instruments.loader import (
    BUNDLED_DIR,
    InstrumentError,
    InstrumentLoadError,
    InstrumentSet,
    load_instrument_file,
    load_instruments,
)
from flows.instruments.model import Band, Instrument, InstrumentFault, Item, Option, Scoring, ScoringRule
from flows.instruments.scoring import ONS4_ID, Score, check_answers, ons4_high_anxiety_low_happiness, score
from flows.instruments.swemwbs import SWEMWBS_BANDS, SWEMWBS_ID, SWEMWBS_SCORING, SWEMWBS_TABLE

__all__ = [
    "BUNDLED_DIR",
    "ONS4_ID",
    "SWEMWBS_BANDS",
    "SWEMWBS_ID",
    "SWEMWBS_SCORING",
    "SWEMWBS_TABLE",
    "Band",
    "Instrument",
    "InstrumentError",
    "InstrumentFault",
    "InstrumentLoadError",
    "InstrumentSet",
    "Item",
    "Option",
    "Score",
    "Scoring",
    "ScoringRule",
    "check_answers",
    "check_instrument",
    "load_instrument_file",
    "load_instruments",
    "ons4_high_anxiety_low_happiness",
    "score",
]
