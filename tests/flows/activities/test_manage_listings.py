"""Coordinators add an activity, change one, and cancel a session in /listings; nobody else can."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from flows.activities.drafts import parse_amount, parse_date, parse_postcode, parse_times
from flows.activities.effects import CancelActivitySession, SaveActivity
from flows.activities.facts import GOING, MemberChoices, MemberResponse, activity_key
from flows.outcome import Audit
from tests.flows.activities.world import DIRECTORY, coordinator_dialogue, member_dialogue
from tests.flows.dialogue import CATALOGUE

LONDON = ZoneInfo("Europe/London")
WALK = DIRECTORY[0]


def test_members_and_volunteers_are_refused_and_the_refusal_is_audited() -> None:
    member = member_dialogue("EH6")
    (reply,) = member.say("/listings")
    assert "only for community workers and coordinators" in reply
    assert member.audits == [Audit("staff_command_refused", "command")]
    volunteer = coordinator_dialogue(role="volunteer")
    (reply,) = volunteer.say("/listings")
    assert "only coordinators can manage activities" in reply
    assert volunteer.audits[-1].action == "listings_refused"
    for forged in ("lm:menu:add", f"lm:pick:{activity_key(WALK.id)}", f"lm:cyes:{activity_key(WALK.id)}_261124"):
        replies = volunteer.press(forged)
        assert replies == ["[notice] Sorry, you can't do that."]
        assert volunteer.outcomes[-1].refused == "not_allowed"
    assert [a.action for a in volunteer.audits] == ["listings_refused"] * 4
    assert volunteer.effects(SaveActivity) == [] and volunteer.effects(CancelActivitySession) == []


def test_a_coordinator_adds_a_weekly_activity_and_members_near_it_see_it() -> None:
    d = coordinator_dialogue()
    (menu,) = d.say("/listings")
    assert "lists 9 activities" in menu
    d.tap("Add an activity")
    d.say("Coffee Morning")
    d.say("A cuppa and a chat. Everyone welcome.")
    d.tap("Every week")
    d.tap("Wednesday")
    d.tap("Friday")
    assert {"✓ Wednesday", "✓ Friday"} <= set(d.last_buttons)
    d.tap("Done")
    d.say("10:30-12")
    d.say("St Mary's Hall, 1 Kirk Street")
    d.say("eh6 7bw")
    assert "Only people in EH6" in d.last_buttons and "Only people in Leith" in d.last_buttons
    d.tap("Only people in EH6")
    d.tap("There is a cost")
    d.say("£2.50")
    d.tap("Meeting people")
    d.tap("Food and cooking")
    (preview,) = d.tap("Done")
    assert "Here is how members will see it" in preview and "Coffee Morning" in preview
    assert "Wednesday 25 November, 10:30 to 12:00" in preview and "£2.50" in preview
    assert "St Mary's Hall, 1 Kirk Street, EH6 7BW" in preview and "Shown to people in EH6" in preview
    assert "Food and cooking, Meeting people" in preview
    (saved,) = d.tap("Save")
    assert "Members near it will see Coffee Morning" in saved
    (effect,) = d.effects(SaveActivity)
    added = effect.activity
    assert added.id == "" and added.organisation_id == 1, "the edge gives it a fresh uuid"
    (schedule,) = added.schedules
    assert (schedule.freq, schedule.byday, schedule.opens_at, schedule.closes_at) == (
        "WEEKLY",
        ("WE", "FR"),
        time(10, 30),
        time(12),
    )
    assert added.areas == ("EH6",) and added.interests == ("food", "social")
    assert added.cost_options[0].amount == 2.5 and added.locations[0].postcode == "EH6 7BW"
    assert d.audits[-1] == Audit("activity_added", "activity")
    assert d.member.conversation is None

    member = member_dialogue("EH6", directory=d.directory)
    shown = member.say("/activities")
    assert any(text.startswith("Coffee Morning") for text in shown)
    elsewhere = member_dialogue("EH15", directory=d.directory)
    assert not any(text.startswith("Coffee Morning") for text in elsewhere.say("/activities"))


def test_a_one_off_activity_asks_again_for_what_it_cannot_read() -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    d.tap("Add an activity")
    assert "up to 120 letters" in d.say("x")[0]
    d.say("Winter Warmer")
    d.tap("Skip")
    d.tap("On one date")
    assert "couldn't read that date" in d.say("31/02")[0]
    assert "couldn't read that date" in d.say("1/1/2020")[0]
    d.say("27/11")
    assert "couldn't read that time" in d.say("25:00")[0]
    d.say("7pm")
    d.say("The Hub")
    assert "doesn't look like a UK postcode" in d.say("nowhere")[0]
    d.say("EH6 8RG")
    d.tap("Everyone in the organisation")
    d.tap("Free")
    (preview,) = d.tap("Done")
    assert "Friday 27 November, 19:00" in preview and "Free" in preview and "Shown to everyone" in preview
    d.tap("Save")
    added = d.effects(SaveActivity)[-1].activity
    assert added.schedules[0].dtstart == date(2026, 11, 27) and added.schedules[0].freq is None
    assert added.areas == () and added.is_free and added.description == ""


def test_a_coordinator_changes_one_field_and_everything_else_is_kept() -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    (listed,) = d.tap("Change an activity")
    assert "page 1 of 2" in listed and "More ▶" in d.last_buttons
    d.tap("Leith Walking Group")
    d.tap("Cost")
    d.tap("There is a cost")
    (preview,) = d.say("4")
    assert "£4" in preview and "Tuesday 24 November, 10:00 to 11:30" in preview
    d.tap("Save")
    changed = d.effects(SaveActivity)[-1].activity
    assert changed.id == WALK.id and changed.cost_options[0].amount == 4.0
    assert (changed.schedules, changed.areas, changed.interests, changed.locations) == (
        WALK.schedules,
        WALK.areas,
        WALK.interests,
        WALK.locations,
    )
    assert d.audits[-1] == Audit("activity_changed", "activity")
    d.say("/listings")
    d.tap("Change an activity")
    d.tap("Leith Walking Group")
    d.tap("Day and time")
    d.tap("Every week")
    d.tap("Thursday")
    d.tap("Done")
    (preview,) = d.say("9:00-10:00")
    assert "Thursday 26 November, 09:00 to 10:00" in preview
    d.tap("Save")
    moved = d.effects(SaveActivity)[-1].activity
    assert moved.schedules[0].byday == ("TH",) and moved.schedules[0].id == WALK.schedules[0].id
    assert moved.name == WALK.name


def test_a_coordinator_cancels_one_session_and_members_going_are_told() -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    d.tap("Cancel a session")
    d.tap("Leith Walking Group")
    assert {"Tuesday 24 November, 10:00 to 11:30", "Tuesday 1 December, 10:00 to 11:30"} <= set(d.last_buttons)
    (confirm,) = d.tap("Tuesday 24 November")
    assert "Anyone who said they'd go will get a message" in confirm
    (done,) = d.tap("Yes, cancel it")
    assert "is cancelled" in done
    (cancel,) = d.effects(CancelActivitySession)
    assert cancel.activity_id == WALK.id and cancel.local_date == date(2026, 11, 24)
    assert cancel.starts_at == datetime(2026, 11, 24, 10, tzinfo=LONDON)
    notice = CATALOGUE.render_reply(cancel.notice)
    assert "Leith Walking Group on Tuesday 24 November, 10:00 to 11:30 is cancelled" in notice
    assert d.audits[-1] == Audit("activity_session_cancelled", "activity")

    member = member_dialogue("EH6", directory=d.directory)
    member.responses = {WALK.id: MemberResponse(WALK.id, GOING, cancel.starts_at)}
    member.choices = MemberChoices("EH6")
    shown = member.say("/activities")
    assert not any(text.startswith("Leith Walking Group") for text in shown), "next week's walk is after the window"


@pytest.mark.parametrize(
    "data",
    [
        "lm:pick:0000000000",
        f"lm:pick:{activity_key(DIRECTORY[5].id)}",  # another organisation's
        f"lm:csess:{activity_key(WALK.id)}_261125",
        f"lm:cyes:{activity_key(WALK.id)}_991231",
        "lm:cpick:zzz",
        "lm:epage:7",
        "lm:days:mon",
        "lm:save:yes",
        "lm:field:name",
    ],
)
def test_forged_or_stale_listing_buttons_get_a_kind_reply(data: str) -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    replies = d.press(data)
    assert any("that list has changed" in text for text in replies)
    assert d.effects(SaveActivity) == [] and d.effects(CancelActivitySession) == []


def test_typed_text_on_a_button_step_asks_for_a_button() -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    d.tap("Add an activity")
    d.say("Coffee Morning")
    d.tap("Skip")
    (reply,) = d.say("every Tuesday")
    assert "tap one of the buttons" in reply


def test_a_listing_about_hard_subjects_is_not_read_as_the_coordinators_crisis() -> None:
    d = coordinator_dialogue()
    d.say("/listings")
    d.tap("Add an activity")
    (reply,) = d.say("Suicide bereavement support group")
    assert "Describe it" in reply
    assert d.member.conversation is not None and d.member.conversation.data["draft"]["name"].startswith("Suicide")


@pytest.mark.parametrize(
    ("typed", "today", "expected"),
    [
        ("25/12", date(2026, 11, 22), date(2026, 12, 25)),
        ("1/1", date(2026, 11, 22), date(2027, 1, 1)),
        ("29/2", date(2027, 3, 1), date(2028, 2, 29)),
        ("2026-11-22", date(2026, 11, 22), date(2026, 11, 22)),
        ("28/02/2028", date(2028, 2, 29), None),
        ("1/3/28", date(2028, 2, 29), date(2028, 3, 1)),
        ("29/2", date(2026, 11, 22), date(2028, 2, 29)),
        ("31/4", date(2026, 11, 22), None),
        ("1/1/2040", date(2026, 11, 22), None),
        ("tomorrow", date(2026, 11, 22), None),
    ],
)
def test_dates_are_read_from_today_on(typed: str, today: date, expected: date | None) -> None:
    assert parse_date(typed, today) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10", (time(10), None)),
        ("10:30", (time(10, 30), None)),
        ("2pm", (time(14), None)),
        ("2.30pm-4pm", (time(14, 30), time(16))),
        ("10am to 12pm", (time(10), time(12))),
        ("19:00 - 21:30", (time(19), time(21, 30))),
        ("12am", (time(0), None)),
        ("25:00", None),
        ("13pm", None),
        ("10-10", None),
        ("soon", None),
    ],
)
def test_times_are_read_plainly(typed: str, expected: tuple[time, time | None] | None) -> None:
    assert parse_times(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3", 3.0), ("£2.50", 2.5), ("£ 4.5", 4.5), ("0", None), ("-3", None), ("three", None), ("2.505", None)],
)
def test_amounts_are_read_in_pounds(typed: str, expected: float | None) -> None:
    assert parse_amount(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("eh6 8rg", "EH6 8RG"), ("EH68RG", "EH6 8RG"), ("SW1A1AA", "SW1A 1AA"), ("EH6", "EH6"), ("nowhere", None)],
)
def test_a_venue_postcode_is_kept_whole_and_tidy(typed: str, expected: str | None) -> None:
    assert parse_postcode(typed) == expected


def test_an_organisation_at_its_listing_limit_is_told_so_and_nothing_is_added() -> None:
    d = coordinator_dialogue()
    d.most_listed = 9
    (menu,) = d.say("/listings")
    assert "lists 9 activities" in menu
    (refusal,) = d.tap("Add an activity")
    assert "lists 9 activities, the most one organisation may list (9)" in refusal
    assert "Nothing new has been added" in refusal
    assert d.audits[-1] == Audit("listing_refused_full", "organisation") and d.member.conversation is None
    assert d.effects(SaveActivity) == []


def test_a_limit_reached_while_writing_refuses_the_save_but_changes_still_save() -> None:
    d = coordinator_dialogue()
    d.most_listed = 10
    d.say("/listings")
    d.tap("Add an activity")
    d.say("Coffee Morning")
    d.tap("Skip")
    d.tap("Every week")
    d.tap("Wednesday")
    d.tap("Done")
    d.say("10:30-12")
    d.say("St Mary's Hall, 1 Kirk Street")
    d.say("eh6 7bw")
    d.tap("Only people in EH6")
    d.tap("Free")
    d.tap("Meeting people")
    (preview,) = d.tap("Done")
    assert "Coffee Morning" in preview
    d.most_listed = 9  # another coordinator added one meanwhile
    (refusal,) = d.tap("Save")
    assert "the most one organisation may list (9)" in refusal and d.effects(SaveActivity) == []
    d.say("/listings")
    d.tap("Change an activity")
    d.tap("Leith Walking Group")
    d.tap("Cost")
    d.tap("There is a cost")
    d.say("4")
    d.tap("Save")
    assert len(d.effects(SaveActivity)) == 1, "changing a listing already held is never refused"
    assert d.audits[-1] == Audit("activity_changed", "activity")
