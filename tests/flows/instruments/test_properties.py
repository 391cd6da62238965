"""Properties that hold for every instrument: any valid answers score, and each measure has one band."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flows.instruments import Instrument, score
from tests.flows.instruments.support import EVERY_INSTRUMENT

instruments = st.sampled_from(EVERY_INSTRUMENT)


@st.composite
def complete_answers(draw: st.DrawFn) -> tuple[Instrument, dict[str, int]]:
    instrument = draw(instruments)
    return instrument, {item.id: draw(st.sampled_from(item.values)) for item in instrument.items}


@given(complete_answers())
def test_any_complete_answer_set_scores_and_lands_in_exactly_one_band(case: tuple[Instrument, dict[str, int]]) -> None:
    instrument, answers = case
    result = score(instrument, answers)
    assert result.complete
    assert set(result.measures) == set(instrument.measures)
    for measure, value in result.measures.items():
        holding = [band for band in instrument.bands_for(measure) if band.contains(value)]
        assert holding == [result.measure_bands[measure]]
    if not instrument.is_per_item:
        low, high = instrument.raw_range
        assert result.raw is not None
        assert low <= result.raw <= high
        assert result.band == result.measure_bands[instrument.id]


@given(complete_answers(), st.data())
def test_leaving_any_item_out_gives_no_total(case: tuple[Instrument, dict[str, int]], data: st.DataObject) -> None:
    instrument, answers = case
    left_out = data.draw(st.sets(st.sampled_from(sorted(answers)), min_size=1))
    result = score(instrument, {item_id: value for item_id, value in answers.items() if item_id not in left_out})
    assert not result.complete
    assert result.raw is None
    assert result.value is None
    assert result.band is None


@given(instruments, st.data())
def test_an_answer_outside_the_options_is_refused(instrument: Instrument, data: st.DataObject) -> None:
    item = data.draw(st.sampled_from(instrument.items))
    answer = data.draw(st.integers().filter(lambda value: value not in item.values))
    try:
        score(instrument, {item.id: answer})
    except ValueError as error:
        assert item.id in str(error)
    else:
        raise AssertionError("an answer outside the options was accepted")
