"""Prompts land at the member's local time, across the clock changes, and never pile up."""

from datetime import UTC, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from flows.schedule import CheckInPlan, Frequency, next_due

LONDON_DAILY_0130 = CheckInPlan(time_of_day=time(1, 30))


def test_daily_at_ten_in_winter_and_summer_is_ten_o_clock_in_london() -> None:
    plan = CheckInPlan(time_of_day=time(10, 0))
    assert next_due(plan, datetime(2026, 1, 15, 12, tzinfo=UTC)) == datetime(2026, 1, 16, 10, tzinfo=UTC)
    assert next_due(plan, datetime(2026, 7, 15, 12, tzinfo=UTC)) == datetime(2026, 7, 16, 9, tzinfo=UTC)


def test_across_the_last_sunday_of_march_the_local_time_is_kept() -> None:
    plan = CheckInPlan(time_of_day=time(10, 0))
    saturday = next_due(plan, datetime(2026, 3, 27, 12, tzinfo=UTC))
    sunday = next_due(plan, saturday)
    assert saturday == datetime(2026, 3, 28, 10, tzinfo=UTC)  # GMT
    assert sunday == datetime(2026, 3, 29, 9, tzinfo=UTC)  # 10:00 BST


def test_a_time_in_the_spring_gap_moves_later_and_a_time_in_the_autumn_overlap_comes_once() -> None:
    gap_day = next_due(LONDON_DAILY_0130, datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert gap_day == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST: 01:30 does not exist
    overlap = next_due(LONDON_DAILY_0130, datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert overlap == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30 (BST)
    after_overlap = next_due(LONDON_DAILY_0130, overlap)
    assert after_overlap == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # not again at the second 01:30


def test_across_the_last_sunday_of_october_the_local_time_is_kept() -> None:
    plan = CheckInPlan(time_of_day=time(18, 0))
    saturday = next_due(plan, datetime(2026, 10, 24, 8, tzinfo=UTC))
    assert saturday == datetime(2026, 10, 24, 17, tzinfo=UTC)  # 18:00 BST
    assert next_due(plan, saturday) == datetime(2026, 10, 25, 18, tzinfo=UTC)  # 18:00 GMT


def test_a_member_in_another_timezone_gets_their_own_local_time() -> None:
    plan = CheckInPlan(time_of_day=time(9, 0), timezone="America/New_York")
    due = next_due(plan, datetime(2026, 3, 7, 20, tzinfo=UTC))
    assert due == datetime(2026, 3, 8, 13, tzinfo=UTC)  # US clocks change on 8 March: 09:00 EDT
    assert next_due(plan, datetime(2026, 3, 6, 20, tzinfo=UTC)) == datetime(2026, 3, 7, 14, tzinfo=UTC)


def test_after_three_hours_down_only_the_next_slot_counts() -> None:
    plan = CheckInPlan(frequency=Frequency.DAILY, time_of_day=time(10, 0))
    assert next_due(plan, datetime(2026, 1, 15, 13, tzinfo=UTC)) == datetime(2026, 1, 16, 10, tzinfo=UTC)


def test_chosen_weekdays_weekly_and_on_request() -> None:
    weekdays = CheckInPlan(frequency=Frequency.WEEKDAYS, weekdays=frozenset({0, 2}))  # Mon, Wed
    thursday = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert next_due(weekdays, thursday).weekday() == 0
    weekly = CheckInPlan(frequency=Frequency.WEEKLY, weekdays=frozenset({4}))
    assert next_due(weekly, thursday) == datetime(2026, 1, 16, 10, tzinfo=UTC)
    assert next_due(CheckInPlan(frequency=Frequency.ON_REQUEST), thursday) is None


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
    st.times(),
)
def test_next_due_is_always_later_and_within_a_day_and_a_bit_for_daily(after, zone, at) -> None:
    due = next_due(CheckInPlan(time_of_day=at.replace(tzinfo=None), timezone=zone), after)
    assert due is not None and after < due <= after + (due - after)
    assert (due - after).total_seconds() <= 26 * 3600
