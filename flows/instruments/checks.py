"""Check that a parsed instrument can be scored safely: full tables, bands that tile every score."""

from __future__ import annotations

from itertools import pairwise

from flows.instruments.model import Band, Instrument, InstrumentFault
from flows.instruments.swemwbs import SWEMWBS_ID, swemwbs_shape_fault, swemwbs_table_fault


def check_instrument(instrument: Instrument) -> None:
    """Raise InstrumentFault naming the first way an instrument cannot be scored safely."""
    if instrument.id == SWEMWBS_ID:
        _raise_if(swemwbs_shape_fault(instrument))
    _check_measures(instrument)
    _check_table(instrument)
    _check_band_measures(instrument)
    for measure in instrument.measures:
        _check_bands(instrument, measure)
    if instrument.id == SWEMWBS_ID:
        _raise_if(swemwbs_table_fault(instrument.scoring))


def _raise_if(fault: str | None) -> None:
    if fault is not None:
        raise InstrumentFault(fault)


def _check_measures(instrument: Instrument) -> None:
    if not instrument.is_per_item:
        for item in instrument.items:
            if item.measure is not None:
                raise InstrumentFault(f"item '{item.id}' names a measure, but only 'per_item' scoring has measures")
        return
    seen: set[str] = set()
    for measure in instrument.measures:
        if measure in seen:
            raise InstrumentFault(f"duplicate measure '{measure}'")
        seen.add(measure)


def _check_table(instrument: Instrument) -> None:
    table = instrument.scoring.table
    if table is None:
        return
    low, high = instrument.raw_range
    totals = range(low, high + 1)
    missing = [raw for raw in totals if raw not in table]
    if missing:
        raise InstrumentFault(f"table must cover every raw total {low}..{high} (missing {_listed(missing)})")
    extra = sorted(raw for raw in table if raw not in totals)
    if extra:
        raise InstrumentFault(f"table has raw totals outside {low}..{high} ({_listed(extra)})")
    for raw in range(low + 1, high + 1):
        if table[raw] < table[raw - 1]:
            raise InstrumentFault(f"table values must not go down as the raw total goes up (raw {raw})")


def _check_band_measures(instrument: Instrument) -> None:
    measures = instrument.measures
    for band in instrument.bands:
        if not instrument.is_per_item and band.measure is not None:
            raise InstrumentFault(f"band '{band.id}' names a measure, but this instrument has one total")
        if instrument.is_per_item and band.measure not in measures:
            raise InstrumentFault(f"band '{band.id}' must name one of the measures: {', '.join(measures)}")


def _check_bands(instrument: Instrument, measure: str) -> None:
    bands = instrument.bands_for(measure)
    of = f" for '{measure}'" if instrument.is_per_item else ""
    if not bands:
        raise InstrumentFault(f"no bands{of}")
    ids = [band.id for band in bands]
    for band_id in ids:
        if ids.count(band_id) > 1:
            raise InstrumentFault(f"duplicate band id '{band_id}'{of}")
    for band in bands:
        if band.min > band.max:
            raise InstrumentFault(f"band '{band.id}' min must not be above its max")
    for lower, upper in pairwise(bands):
        if upper.min <= lower.max:
            raise InstrumentFault(f"band ranges overlap{of}: {_range(lower)} and {_range(upper)}")
    values = instrument.possible_values(measure)
    for value in values:
        if not any(band.contains(value) for band in bands):
            raise InstrumentFault(f"no band{of} covers the score {value:g}")
    for band in bands:
        if not any(band.contains(value) for value in values):
            raise InstrumentFault(f"band '{band.id}'{of} holds no possible score")
    _check_worst(bands, of)


def _check_worst(bands: tuple[Band, ...], of: str) -> None:
    worst = [band for band in bands if band.worst]
    if len(worst) != 1:
        raise InstrumentFault(f"exactly one band{of} must be marked worst")
    if worst[0] not in (bands[0], bands[-1]):
        raise InstrumentFault(f"the worst band{of} must be the lowest or the highest")
    if not worst[0].concern:
        raise InstrumentFault(f"the worst band '{worst[0].id}'{of} must also be a concern")


def _range(band: Band) -> str:
    return f"'{band.id}' ({band.min:g}..{band.max:g})"


def _listed(totals: list[int]) -> str:
    shown = ", ".join(str(total) for total in totals[:5])
    return shown + (", …" if len(totals) > 5 else "")
