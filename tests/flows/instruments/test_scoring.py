"""Scoring gives each instrument's published totals and bands."""

from __future__ import annotations

import pytest

from flows.instruments import SWEMWBS_TABLE, ons4_high_anxiety_low_happiness, score
from tests.flows.instruments.support import BUNDLED, SWEMWBS, answers_for_raw

# Written out again here, from the SWEMWBS user guide, so the test checks the code's copy.
PUBLISHED_SWEMWBS = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32, 15: 15.84, 16: 16.36,
    17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35,
    26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55,
    35: 35.00,
}  # fmt: skip

WHO5 = BUNDLED["who5"]
ONS4 = BUNDLED["ons4"]


def ons4_answers(life: int = 8, worthwhile: int = 8, happiness: int = 8, anxiety: int = 2) -> dict[str, int]:
    return {"life_satisfaction": life, "worthwhile": worthwhile, "happiness": happiness, "anxiety": anxiety}


@pytest.mark.parametrize("raw", range(7, 36))
def test_every_swemwbs_raw_total_gives_the_published_metric_score(raw: int) -> None:
    result = score(SWEMWBS, answers_for_raw(SWEMWBS, raw))
    assert result.complete
    assert result.raw == raw
    assert result.value == PUBLISHED_SWEMWBS[raw]


def test_the_built_in_swemwbs_table_is_the_published_one() -> None:
    assert dict(SWEMWBS_TABLE) == PUBLISHED_SWEMWBS


@pytest.mark.parametrize(
    ("raw", "band"),
    [(7, "probable_depression"), (19, "probable_depression"), (20, "possible_depression"),
     (22, "possible_depression"), (23, "average"), (30, "average"), (31, "high"), (35, "high")],
)  # fmt: skip
def test_swemwbs_metric_scores_fall_in_the_common_bands(raw: int, band: str) -> None:
    result = score(SWEMWBS, answers_for_raw(SWEMWBS, raw))
    assert result.band is not None
    assert result.band.id == band
    assert result.concern == (band == "probable_depression")


@pytest.mark.parametrize("raw", range(26))
def test_who5_value_is_the_raw_total_times_four(raw: int) -> None:
    result = score(WHO5, answers_for_raw(WHO5, raw))
    assert result.raw == raw
    assert result.value == raw * 4
    assert result.measures == {"who5": raw * 4}


@pytest.mark.parametrize(
    ("raw", "band", "concern"),
    [(0, "possible_depression", True), (7, "possible_depression", True), (8, "poor_wellbeing", True),
     (12, "poor_wellbeing", True), (13, "good_wellbeing", False), (25, "good_wellbeing", False)],
)  # fmt: skip
def test_who5_below_13_is_poor_wellbeing_and_7_or_less_possible_depression(raw: int, band: str, concern: bool) -> None:
    result = score(WHO5, answers_for_raw(WHO5, raw))
    assert result.band is not None
    assert result.band.id == band
    assert result.concern is concern


def test_who5_worst_band_is_possible_depression_and_higher_is_better() -> None:
    worst = WHO5.worst_band("who5")
    assert worst is not None
    assert worst.id == "possible_depression"
    assert WHO5.higher_is_better("who5")


@pytest.mark.parametrize("instrument_id", ["phq2", "gad2"])
@pytest.mark.parametrize(("total", "band"), [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")])
def test_phq2_and_gad2_screen_positive_at_3_or_more(instrument_id: str, total: int, band: str) -> None:
    instrument = BUNDLED[instrument_id]
    result = score(instrument, answers_for_raw(instrument, total))
    assert result.raw == total
    assert result.band is not None
    assert result.band.id == band
    assert result.concern == (band == "positive")
    assert not instrument.higher_is_better(instrument_id)


@pytest.mark.parametrize(("total", "band"), [(3, "not_lonely"), (5, "not_lonely"), (6, "lonely"), (9, "lonely")])
def test_ucla3_scores_6_or_more_as_lonely(total: int, band: str) -> None:
    instrument = BUNDLED["ucla3"]
    result = score(instrument, answers_for_raw(instrument, total))
    assert result.band is not None
    assert result.band.id == band
    assert result.concern == (band == "lonely")


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "low"), (4, "low"), (5, "medium"), (6, "medium"), (7, "high"), (8, "high"), (9, "very_high"),
     (10, "very_high")],
)  # fmt: skip
@pytest.mark.parametrize("measure", ["life_satisfaction", "worthwhile", "happiness"])
def test_ons4_positive_measures_use_the_ons_thresholds(measure: str, value: int, band: str) -> None:
    answers = ons4_answers() | {measure: value}
    result = score(ONS4, answers)
    assert result.measures[measure] == value
    assert result.measure_bands[measure].id == band
    assert result.measure_bands[measure].concern == (band == "low")


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "very_low"), (1, "very_low"), (2, "low"), (3, "low"), (4, "medium"), (5, "medium"), (6, "high"),
     (10, "high")],
)  # fmt: skip
def test_ons4_anxiety_thresholds_treat_high_anxiety_as_worse(value: int, band: str) -> None:
    result = score(ONS4, ons4_answers(anxiety=value))
    assert result.measure_bands["anxiety"].id == band
    assert result.measure_bands["anxiety"].concern == (band == "high")
    assert result.concern == (band == "high")


def test_ons4_has_no_total_and_knows_which_way_is_better() -> None:
    result = score(ONS4, ons4_answers())
    assert result.complete
    assert result.raw is None
    assert result.value is None
    assert result.band is None
    assert set(result.measures) == {"life_satisfaction", "worthwhile", "happiness", "anxiety"}
    assert not ONS4.higher_is_better("anxiety")
    assert ONS4.higher_is_better("happiness")


@pytest.mark.parametrize(
    ("happiness", "anxiety", "expected"),
    [(4, 6, True), (0, 10, True), (5, 6, False), (4, 5, False), (8, 2, False)],
)
def test_high_anxiety_with_low_happiness_is_spotted(happiness: int, anxiety: int, expected: bool) -> None:
    result = score(ONS4, ons4_answers(happiness=happiness, anxiety=anxiety))
    assert ons4_high_anxiety_low_happiness(result) is expected


def test_high_anxiety_rule_needs_both_answers_and_an_ons4_score() -> None:
    assert not ons4_high_anxiety_low_happiness(score(ONS4, {"anxiety": 9}))
    with pytest.raises(ValueError, match="ONS4"):
        ons4_high_anxiety_low_happiness(score(WHO5, answers_for_raw(WHO5, 3)))


def test_incomplete_answers_give_no_total() -> None:
    answers = answers_for_raw(WHO5, 20)
    del answers["rested"]
    result = score(WHO5, answers)
    assert not result.complete
    assert (result.raw, result.value, result.band) == (None, None, None)
    assert result.measures == {}
    assert result.measure_bands == {}
    assert not result.concern


def test_incomplete_ons4_keeps_the_measures_that_were_answered() -> None:
    result = score(ONS4, {"happiness": 3})
    assert not result.complete
    assert result.measures == {"happiness": 3}
    assert result.measure_bands["happiness"].id == "low"


def test_no_answers_at_all_is_incomplete() -> None:
    assert not score(SWEMWBS, {}).complete


@pytest.mark.parametrize(
    ("answers", "fault"),
    [({"cheerful": 6}, r"'cheerful' must be a whole number from 0 to 5"),
     ({"cheerful": -1}, r"'cheerful'"),
     ({"cheerful": True}, r"'cheerful'"),
     ({"cheerful": "3"}, r"'cheerful'"),
     ({"happy": 3}, r"who5: unknown item 'happy'")],
)  # fmt: skip
def test_answers_out_of_range_or_for_unknown_items_are_refused(answers: dict[str, int], fault: str) -> None:
    with pytest.raises(ValueError, match=fault):
        score(WHO5, answers)


def test_ons4_answer_above_10_is_refused() -> None:
    with pytest.raises(ValueError, match="'anxiety' must be a whole number from 0 to 10"):
        score(ONS4, ons4_answers(anxiety=11))
