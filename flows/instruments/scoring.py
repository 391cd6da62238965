"""Score a member's answers to an instrument and place each measure in its band."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from flows.instruments.model import Band, Instrument

ONS4_ID = "ons4"


@dataclass(frozen=True)
class Score:
    """What a set of answers adds up to; totals are None until every item is answered."""

    instrument_id: str
    raw: int | None
    value: float | None
    measures: Mapping[str, float]
    band: Band | None
    measure_bands: Mapping[str, Band]
    complete: bool

    @property
    def concern_bands(self) -> tuple[Band, ...]:
        """Return every band reached that should raise concern."""
        return tuple(band for band in self.measure_bands.values() if band.concern)

    @property
    def concern(self) -> bool:
        """Tell whether any measure landed in a band of concern."""
        return bool(self.concern_bands)


def score(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    """Score answers keyed by item id; raise ValueError for an unknown item or an answer not offered."""
    check_answers(instrument, answers)
    complete = all(item.id in answers for item in instrument.items)
    if instrument.is_per_item:
        measures = {
            item.measure_name: float(item.scored(answers[item.id])) for item in instrument.items if item.id in answers
        }
        return Score(
            instrument_id=instrument.id,
            raw=None,
            value=None,
            measures=MappingProxyType(measures),
            band=None,
            measure_bands=_bands_of(instrument, measures),
            complete=complete,
        )
    if not complete:
        return Score(instrument.id, None, None, MappingProxyType({}), None, MappingProxyType({}), complete=False)
    raw = sum(item.scored(answers[item.id]) for item in instrument.items)
    value = instrument.scoring.convert(raw)
    measure_bands = _bands_of(instrument, {instrument.id: value})
    return Score(
        instrument_id=instrument.id,
        raw=raw,
        value=value,
        measures=MappingProxyType({instrument.id: value}),
        band=measure_bands.get(instrument.id),
        measure_bands=measure_bands,
        complete=True,
    )


def check_answers(instrument: Instrument, answers: Mapping[str, int]) -> None:
    """Raise ValueError if an answer names an unknown item or is not one of that item's options."""
    known = {item.id: item for item in instrument.items}
    for item_id, answer in answers.items():
        item = known.get(item_id)
        if item is None:
            raise ValueError(f"{instrument.id}: unknown item '{item_id}'")
        if isinstance(answer, bool) or not isinstance(answer, int) or answer not in item.values:
            raise ValueError(
                f"{instrument.id}: answer {answer!r} to item '{item_id}' must be a whole number "
                f"from {item.lowest} to {item.highest}"
            )


def ons4_high_anxiety_low_happiness(result: Score) -> bool:
    """Tell whether ONS4 anxiety is in its high band while happiness is in its low band."""
    if result.instrument_id != ONS4_ID:
        raise ValueError(f"expected an ONS4 score, not '{result.instrument_id}'")
    anxiety = result.measure_bands.get("anxiety")
    happiness = result.measure_bands.get("happiness")
    return anxiety is not None and anxiety.worst and happiness is not None and happiness.worst


def _bands_of(instrument: Instrument, measures: Mapping[str, float]) -> Mapping[str, Band]:
    found = {name: instrument.band_for(name, value) for name, value in measures.items()}
    return MappingProxyType({name: band for name, band in found.items() if band is not None})
