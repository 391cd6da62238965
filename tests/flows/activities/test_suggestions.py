"""Suggestions after a check-in: area, interests, the coming week and the moment; never beside a crisis reply."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from flows.activities.effects import CountSuggestions, MarkAreaOffered
from flows.activities.facts import GOING, NOT_FOR_ME, ActivityFacts, MemberChoices, MemberResponse
from flows.activities.suggestions import Moment, after_checkin, moment_of, suggest
from flows.assessment import CheckInSummary
from flows.instruments.scoring import score
from flows.risk import LanguageSignal, RiskTier
from flows.schedule import CheckInPlan
from flows.snapshot import ConversationPosition, Facts
from tests.flows.activities.world import DIRECTORY, NEIGHBOURHOODS, TERMS, ActivityDialogue, member_dialogue
from tests.flows.dialogue import CATALOGUE, CRISIS, INSTRUMENTS

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
BY_NAME = {activity.name: activity for activity in DIRECTORY}


def known(area: str | None = "EH6", interests: tuple[str, ...] = (), **responses: str) -> ActivityFacts:
    answers = {
        BY_NAME[name.replace("_", " ")].id: MemberResponse(BY_NAME[name.replace("_", " ")].id, answer)
        for name, answer in responses.items()
    }
    return ActivityFacts(
        choices=MemberChoices(area, frozenset(interests)),
        responses=MappingProxyType(answers),
        activities=DIRECTORY,
        terms=TERMS,
        neighbourhoods=NEIGHBOURHOODS,
    )


def names(found: tuple) -> list[str]:
    return [suggestion.activity.name for suggestion in found]


def test_only_activities_near_the_member_of_their_organisation_in_the_coming_week() -> None:
    assert names(suggest(known("EH6"), 1, Moment.ORDINARY, NOW)) == [
        "Community Lunch",
        "Leith Walking Group",
        "Quiet Crafts",
    ]
    assert names(suggest(known("EH15"), 1, Moment.ORDINARY, NOW)) == [
        "Community Lunch",
        "Portobello Choir",
        "Book Club",
    ]
    assert names(suggest(known("leith"), 1, Moment.ORDINARY, NOW)) == [
        "Community Lunch",
        "Digital Drop-in",
        "Book Club",
    ]
    assert names(suggest(known("EH6"), 2, Moment.ORDINARY, NOW)) == ["Riverside Yoga"]
    assert suggest(known(None), 1, Moment.ORDINARY, NOW) == ()


def test_the_time_window_is_the_next_seven_days_and_expired_schedules_never_come() -> None:
    early = names(suggest(known("EH6", ("food",)), 1, Moment.ORDINARY, NOW))
    assert early == ["Community Lunch"], "the fair on 12 December is not yet in the window"
    later = names(suggest(known("EH6", ("food",)), 1, Moment.ORDINARY, datetime(2026, 12, 8, 12, tzinfo=UTC)))
    assert later == ["Christmas Fair", "Community Lunch"]
    assert "Old Course" not in names(suggest(known("EH6", ("learning",)), 1, Moment.ORDINARY, NOW))


def test_ordinary_moments_follow_the_members_interests_with_a_reason() -> None:
    found = suggest(known("EH6", ("gardening", "arts-crafts")), 1, Moment.ORDINARY, NOW)
    assert names(found) == ["Quiet Crafts", "Mindful Garden"]
    assert CATALOGUE.render(found[0].reason) == "You like: Arts and crafts."
    assert CATALOGUE.render(found[1].reason) == "You like: Gardening and nature."


def test_low_mood_or_loneliness_brings_friendly_low_barrier_groups() -> None:
    found = suggest(known("EH6", ("gardening",)), 1, Moment.LOW, NOW)
    assert names(found) == ["Community Lunch", "Leith Walking Group"]
    assert {CATALOGUE.render(s.reason) for s in found} == {"A friendly group, easy to join."}
    assert all({"social", "low-barrier"} & set(s.activity.interests) for s in found)


def test_high_anxiety_brings_calm_small_groups_first() -> None:
    found = suggest(known("EH6"), 1, Moment.ANXIOUS, NOW)
    assert names(found) == ["Quiet Crafts", "Book Club", "Mindful Garden"]
    assert {CATALOGUE.render(s.reason) for s in found} == {"Small and calm."}


def test_not_for_me_and_already_going_are_left_out() -> None:
    found = suggest(known("EH6", Community_Lunch=NOT_FOR_ME, Leith_Walking_Group=GOING), 1, Moment.LOW, NOW)
    assert names(found) == []
    calm = suggest(known("EH6", Quiet_Crafts=NOT_FOR_ME), 1, Moment.ANXIOUS, NOW)
    assert names(calm) == ["Book Club", "Mindful Garden"]


def _summary(instrument_id: str | None = None, answers: dict[str, int] | None = None, mood: int | None = 4):
    instrument = INSTRUMENTS[instrument_id] if instrument_id else None
    scored = score(instrument, answers or {}) if instrument else None
    return CheckInSummary(mood=mood, instrument=instrument, score=scored)


@pytest.mark.parametrize(
    ("summary", "moment"),
    [
        (_summary(mood=1), Moment.LOW),
        (_summary(mood=2), Moment.LOW),
        (_summary(mood=3), Moment.ORDINARY),
        (_summary(mood=5), Moment.ORDINARY),
        (_summary("ucla3", {"lack_companionship": 2, "left_out": 2, "isolated": 2}), Moment.LOW),
        (_summary("ucla3", {"lack_companionship": 1, "left_out": 2, "isolated": 2}), Moment.ORDINARY),
        (_summary("gad2", {"nervous": 2, "worrying": 1}), Moment.ANXIOUS),
        (_summary("gad2", {"nervous": 1, "worrying": 1}), Moment.ORDINARY),
        (_summary("ons4", {"life_satisfaction": 7, "worthwhile": 7, "happiness": 7, "anxiety": 6}), Moment.ANXIOUS),
        (_summary("ons4", {"life_satisfaction": 7, "worthwhile": 7, "happiness": 7, "anxiety": 5}), Moment.ORDINARY),
        (_summary("gad2", {"nervous": 3, "worrying": 3}, mood=1), Moment.ANXIOUS),
    ],
)
def test_the_moment_is_read_from_the_check_in(summary: CheckInSummary, moment: Moment) -> None:
    assert moment_of(summary) is moment


def _checkin_dialogue(area: str | None = "EH6", **options: object) -> ActivityDialogue:
    d = member_dialogue(area, **options)
    d.member = replace(d.member, plan=CheckInPlan(instrument_id=None))
    return d


def test_a_low_check_in_ends_with_friendly_suggestions_after_the_warm_reply() -> None:
    d = _checkin_dialogue()
    d.say("/checkin")
    d.tap("Low")
    closing, suggestions = d.tap("Skip")
    assert closing.startswith("Thank") and "Something near you" not in closing
    assert "Something near you this week" in suggestions
    assert "Community Lunch: Tomorrow, 12:00 to 13:30. A friendly group, easy to join." in suggestions
    assert "More about Community Lunch" in d.last_buttons and "See everything on this week" in d.last_buttons
    assert d.loads[-1] == "member", "finishing a check-in loads the listings"
    assert d.loads[:-1] == [None, None], "starting a check-in and answering the mood do not"
    activity_effects = [e for e in d.outcomes[-1].effects if type(e).__module__ == "flows.activities.effects"]
    shown = sum(1 for label in d.last_buttons if label.startswith("More about"))
    organisation = d.member.organisation
    assert organisation is not None and shown >= 1
    assert activity_effects == [CountSuggestions(organisation.id, shown)], "only a count: never what, to whom or why"
    assert d.suggested == shown
    card, *_ = d.tap("More about Community Lunch")
    assert card.startswith("Community Lunch") and "I'll go" in d.last_buttons


def test_a_good_check_in_suggests_by_interest_and_a_note_finishes_it_too() -> None:
    d = _checkin_dialogue(interests=())
    d.choices = MemberChoices("EH6", frozenset({"gardening"}))
    d.say("/checkin")
    d.tap("Good")
    _closing, suggestions = d.say("Lovely walk today")
    assert "Mindful Garden" in suggestions and "You like: Gardening and nature." in suggestions
    assert "Community Lunch" not in suggestions


def test_nothing_is_suggested_when_nothing_fits_and_nothing_without_an_area_but_one_gentle_offer() -> None:
    d = _checkin_dialogue(area=None)
    d.say("/checkin")
    d.tap("Okay")
    _closing, offer = d.tap("Skip")
    assert "tell me your area" in offer and d.effects(MarkAreaOffered)
    d.now += timedelta(days=1)
    d.say("/checkin")
    d.tap("Okay")
    assert len(d.tap("Skip")) == 1, "the offer is made only once"
    without_news = _checkin_dialogue(area=None)
    without_news.member = replace(without_news.member, consent=replace(without_news.member.consent, news=False))
    without_news.say("/checkin")
    without_news.tap("Okay")
    assert len(without_news.tap("Skip")) == 1, "no offer to someone who said no to news about activities"


def test_the_offer_leads_to_the_area_question() -> None:
    d = _checkin_dialogue(area=None)
    d.say("/checkin")
    d.tap("Okay")
    d.tap("Skip")
    (question,) = d.tap("Yes, set my area")
    assert "like EH6" in question


def test_nothing_is_suggested_after_an_urgent_assessment() -> None:
    d = _checkin_dialogue()
    urgent = [[int(RiskTier.URGENT), "lexicon", "intent"]]
    d.member = replace(
        d.member,
        conversation=ConversationPosition(
            "ci", "note", {"day": "2026-11-22", "mood": 2, "instrument": None, "language": urgent}
        ),
    )
    replies = d.press("ci:note:skip")
    text = " ".join(replies)
    assert "116 123" in text and "Something near you" not in text and "Community Lunch" not in text
    facts = Facts(d.member, CATALOGUE, CRISIS, NOW, activities=known("EH6"))
    assert after_checkin(_summary(mood=1), RiskTier.URGENT, facts).replies == ()


def test_after_a_concern_ideas_wait_behind_one_quiet_button_below_the_offer_of_help() -> None:
    d = _checkin_dialogue()
    d.member = replace(d.member, recent_moods=(1, 1))  # a third very low mood in a row is a concern
    d.say("/checkin")
    d.tap("Very low")
    *before, last = d.tap("Skip")
    assert "Something near you" not in " ".join([*before, last]) and "Community Lunch" not in last
    assert "When you feel like it" in last and set(d.last_buttons) == {"See what's on"}
    listing = d.tap("See what's on")
    assert any("Community Lunch" in text for text in listing)


def test_no_suggestion_inside_a_crisis_reply_to_urgent_words_during_a_check_in() -> None:
    class Urgent(ActivityDialogue):
        def _facts(self, inbound):
            facts = super()._facts(inbound)
            words = getattr(inbound, "text", "")
            signals = (LanguageSignal(RiskTier.URGENT, "lexicon", "intent"),) if "end it" in words else ()
            return replace(facts, language=signals)

    d = Urgent()
    d.member = member_dialogue("EH6").member
    d.choices = MemberChoices("EH6")
    d.say("/checkin")
    d.tap("Very low")
    replies = d.say("I want to end it all")
    text = " ".join(replies)
    assert "116 123" in text and "Something near you" not in text and "friendly group" not in text
    assert d.member.conversation is None
