"""Sessions come from each schedule's recurrence in the activity's time zone, across the clock changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.activities.model import Activity, Schedule, ServiceStatus
from flows.activities.occurrences import (
    has_future_sessions,
    is_expired,
    next_occurrence,
    occurrences,
    runs_on,
)

LONDON = ZoneInfo("Europe/London")


def activity(*schedules: Schedule, **fields: object) -> Activity:
    return Activity(id="walk-1", organisation_id=1, name="Walk", schedules=schedules, **fields)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local_days(found: list) -> list[date]:
    return [session.starts_at.date() for session in found]


def test_a_weekly_sunday_session_keeps_its_local_time_across_the_spring_and_autumn_changes() -> None:
    walk = activity(Schedule("s", freq="WEEKLY", byday=("SU",), opens_at=time(10), closes_at=time(11, 30)))
    spring = occurrences(walk, utc(2026, 3, 21), utc(2026, 4, 1))
    assert [s.starts_at.astimezone(UTC) for s in spring] == [utc(2026, 3, 22, 10), utc(2026, 3, 29, 9)]
    assert all(s.starts_at.hour == 10 and s.starts_at.tzinfo == LONDON for s in spring)
    assert spring[1].ends_at == datetime(2026, 3, 29, 11, 30, tzinfo=LONDON)
    autumn = occurrences(walk, utc(2026, 10, 24), utc(2026, 11, 2))
    assert [s.starts_at.astimezone(UTC) for s in autumn] == [utc(2026, 10, 25, 10), utc(2026, 11, 1, 10)]


def test_a_start_in_the_spring_gap_moves_with_the_clocks_and_one_in_the_autumn_overlap_comes_once() -> None:
    night = activity(Schedule("s", freq="DAILY", opens_at=time(1, 30)))
    spring = occurrences(night, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    assert [s.starts_at.astimezone(UTC) for s in spring] == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    assert spring[0].starts_at.hour == 2  # 02:30 BST: 01:30 did not exist that night
    autumn = occurrences(night, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert [s.starts_at.astimezone(UTC) for s in autumn] == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_every_other_tuesday_counts_weeks_from_dtstart() -> None:
    fortnightly = activity(
        Schedule("s", freq="WEEKLY", interval=2, byday=("TU",), dtstart=date(2026, 1, 6), opens_at=time(14))
    )
    found = occurrences(fortnightly, utc(2026, 1, 1), utc(2026, 2, 11))
    assert local_days(found) == [date(2026, 1, 6), date(2026, 1, 20), date(2026, 2, 3)]
    started_on_thursday = activity(
        Schedule("s", freq="WEEKLY", interval=2, byday=("TU",), dtstart=date(2026, 1, 8), opens_at=time(14))
    )
    assert local_days(occurrences(started_on_thursday, utc(2026, 1, 1), utc(2026, 2, 11))) == [
        date(2026, 1, 20),
        date(2026, 2, 3),
    ]


def test_last_friday_and_first_monday_of_the_month() -> None:
    club = activity(Schedule("s", freq="MONTHLY", byday=("-1FR", "1MO"), opens_at=time(12)))
    found = occurrences(club, utc(2026, 1, 1), utc(2026, 4, 1))
    assert local_days(found) == [
        date(2026, 1, 5),
        date(2026, 1, 30),
        date(2026, 2, 2),
        date(2026, 2, 27),
        date(2026, 3, 2),
        date(2026, 3, 27),
    ]


def test_negative_month_day_is_counted_from_the_end_and_interval_skips_months() -> None:
    last_day = activity(Schedule("s", freq="MONTHLY", bymonthday=(-1,), opens_at=time(9)))
    assert local_days(occurrences(last_day, utc(2026, 1, 1), utc(2026, 4, 1))) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    quarterly = activity(
        Schedule("s", freq="MONTHLY", interval=3, bymonthday=(15,), dtstart=date(2026, 1, 15), opens_at=time(9))
    )
    assert local_days(occurrences(quarterly, utc(2026, 1, 1), utc(2027, 1, 1))) == [
        date(2026, 1, 15),
        date(2026, 4, 15),
        date(2026, 7, 15),
        date(2026, 10, 15),
    ]


def test_valid_from_and_valid_to_are_inclusive_local_dates() -> None:
    term = activity(
        Schedule(
            "s",
            freq="WEEKLY",
            byday=("WE",),
            valid_from=date(2026, 1, 7),
            valid_to=date(2026, 1, 21),
            opens_at=time(23, 30),
        )
    )
    found = occurrences(term, utc(2026, 1, 1), utc(2026, 3, 1))
    assert local_days(found) == [date(2026, 1, 7), date(2026, 1, 14), date(2026, 1, 21)]
    summer = activity(Schedule("s", freq="WEEKLY", byday=("WE",), valid_to=date(2026, 7, 1), opens_at=time(23, 30)))
    last = occurrences(summer, utc(2026, 6, 24), utc(2026, 7, 10))
    assert local_days(last) == [date(2026, 6, 24), date(2026, 7, 1)]  # 23:30 BST is 22:30 UTC, still the 1st
    assert is_expired(summer.schedules[0], date(2026, 7, 2)) and not is_expired(summer.schedules[0], date(2026, 7, 1))


def test_a_cancelled_session_is_skipped_and_the_next_one_comes_instead() -> None:
    walk = activity(
        Schedule("s", freq="WEEKLY", byday=("SA",), opens_at=time(10)), cancelled_dates=frozenset({date(2026, 5, 2)})
    )
    assert local_days(occurrences(walk, utc(2026, 4, 30), utc(2026, 5, 14))) == [date(2026, 5, 9)]
    following = next_occurrence(walk, utc(2026, 4, 30))
    assert following is not None and following.starts_at == datetime(2026, 5, 9, 10, tzinfo=LONDON)


def test_only_active_services_have_sessions() -> None:
    schedule = Schedule("s", freq="DAILY", opens_at=time(10))
    for status in (ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT, ServiceStatus.TEMPORARILY_CLOSED):
        assert occurrences(activity(schedule, status=status), utc(2026, 1, 1), utc(2026, 2, 1)) == []
        assert not has_future_sessions(activity(schedule, status=status), utc(2026, 1, 1))
    assert has_future_sessions(activity(schedule), utc(2026, 1, 1))


def test_an_expired_schedule_has_no_future_sessions_but_is_kept() -> None:
    old = activity(
        Schedule(
            "48102e86",
            freq="WEEKLY",
            byday=("TH", "FR"),
            bymonthday=(2, 3, 4),
            dtstart=date(2005, 1, 1),
            valid_from=date(2005, 1, 1),
            valid_to=date(2005, 1, 1),
            opens_at=time(10),
        )
    )
    assert is_expired(old.schedules[0], date(2026, 1, 1))
    assert not has_future_sessions(old, utc(2026, 1, 1))
    assert occurrences(old, utc(2004, 12, 1), utc(2005, 2, 1)) == []  # 1 January 2005 was a Saturday


def test_weekly_ignores_bymonthday_and_monthly_needs_both_to_match() -> None:
    weekly = Schedule("s", freq="WEEKLY", byday=("TH", "FR"), bymonthday=(2, 3, 4), opens_at=time(10))
    assert runs_on(weekly, date(2026, 1, 15)) and runs_on(weekly, date(2026, 1, 16))  # Thursday 15, Friday 16
    monthly = Schedule("s", freq="MONTHLY", byday=("FR",), bymonthday=(13,), opens_at=time(10))
    found = occurrences(activity(monthly), utc(2026, 1, 1), utc(2027, 1, 1))
    assert local_days(found) == [date(2026, 2, 13), date(2026, 3, 13), date(2026, 11, 13)]


def test_a_one_off_event_and_an_all_day_session_and_one_that_closes_after_midnight() -> None:
    party = activity(
        Schedule("s", dtstart=date(2026, 12, 31), opens_at=time(20), closes_at=time(1)),
        Schedule("t", dtstart=date(2026, 12, 24)),
    )
    found = occurrences(party, utc(2026, 12, 1), utc(2027, 1, 31))
    assert [s.starts_at for s in found] == [
        datetime(2026, 12, 24, tzinfo=LONDON),
        datetime(2026, 12, 31, 20, tzinfo=LONDON),
    ]
    assert found[0].all_day and found[0].ends_at is None
    assert found[1].ends_at == datetime(2027, 1, 1, 1, tzinfo=LONDON) and not found[1].all_day
    assert not has_future_sessions(party, utc(2027, 1, 2))


def test_the_activity_time_zone_is_used_and_an_unknown_one_falls_back_to_london() -> None:
    schedule = Schedule("s", freq="WEEKLY", byday=("MO",), opens_at=time(9))
    dublin = occurrences(activity(schedule, timezone="America/New_York"), utc(2026, 1, 5), utc(2026, 1, 6))
    assert [s.starts_at.astimezone(UTC) for s in dublin] == [utc(2026, 1, 5, 14)]
    unknown = occurrences(activity(schedule, timezone="Nowhere/Else"), utc(2026, 1, 5), utc(2026, 1, 6))
    assert [s.starts_at.astimezone(UTC) for s in unknown] == [utc(2026, 1, 5, 9)]


def test_two_schedules_at_the_same_time_give_one_session_and_results_are_ordered_and_limited() -> None:
    twice = activity(
        Schedule("a", freq="WEEKLY", byday=("MO", "WE"), opens_at=time(10)),
        Schedule("b", freq="WEEKLY", byday=("MO",), opens_at=time(10)),
    )
    found = occurrences(twice, utc(2026, 1, 5), utc(2026, 1, 12))
    assert local_days(found) == [date(2026, 1, 5), date(2026, 1, 7)]
    assert len(occurrences(twice, utc(2026, 1, 5), utc(2026, 3, 1), limit=3)) == 3


DAY_NAMES = [rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def recurrences(draw: st.DrawFn) -> tuple[Schedule, rrule.rrule]:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    interval = draw(st.integers(1, 4))
    dtstart = draw(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
    days = draw(st.lists(st.integers(0, 6), max_size=3, unique=True))
    ordinals = draw(st.lists(st.sampled_from([1, 2, 3, -1, -2]), min_size=len(days), max_size=len(days)))
    if draw(st.booleans()):  # dateutil returns nothing when plain and numbered days are mixed
        ordinals = [None] * len(days)
    monthdays = draw(st.lists(st.sampled_from([1, 2, 15, 28, 29, 30, 31, -1, -3]), max_size=2, unique=True))
    if freq != "MONTHLY":
        ordinals = [None] * len(days)
        monthdays = []
    if freq == "DAILY":
        days, ordinals = [], []
    byday = tuple(f"{n or ''}{CODES[d]}" for d, n in zip(days, ordinals, strict=True))
    weekdays = [DAY_NAMES[d](n) if n else DAY_NAMES[d] for d, n in zip(days, ordinals, strict=True)]
    schedule = Schedule(
        "s", freq=freq, interval=interval, byday=byday, bymonthday=tuple(monthdays), dtstart=dtstart, opens_at=time(10)
    )
    kind = {"DAILY": rrule.DAILY, "WEEKLY": rrule.WEEKLY, "MONTHLY": rrule.MONTHLY}[freq]
    oracle = rrule.rrule(
        kind,
        dtstart=datetime.combine(dtstart, time(10)),
        interval=interval,
        byweekday=weekdays or None,
        bymonthday=monthdays or None,
        wkst=rrule.MO,
        until=datetime(2027, 6, 30),
    )
    return schedule, oracle


@settings(max_examples=150, deadline=None)
@given(recurrences())
def test_sessions_match_an_independent_rrule_implementation(case: tuple[Schedule, rrule.rrule]) -> None:
    schedule, oracle = case
    start, end = datetime(2026, 1, 1, tzinfo=LONDON), datetime(2027, 1, 1, tzinfo=LONDON)
    expected = [day.date() for day in oracle if date(2026, 1, 1) <= day.date() < date(2027, 1, 1)]
    found = occurrences(activity(schedule), start, end)
    assert local_days(found) == expected
    assert all(s.starts_at.hour == 10 and s.starts_at.tzinfo == LONDON for s in found)
    assert all(runs_on(schedule, day) for day in expected)
    first = next_occurrence(activity(schedule), start)
    assert (first.starts_at.date() if first else None) == (expected[0] if expected else None) or not expected
    assert all(earlier.starts_at < later.starts_at for earlier, later in itertools.pairwise(found))
    assert timedelta(0) <= found[0].starts_at - start if found else True
