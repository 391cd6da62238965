"""Activity cards offered to a coordinator composing a broadcast: coming sessions only, soonest first, in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.broadcast_facts import activity_cards
from flows.activities.model import Activity, CostOption, Location, Schedule
from flows.texts import load_catalogue

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday


def _activity(id: str, name: str, schedule: Schedule, cost: float | None = None) -> Activity:
    return Activity(
        id=id,
        organisation_id=1,
        name=name,
        schedules=(schedule,),
        locations=(Location("loc", name="Leith Links", address="Links Place", postcode="EH6 7QA"),),
        cost_options=(CostOption("c", amount=cost),) if cost else (),
    )


def test_cards_are_the_coming_activities_soonest_first_with_absolute_days() -> None:
    weekly = Schedule("s1", freq="WEEKLY", byday=("TU",), opens_at=time(10, 0), closes_at=time(12, 0))
    thursday = Schedule("s2", freq="WEEKLY", byday=("TH",), opens_at=time(14, 0))
    over = Schedule("s3", dtstart=date(2026, 1, 5), opens_at=time(10, 0))
    cards = activity_cards(
        [
            _activity("art", "Art club", thursday, cost=3.0),
            _activity("walk", "Walking group", weekly),
            _activity("gone", "Old event", over),
        ],
        NOW,
        load_catalogue(),
    )
    assert [card.activity_id for card in cards] == ["walk", "art"]
    walk, art = cards
    assert walk.when == "Tuesday 24 November, 10:00 to 12:00"  # never "Today": the news is read later
    assert walk.where == "Leith Links, Links Place, EH6 7QA" and walk.cost == "Free"
    assert art.when == "Thursday 26 November, 14:00" and art.cost == "£3"
