"""Members set their area and interests, see what is on near them this week, and answer the cards."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.activities.areas import postcode_district
from flows.activities.effects import RespondToActivity, SaveActivityChoices, SetActivityReminder
from flows.activities.facts import GOING, INTERESTED, NOT_FOR_ME, activity_key
from tests.flows.activities.world import DIRECTORY, ActivityDialogue, member_dialogue
from tests.flows.dialogue import CATALOGUE

LONDON = ZoneInfo("Europe/London")
WALK, LUNCH, CRAFTS, GARDEN, CHOIR, YOGA = (a.id for a in DIRECTORY[:6])


def card_button(d: ActivityDialogue, name: str, label: str) -> str:
    """The data of a button on the card (of the newest outcome) that names an activity."""
    for shown in d.outcomes[-1].replies:
        if name in CATALOGUE.render_reply(shown):
            for row in shown.buttons:
                for button in row:
                    if label.lower() in CATALOGUE.render(button.label).lower():
                        return button.data
    raise AssertionError(f"no card for {name!r} with a button like {label!r}")


def names_shown(replies: list[str]) -> list[str]:
    return [activity.name for text in replies for activity in DIRECTORY if text.startswith(activity.name)]


def test_activities_asks_the_area_first_then_interests_then_shows_what_is_on() -> None:
    d = member_dialogue()
    (question,) = d.say("/activities")
    assert "need to know your area" in question and "like EH6" in question
    assert {"Leith", "Portobello"} <= set(d.last_buttons)
    saved, interests = d.say("EH6")
    assert "Your area is EH6" in saved and "What do you enjoy?" in interests
    assert "Walking" in d.last_buttons and "Gardening and nature" in d.last_buttons
    assert not {"Meeting people", "Just turn up", "Calm and quiet", "Small group"} & set(d.last_buttons)
    d.tap("Walking")
    d.tap("Gardening")
    assert {"✓ Walking", "✓ Gardening and nature"} <= set(d.last_buttons)
    d.tap("✓ Gardening")  # and off again
    replies = d.tap("Done")
    assert d.choices.area == "EH6" and d.choices.interests == {"walking"}
    assert "change your area or interests at any time with /interests" in replies[0]
    assert names_shown(replies) == ["Community Lunch", "Leith Walking Group", "Quiet Crafts"]
    assert d.member.conversation is None


@pytest.mark.parametrize(
    ("typed", "district"),
    [
        ("EH6", "EH6"),
        ("eh6 8rg", "EH6"),
        ("EH68RG", "EH6"),
        ("SW1A 1AA", "SW1A"),
        ("w1a0ax", "W1A"),
        ("M1 1AE", "M1"),
        ("B33 8TH", "B33"),
        ("CR2 6XH", "CR2"),
        ("DN55 1PT", "DN55"),
        ("  ec1a  1bb ", "EC1A"),
    ],
)
def test_a_district_or_a_full_postcode_becomes_the_district(typed: str, district: str) -> None:
    assert postcode_district(typed) == district


@pytest.mark.parametrize("typed", ["hello", "EH", "6EH", "EH6 8R", "IJ1", "EH6 8RGG", "EH6-8RG", "", "EH6 8RG EH7"])
def test_anything_else_is_not_an_area(typed: str) -> None:
    assert postcode_district(typed) is None


def test_a_full_postcode_typed_is_kept_only_as_its_district() -> None:
    d = member_dialogue()
    d.say("/activities")
    d.say("eh6 8rg")
    assert d.choices.area == "EH6"
    everything = repr([outcome.effects for outcome in d.outcomes]) + repr(d.member)
    assert "8RG" not in everything.upper()


def test_an_area_not_understood_is_asked_again_and_nothing_is_saved() -> None:
    d = member_dialogue()
    d.say("/activities")
    for typed in ("my house", "EH", "12345"):
        (again,) = d.say(typed)
        assert "didn't recognise that area" in again and "like EH6" in again
    assert d.effects(SaveActivityChoices) == [] and d.choices.area is None
    assert d.member.conversation is not None and d.member.conversation.step == "area"


def test_a_neighbourhood_is_picked_with_a_button_or_typed() -> None:
    d = member_dialogue()
    d.say("/activities")
    d.tap("Leith")
    assert d.choices.area == "leith"
    replies = d.tap("Done")
    assert names_shown(replies) == ["Community Lunch", "Digital Drop-in", "Book Club"]
    typed = member_dialogue()
    typed.say("/activities")
    typed.say("  portobello ")
    assert typed.choices.area == "portobello"


def test_the_week_is_paged_soonest_first_with_more_and_back() -> None:
    d = member_dialogue("EH6")
    first = d.say("/activities")
    assert names_shown(first) == ["Community Lunch", "Leith Walking Group", "Quiet Crafts"]
    assert "Showing 1 to 3 of 5 things on near EH6 in the next 7 days" in first[-1]
    assert "More ▶" in d.last_buttons and "◀ Back" not in d.last_buttons
    second = d.tap("More")
    assert names_shown(second) == ["Mindful Garden", "Book Club"]
    assert "Showing 4 to 5 of 5" in second[-1] and "More ▶" not in d.last_buttons
    assert names_shown(d.tap("Back")) == ["Community Lunch", "Leith Walking Group", "Quiet Crafts"]


def test_a_card_says_when_where_cost_access_and_contact_in_plain_words() -> None:
    d = member_dialogue("EH6")
    replies = d.say("/activities")
    lunch = next(text for text in replies if text.startswith("Community Lunch"))
    assert "Tomorrow, 12:00 to 13:30" in lunch and "£3" in lunch
    assert "Leith Community Centre, EH6 8RG" in lunch and "Morag, 0131 555 0100" in lunch
    walk = next(text for text in replies if text.startswith("Leith Walking Group"))
    assert "Tuesday 24 November, 10:00 to 11:30" in walk and "Free" in walk and "step-free access" in walk
    assert all(len(data.encode()) <= 64 for data in _all_button_data(d))


def test_i_am_interested_then_i_will_go_with_a_reminder_two_hours_before() -> None:
    d = member_dialogue("EH6")
    d.say("/activities")
    (noted,) = d.press(card_button(d, "Leith Walking Group", "I'm interested"))[:1]
    assert "interested in Leith Walking Group" in noted and "I'll go" in d.last_buttons
    assert d.responses[WALK].response == INTERESTED
    (going,) = d.tap("I'll go")[:1]
    session = datetime(2026, 11, 24, 10, tzinfo=LONDON)
    assert "You're going to Leith Walking Group: Tuesday 24 November, 10:00 to 11:30" in going
    assert "reminder two hours before" in going
    assert d.effects(RespondToActivity)[-1] == RespondToActivity(WALK, GOING, session)
    (set_,) = d.tap("Yes please")[:1]
    assert "two hours before it starts" in set_
    reminder = d.effects(SetActivityReminder)[-1]
    assert reminder.send_at == session - timedelta(hours=2)
    text = CATALOGUE.render_reply(reminder.message)
    assert "Leith Walking Group starts at 10:00 today" in text and "EH6 8RG" in text
    assert d.responses[WALK].remind


def test_no_thanks_to_the_reminder_withdraws_it_and_a_session_starting_soon_offers_none() -> None:
    d = member_dialogue("EH6")
    d.say("/activities")
    d.press(card_button(d, "Leith Walking Group", "I'll go"))
    d.tap("No thanks")
    assert d.effects(SetActivityReminder)[-1] == SetActivityReminder(WALK, None)
    soon = member_dialogue("EH6")
    soon.now = datetime(2026, 11, 23, 11, tzinfo=UTC)  # the lunch starts at 12:00, in an hour
    soon.say("/activities")
    (reply,) = soon.press(card_button(soon, "Community Lunch", "I'll go"))[:1]
    assert "starts soon, so I won't send a reminder" in reply and soon.last_buttons.get("Yes please") is None


def test_pressing_i_will_go_again_keeps_the_answer_and_its_reminder() -> None:
    d = member_dialogue("EH6")
    d.say("/activities")
    go = card_button(d, "Leith Walking Group", "I'll go")
    d.press(go)
    d.tap("Yes please")
    d.press(go)
    assert len(d.effects(RespondToActivity)) == 1, "the same session again is not a new answer"


def test_not_for_me_hides_the_activity_from_then_on() -> None:
    d = member_dialogue("EH6")
    d.say("/activities")
    (reply, *_) = d.press(card_button(d, "Community Lunch", "Not for me"))
    assert "won't show you Community Lunch again" in reply
    assert d.responses[LUNCH].response == NOT_FOR_ME
    assert "Community Lunch" not in names_shown(d.say("/activities") + d.tap("More"))
    d.now += timedelta(days=7)
    assert "Community Lunch" not in names_shown(d.say("/activities"))


@pytest.mark.parametrize(
    "data",
    [
        "ac:go:0000000000_261124",
        f"ac:go:{activity_key(WALK)}_261125",
        f"ac:go:{activity_key(YOGA)}_261123",
        f"ac:like:{activity_key(CHOIR)}",
        "ac:like:zzz",
        "ac:page:99",
        "ac:page:x",
        f"ac:rem:{activity_key(WALK)}_y",
        f"ac:rem:{activity_key(WALK)}_q",
        "ac:hood:9",
        "ac:what:ever",
        "ac:card:0123456789",
    ],
)
def test_forged_or_stale_buttons_get_a_kind_reply_and_change_nothing(data: str) -> None:
    d = member_dialogue("EH6")
    replies = d.press(data)
    assert any("that list has changed" in text for text in replies)
    assert not [e for o in d.outcomes for e in o.effects if type(e).__name__ != "EndConversation"]


def test_interests_can_be_changed_later_from_the_list_or_with_a_command() -> None:
    d = member_dialogue("EH6", ("walking",))
    d.say("/activities")
    d.tap("Change my area or interests")
    d.tap("My interests")
    assert "✓ Walking" in d.last_buttons
    d.tap("Music")
    d.tap("Done")
    assert d.choices.interests == {"walking", "music"} and d.choices.area == "EH6"
    d.say("/interests")
    d.tap("✓ Walking")
    d.tap("Done")
    assert d.choices.interests == {"music"}
    d.say("/activities")
    d.tap("Change my area or interests")
    d.tap("My area")
    d.say("EH15")
    assert d.choices.area == "EH15" and d.choices.interests == {"music"}


def test_an_interests_button_from_an_old_message_asks_again() -> None:
    d = member_dialogue("EH6")
    replies = d.press("ac:tog:walking")
    assert "[notice] That question has moved on." in replies and "What do you enjoy?" in replies[0]
    assert d.effects(SaveActivityChoices) == []


def test_only_activities_of_the_members_own_organisation_and_area_are_shown() -> None:
    d = member_dialogue("EH15")
    shown = names_shown(d.say("/activities"))
    assert shown == ["Community Lunch", "Portobello Choir", "Book Club"]
    assert "Riverside Yoga" not in shown and "Christmas Fair" not in shown and "Old Course" not in shown


def test_ordinary_updates_load_no_activity_facts() -> None:
    d = member_dialogue("EH6")
    d.say("/help")
    d.say("/plan")
    d.say("hello")
    assert d.loads == [None, None, None]
    d.say("/activities")
    d.press(f"ac:page:{0}")
    assert d.loads[-2:] == ["member", "member"]


def test_a_member_who_has_not_finished_onboarding_finishes_it_first() -> None:
    d = ActivityDialogue()
    d.say("/start")
    (reply, *_) = d.say("/activities")
    assert "finish setting up first" in reply
    assert d.effects(SaveActivityChoices) == []


def _all_button_data(d: ActivityDialogue) -> list[str]:
    return [button.data for reply in d.outcomes[-1].replies for row in reply.buttons for button in row]


def test_an_all_day_session_offers_no_reminder() -> None:
    fair = replace(
        DIRECTORY[0],
        id="all-day-1",
        name="Open Day",
        schedules=(replace(DIRECTORY[0].schedules[0], opens_at=None, closes_at=None),),
    )
    d = member_dialogue("EH6", directory=(fair,))
    (card,) = d.say("/activities")[:1]
    assert "Tuesday 24 November, all day" in card
    (going, *_) = d.press(card_button(d, "Open Day", "I'll go"))
    assert "You're going to Open Day" in going and "reminder" not in going
    assert d.responses["all-day-1"].response == GOING
    assert "ac:rem" not in repr(d.outcomes[-1].replies)
