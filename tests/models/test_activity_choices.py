"""Members' activity choices, answers and reminders on SQLite and PostgreSQL, with the edge that applies them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.activity_effects import ActivityEffects, withdraw_reminders
from bot.activity_facts import ActivityFactsLoader
from bot.effects import EffectApplier
from bot.ephemeral import EphemeralConversations
from flows.activities.effects import (
    CancelActivitySession,
    RespondToActivity,
    SaveActivity,
    SetActivityReminder,
)
from flows.activities.model import Activity
from flows.inbound import ButtonPress, Command, TextMessage
from flows.outcome import Outcome, SetMemberStatus, Text, reply
from flows.snapshot import Facts, MemberSnapshot, OrganisationInfo, StaffInfo
from models.repositories import MemberRow
from models.tables import OutboxMessage
from tests.conftest import Database
from tests.flows.activities.world import DIRECTORY
from tests.flows.dialogue import CATALOGUE, CRISIS

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
WALK = DIRECTORY[0]  # Tuesdays 10:00, EH6
SESSION = datetime(2026, 11, 24, 10, tzinfo=LONDON)


async def _setup(database: Database) -> tuple[int, MemberRow, MemberRow]:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        other = await uow.organisations.add("riverside", "Riverside", NOW)
        alice = await uow.members.add(6001, 6001, organisation.id, NOW)
        bob = await uow.members.add(6002, 6002, organisation.id, NOW)
        for activity in DIRECTORY:
            owner = organisation.id if activity.organisation_id == 1 else other.id
            await uow.activities.upsert(owner, activity, NOW)
        await uow.commit()
    return organisation.id, alice, bob


def _facts(organisation_id: int, *, staff: bool = False, now: datetime = NOW) -> Facts:
    member = MemberSnapshot(registered=True, organisation=OrganisationInfo(organisation_id, "Hillside", "hillside"))
    role = StaffInfo(organisation_id, "coordinator", "Cat", True) if staff else None
    return Facts(member, CATALOGUE, CRISIS, now, staff=role)


async def _pending(database: Database, kind: str) -> list[int | None]:
    """The recipients of outbox messages of a kind still waiting to be sent."""
    async with database.units() as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage.recipient_member_id).where(
                OutboxMessage.kind == kind, OutboxMessage.status == "pending"
            )
        )
        return list(rows.all())


async def test_area_and_interests_round_trip_and_the_offer_is_remembered(database: Database) -> None:
    _, alice, bob = await _setup(database)
    async with database.units() as uow:
        assert await uow.activity_choices.preference(alice.id) is None
        await uow.activity_choices.mark_offered(bob.id, NOW)
        await uow.activity_choices.save_preference(alice.id, "EH6", ("walking", "music", "walking"), NOW)
        await uow.commit()
    async with database.units() as uow:
        found = await uow.activity_choices.preference(alice.id)
        assert found is not None and found.area == "EH6" and found.interests == ("walking", "music")
        assert not found.offered
        offered = await uow.activity_choices.preference(bob.id)
        assert offered is not None and offered.offered and offered.area is None
        await uow.activity_choices.save_preference(bob.id, "leith", (), NOW)
        await uow.commit()
    async with database.units() as uow:
        again = await uow.activity_choices.preference(bob.id)
        assert again is not None and again.area == "leith" and again.offered


async def test_one_answer_per_member_and_activity_the_latest_wins(database: Database) -> None:
    _, alice, bob = await _setup(database)
    async with database.units() as uow:
        choices = uow.activity_choices
        await choices.respond(alice.id, WALK.id, "interested", None, NOW)
        await choices.respond(alice.id, WALK.id, "going", SESSION, NOW)
        await choices.respond(bob.id, WALK.id, "going", SESSION + timedelta(days=7), NOW)
        await uow.commit()
    async with database.units() as uow:
        (answer,) = await uow.activity_choices.responses(alice.id)
        assert (answer.response, answer.occurrence_at) == ("going", SESSION)
        going = await uow.activity_choices.going_to(WALK.id, SESSION)
        assert [(g.member_id, g.chat_id) for g in going] == [(alice.id, 6001)]
        later = await uow.activity_choices.going_after(WALK.id, SESSION)
        assert [g.member_id for g in later] == [bob.id]


async def test_a_reminder_waits_for_its_time_and_is_sent_once(database: Database) -> None:
    organisation_id, alice, _ = await _setup(database)
    effects = ActivityEffects(CATALOGUE)
    message = reply(Text("activities.plain", {"text": "Reminder: walk at 10:00"}))
    send_at = SESSION - timedelta(hours=2)
    async with database.units() as uow:
        facts = _facts(organisation_id)
        await effects.apply(uow, RespondToActivity(WALK.id, "going", SESSION), alice, facts)
        await effects.apply(uow, SetActivityReminder(WALK.id, send_at, message), alice, facts)
        await effects.apply(uow, SetActivityReminder(WALK.id, send_at, message), alice, facts)  # pressed twice
        await uow.commit()
    assert len(await _pending(database, "activity_reminder")) == 1, "a second press replaces, never adds"
    async with database.units() as uow:
        assert await uow.outbox.lease(send_at - timedelta(seconds=1), 10) == []
        leased = await uow.outbox.lease(send_at, 10)
        assert [m.text for m in leased] == ["Reminder: walk at 10:00"] and leased[0].chat_id == 6001
        await uow.outbox.mark_sent(leased[0].id, 77, send_at)
        await uow.commit()
    async with database.units() as uow:
        assert await uow.outbox.lease(send_at + timedelta(hours=1), 10) == []


async def test_changing_the_answer_or_stop_withdraws_the_reminder(database: Database) -> None:
    organisation_id, alice, bob = await _setup(database)
    effects = ActivityEffects(CATALOGUE)
    message = reply(Text("activities.plain", {"text": "Reminder"}))
    send_at = SESSION - timedelta(hours=2)
    async with database.units() as uow:
        facts = _facts(organisation_id)
        for person in (alice, bob):
            await effects.apply(uow, RespondToActivity(WALK.id, "going", SESSION), person, facts)
            await effects.apply(uow, SetActivityReminder(WALK.id, send_at, message), person, facts)
        await effects.apply(uow, RespondToActivity(WALK.id, "not_for_me"), alice, facts)
        assert await withdraw_reminders(uow, bob.id) == 1
        await uow.commit()
    assert await _pending(database, "activity_reminder") == []
    async with database.units() as uow:
        assert await uow.outbox.lease(SESSION, 10) == []


async def test_cancelling_a_session_tells_those_going_and_withdraws_their_reminders(database: Database) -> None:
    organisation_id, alice, bob = await _setup(database)
    effects = ActivityEffects(CATALOGUE)
    async with database.units() as uow:
        facts = _facts(organisation_id)
        await effects.apply(uow, RespondToActivity(WALK.id, "going", SESSION), alice, facts)
        await effects.apply(
            uow,
            SetActivityReminder(WALK.id, SESSION - timedelta(hours=2), reply(Text("activities.plain", {"text": "r"}))),
            alice,
            facts,
        )
        await effects.apply(uow, RespondToActivity(WALK.id, "going", SESSION + timedelta(days=7)), bob, facts)
        notice = reply(Text("activities.plain", {"text": "Sorry, the walk is cancelled"}))
        cancel = CancelActivitySession(WALK.id, date(2026, 11, 24), SESSION, notice)
        await effects.apply(uow, cancel, bob, _facts(organisation_id, staff=False))  # not a coordinator: refused
        await uow.commit()
    assert len(await _pending(database, "activity_reminder")) == 1
    assert await _pending(database, "activity_cancelled") == []
    async with database.units() as uow:
        await effects.apply(uow, cancel, bob, _facts(organisation_id, staff=True))
        await uow.commit()
    told = await _pending(database, "activity_cancelled")
    assert told == [alice.id], "only those going to that session"
    assert await _pending(database, "activity_reminder") == []
    async with database.units() as uow:
        walk = await uow.activities.get(WALK.id)
        assert walk is not None and date(2026, 11, 24) in walk.cancelled_dates
        (answer,) = await uow.activity_choices.responses(alice.id)
        assert not answer.remind and answer.reminder_outbox_id is None


async def test_a_coordinator_saves_a_new_activity_with_fresh_ids_and_a_moved_session_is_told(
    database: Database,
) -> None:
    organisation_id, alice, _ = await _setup(database)
    effects = ActivityEffects(CATALOGUE)
    facts = _facts(organisation_id, staff=True)
    new = Activity(id="", organisation_id=0, name="Coffee Morning", schedules=WALK.schedules[:1])
    async with database.units() as uow:
        await effects.apply(uow, SaveActivity(new), alice, facts)
        await effects.apply(uow, RespondToActivity(WALK.id, "going", SESSION), alice, facts)
        await uow.commit()
    async with database.units() as uow:
        listed = [a for a in await uow.activities.for_organisation(organisation_id) if a.name == "Coffee Morning"]
        (coffee,) = listed
        assert len(coffee.id) == 36 and coffee.schedules[0].id == WALK.schedules[0].id
        moved = replace(WALK, schedules=(replace(WALK.schedules[0], byday=("TH",), opens_at=time(9)),))
        await effects.apply(uow, SaveActivity(moved), alice, facts)
        await uow.commit()
    assert await _pending(database, "activity_changed") == [alice.id]


async def test_activity_facts_load_only_when_needed_and_only_near_the_member(database: Database) -> None:
    organisation_id, alice, _ = await _setup(database)
    loader = ActivityFactsLoader(("Leith",))
    async with database.units() as uow:
        facts = _facts(organisation_id)
        assert (await loader.add(uow, facts, alice.id, TextMessage("hello"))).activities is None
        assert (await loader.add(uow, facts, alice.id, Command("help"))).activities is None
        assert (await loader.add(uow, facts, alice.id, ButtonPress("ci:mood:3"))).activities is None
        empty = await loader.add(uow, facts, alice.id, Command("activities"))
        assert empty.activities is not None and empty.activities.choices.area is None
        assert empty.activities.activities == ()
        await uow.activity_choices.save_preference(alice.id, "EH6", ("walking",), NOW)
        loaded = await loader.add(uow, facts, alice.id, ButtonPress("ac:page:1"))
        assert loaded.activities is not None
        assert [a.name for a in loaded.activities.activities] == [
            "Book Club",
            "Community Lunch",
            "Leith Walking Group",
            "Mindful Garden",
            "Quiet Crafts",
        ]
        assert loaded.activities.neighbourhoods == ("Leith",) and loaded.activities.choices.interests == {"walking"}
        managed = await loader.add(uow, _facts(organisation_id, staff=True), alice.id, Command("listings"))
        assert managed.activities is not None and managed.activities.listed == 9, "the menu needs the count only"
        assert managed.activities.activities == ()
        paged = await loader.add(uow, _facts(organisation_id, staff=True), alice.id, ButtonPress("lm:epage:1"))
        assert paged.activities is not None and paged.activities.list_total == 9
        assert len(paged.activities.activities) == 4, "the second page of five, read in SQL"


async def test_stop_withdraws_pending_activity_reminders_through_the_effect_applier(database: Database) -> None:
    organisation_id, alice, _ = await _setup(database)
    applier = EffectApplier(CATALOGUE, EphemeralConversations(), None, {}, CRISIS)
    going = Outcome(
        effects=(
            RespondToActivity(WALK.id, "going", SESSION),
            SetActivityReminder(WALK.id, SESSION - timedelta(hours=2), reply(Text("activities.plain", {"text": "r"}))),
        )
    )
    async with database.units() as uow:
        await applier.apply(uow, going, alice, _facts(organisation_id), (6001, 6001, 1, ""))
        await uow.commit()
    assert await _pending(database, "activity_reminder") == [alice.id]
    async with database.units() as uow:
        await applier.apply(
            uow, Outcome(effects=(SetMemberStatus("paused"),)), alice, _facts(organisation_id), (6001, 6001, 2, "")
        )
        await uow.commit()
    assert await _pending(database, "activity_reminder") == [alice.id], "pause is for check-in reminders only"
    async with database.units() as uow:
        await applier.apply(
            uow, Outcome(effects=(SetMemberStatus("stopped"),)), alice, _facts(organisation_id), (6001, 6001, 3, "")
        )
        await uow.commit()
    assert await _pending(database, "activity_reminder") == []
