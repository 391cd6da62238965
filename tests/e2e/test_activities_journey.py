"""A member sets an area, sees what is on, says they'll go with a reminder, gets it on time, and a suggestion."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from flows.activities.model import Activity, Contact, Location, Schedule
from models.member_activity_tables import ActivityPreference, ActivityResponse
from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import RunningBot, start_bot

SUNDAY_NOON = datetime(2026, 11, 22, 12, tzinfo=UTC)
WALK_REMINDER_AT = datetime(2026, 11, 24, 8, tzinfo=UTC)  # Tuesday: the walk is at 10:00 London (GMT)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _listing(
    oruk_id: str, name: str, day: str, opens: time, areas: tuple[str, ...], interests: tuple[str, ...]
) -> Activity:
    return Activity(
        id=oruk_id,
        organisation_id=0,
        name=name,
        schedules=(Schedule(f"{oruk_id}-s", freq="WEEKLY", byday=(day,), opens_at=opens),),
        locations=(Location(f"{oruk_id}-l", name="Leith Links", postcode="EH6 7QD"),),
        contact=Contact("Morag", "0131 555 0100"),
        interests=interests,
        areas=areas,
    )


LISTINGS = (
    _listing("0b7e4c1a-1111-4111-8111-000000000001", "Leith Walking Group", "TU", time(10), ("EH6",), ("walking",)),
    _listing(
        "0b7e4c1a-1111-4111-8111-000000000002", "Community Lunch", "WE", time(12), (), ("food", "social", "low-barrier")
    ),
    _listing(
        "0b7e4c1a-1111-4111-8111-000000000003", "Portobello Choir", "MO", time(19), ("EH15",), ("music", "social")
    ),
)


@pytest.fixture(params=BACKENDS)
async def clocked(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[tuple[RunningBot, Clock]]:
    url = await migrated_database_url(request.param, tmp_path)
    clock = Clock(SUNDAY_NOON)
    running = await start_bot(url, (Fernet.generate_key().decode(),), clock=clock)
    assert running.cairn is not None
    async with running.cairn.units() as uow:
        hillside = await uow.organisations.by_slug("hillside")
        assert hillside is not None
        await uow.activities.upsert_many(hillside.id, list(LISTINGS), clock())
        await uow.commit()
    try:
        yield running, clock
    finally:
        await running.stop()
        await running.server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


async def test_area_cards_going_with_a_reminder_on_time_and_a_suggestion_after_a_check_in(clocked) -> None:
    bot, clock = clocked
    member = bot.member(8801)
    await member.onboard(store=True, share=None, news=True)

    (question,) = await member.say("/activities")
    assert "need to know your area" in question.text
    saved, interests = await member.say("EH6 8RG", expect=2)
    assert "Your area is EH6" in saved.text and interests.has_button("Walking")
    await member.tap("Walking")
    _saved, walk, lunch, footer = await member.tap("Done", expect=4)
    assert walk.text.startswith("Leith Walking Group") and "Tuesday 24 November, 10:00" in walk.text
    assert lunch.text.startswith("Community Lunch") and "Choir" not in footer.text
    assert "Showing 1 to 2 of 2 things on near EH6" in footer.text

    await member.user.press(walk.message_id, walk.button("I'll go").callback_data)
    (going,) = await member.user.wait_for_messages(1)
    assert "You're going to Leith Walking Group" in going.text and "reminder two hours before" in going.text
    (confirmed,) = await member.tap("Yes please")
    assert "two hours before it starts" in confirmed.text

    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        preference = (await uow.session.scalars(select(ActivityPreference))).one()
        assert preference.area == "EH6" and preference.interests == "walking"
        response = (await uow.session.scalars(select(ActivityResponse))).one()
        assert response.response == "going" and response.remind and response.reminder_outbox_id

    await bot.restart()  # the reminder is a row, not a timer in memory
    clock.now = WALK_REMINDER_AT - timedelta(minutes=1)
    await asyncio.sleep(1.5)
    assert member.user.unread == []
    clock.now = WALK_REMINDER_AT
    (reminder,) = await member.user.wait_for_messages(1, timeout=10)
    assert "Reminder: Leith Walking Group starts at 10:00 today" in reminder.text and "EH6 7QD" in reminder.text
    await asyncio.sleep(1.5)
    assert member.user.unread == [], "sent once"

    await member.say("/checkin")
    await member.tap("Low")
    closing, suggestion = await member.tap("Skip", expect=2)
    assert "Something near you" not in closing.text
    assert "Community Lunch: Tomorrow, 12:00. A friendly group, easy to join." in suggestion.text
    assert "Leith Walking Group" not in suggestion.text, "already going"
    (card,) = await member.tap("More about Community Lunch")
    assert card.text.startswith("Community Lunch") and card.has_button("Not for me")


async def test_a_coordinator_adds_an_activity_and_cancels_a_session_members_going_are_told(clocked) -> None:
    bot, _clock = clocked
    coordinator = await bot.staff(8802, "Cat", role="coordinator", on_duty=False)
    member = bot.member(8803)
    await member.onboard(store=False, share=None, news=False)
    await member.say("/activities")
    await member.say("EH6", expect=2)
    _saved, walk, _lunch, _footer = await member.tap("Done", expect=4)
    await member.user.press(walk.message_id, walk.button("I'll go").callback_data)
    await member.user.wait_for_messages(1)
    await member.tap("No thanks")

    (menu,) = await coordinator.say("/listings")
    assert "lists 3 activities" in menu.text
    await coordinator.tap("Add an activity")
    await coordinator.say("Coffee Morning")
    await coordinator.tap("Skip")
    await coordinator.tap("On one date")
    for typed in ("25/11", "10:30", "The Hub, 3 Kirk Street", "eh6 8rg"):
        await coordinator.say(typed)
    await coordinator.tap("Only people in EH6")
    await coordinator.tap("Free")
    (preview,) = await coordinator.tap("Done")
    assert "Wednesday 25 November, 10:30" in preview.text and "The Hub, 3 Kirk Street, EH6 8RG" in preview.text
    (saved,) = await coordinator.tap("Save")
    assert "Coffee Morning" in saved.text

    await coordinator.say("/listings")
    await coordinator.tap("Cancel a session")
    await coordinator.tap("Leith Walking Group")
    await coordinator.tap("Tuesday 24 November")
    (done,) = await coordinator.tap("Yes, cancel it")
    assert "is cancelled" in done.text
    (note,) = await member.user.wait_for_messages(1, timeout=10)
    assert "Leith Walking Group on Tuesday 24 November, 10:00 is cancelled" in note.text

    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        hillside = await uow.organisations.by_slug("hillside")
        assert hillside is not None
        coffee = next(a for a in await uow.activities.for_organisation(hillside.id) if a.name == "Coffee Morning")
        assert len(coffee.id) == 36 and coffee.areas == ("EH6",) and coffee.locations[0].postcode == "EH6 8RG"
    shown = await member.say("/activities", expect=3)
    assert [m.text.split("\n")[0] for m in shown[:2]] == ["Coffee Morning", "Community Lunch"]
