"""SWEMWBS scoring, built in: the published raw-to-metric conversion table and the bands we use.

The item wording is licensed and never lives in this repository: a deployment supplies it in its own
instrument file (see deploy/instruments/swemwbs.example.json).
"""

from __future__ import annotations

from types import MappingProxyType

from flows.instruments.model import Band, Instrument, Scoring

SWEMWBS_ID = "swemwbs"
SWEMWBS_ITEM_COUNT = 7
SWEMWBS_OPTION_VALUES = (1, 2, 3, 4, 5)

# Raw total (7..35) -> metric score, from the SWEMWBS conversion table published by Warwick Medical School
# and NHS Health Scotland (Stewart-Brown et al. 2009, Rasch analysis of WEMWBS).
SWEMWBS_TABLE: MappingProxyType[int, float] = MappingProxyType(
    {
        7: 7.00,
        8: 9.51,
        9: 11.25,
        10: 12.40,
        11: 13.33,
        12: 14.08,
        13: 14.75,
        14: 15.32,
        15: 15.84,
        16: 16.36,
        17: 16.88,
        18: 17.43,
        19: 17.98,
        20: 18.59,
        21: 19.25,
        22: 19.98,
        23: 20.73,
        24: 21.54,
        25: 22.35,
        26: 23.21,
        27: 24.11,
        28: 25.03,
        29: 26.02,
        30: 27.03,
        31: 28.13,
        32: 29.31,
        33: 30.70,
        34: 32.55,
        35: 35.00,
    }
)

SWEMWBS_SCORING = Scoring(rule="table", table=SWEMWBS_TABLE)

# Commonly used metric-score cut points: below 18 probable depression, 18 to 20.5 possible depression,
# 20.5 to 27.5 average, above 27.5 high. Metric scores have two decimals, so the gaps hold no score.
SWEMWBS_BANDS: tuple[Band, ...] = (
    Band("probable_depression", "Probable depression", 7.0, 17.99, concern=True, worst=True),
    Band("possible_depression", "Possible depression", 18.0, 20.49),
    Band("average", "Average wellbeing", 20.5, 27.49),
    Band("high", "High wellbeing", 27.5, 35.0),
)


def swemwbs_shape_fault(instrument: Instrument) -> str | None:
    """Describe how a SWEMWBS file departs from 7 items scored 1..5, or return None."""
    if len(instrument.items) != SWEMWBS_ITEM_COUNT:
        return f"SWEMWBS needs {SWEMWBS_ITEM_COUNT} items, found {len(instrument.items)}"
    for item in instrument.items:
        if item.values != SWEMWBS_OPTION_VALUES or item.reverse:
            return f"SWEMWBS item '{item.id}' must be scored 1..5, not reversed"
    return None


def swemwbs_table_fault(scoring: Scoring) -> str | None:
    """Describe where a SWEMWBS scoring departs from the published table, or return None."""
    if scoring.rule != "table" or scoring.table is None:
        return "SWEMWBS scoring must use the published conversion table (rule 'table')"
    for raw, metric in SWEMWBS_TABLE.items():
        given = scoring.table.get(raw)
        if given is None or abs(given - metric) > 1e-9:
            return f"SWEMWBS table must match the published conversion: raw {raw} is {metric:.2f}, not {given}"
    return None
