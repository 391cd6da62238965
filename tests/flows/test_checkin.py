"""Check-ins as dialogues: mood, a few words, sometimes an instrument, a warm reply, and the hand-over."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from flows.outcome import (
    FinishCheckIn,
    KeepEphemeral,
    PostponePrompt,
    RaiseAlert,
    RecordCheckInNote,
    RecordInstrumentScore,
    SaveConversation,
    StartCheckIn,
)
from flows.risk import RiskTier
from flows.schedule import CheckInPlan
from tests.flows.test_onboarding import onboard


def effects(d, kind):
    return [effect for outcome in d.outcomes for effect in outcome.effects if isinstance(effect, kind)]


def test_a_quick_check_in_asks_mood_then_a_few_words_then_replies_warmly() -> None:
    d = onboard(True, None, False)
    d.member = d.member.__class__(**{**d.member.__dict__, "plan": CheckInPlan(instrument_id=None)})
    (question,) = d.say("/checkin")
    assert "How are you feeling today?" in question
    assert {"😄 Great", "🙂 Good", "😐 Okay", "🙁 Low", "😞 Very low"} <= set(d.last_buttons)
    assert {"🆘 Get help now", "I'd like someone to get in touch"} <= set(d.last_buttons)
    (note_question, *_) = d.tap("Good")
    assert "anything on your mind" in note_question.lower()
    (closing,) = d.say("Went to the allotment")
    assert any(word in closing for word in ("good", "Good", "Great", "Lovely"))
    assert [a.item_id for a in d.answers] == ["mood"] and d.answers[0].value == 4
    assert effects(d, RecordCheckInNote)[0].text == "Went to the allotment"
    assert effects(d, StartCheckIn) and effects(d, FinishCheckIn)[0].status == "completed"
    assert d.member.conversation is None


def test_without_store_consent_nothing_about_the_check_in_is_written() -> None:
    d = onboard(False, None, False)
    d.say("/checkin")
    d.tap("Low")
    d.say("rough week")
    written = [e for o in d.outcomes[-3:] for e in o.effects if not isinstance(e, KeepEphemeral | FinishCheckIn)]
    assert all(type(e).__name__ == "EndConversation" for e in written)
    assert not effects(d, SaveConversation)[-1:] or effects(d, SaveConversation)[-1].flow != "ci"
    assert effects(d, FinishCheckIn)[-1].status == "completed_unstored"


@pytest.mark.parametrize("instrument_id", ["ons4", "who5", "phq2", "gad2", "ucla3"])
def test_every_bundled_instrument_runs_as_part_of_a_check_in(instrument_id: str) -> None:
    d = onboard(True, None, False)
    d.member = d.member.__class__(
        **{**d.member.__dict__, "plan": CheckInPlan(instrument_id=instrument_id, instrument_every=1)}
    )
    d.say("/checkin")
    d.tap("Okay")
    replies = d.tap("Skip")
    assert "One more thing today" in replies[0]
    from tests.flows.dialogue import INSTRUMENTS

    instrument = INSTRUMENTS[instrument_id]
    for _ in instrument.items:
        data = sorted(d.last_buttons.items())
        option = next(v for k, v in data if v.startswith("ci:item:"))
        d.press(option)
    scores = effects(d, RecordInstrumentScore)
    assert scores and scores[0].instrument_id == instrument_id
    assert len([a for a in d.answers if a.instrument_id == instrument_id]) == len(instrument.items)
    assert d.member.conversation is None and d.member.checkins_since_instrument == 0


def test_the_instrument_comes_every_so_many_check_ins() -> None:
    d = onboard(True, None, False)
    d.member = d.member.__class__(
        **{**d.member.__dict__, "plan": CheckInPlan(instrument_id="who5", instrument_every=3)}
    )
    seen = []
    for _day in range(3):
        d.now += timedelta(days=1)
        d.say("/checkin")
        d.tap("Okay")
        replies = d.tap("Skip")
        seen.append(any("One more thing" in r for r in replies))
        while d.member.conversation is not None:
            d.press(next(v for v in d.last_buttons.values() if v.startswith("ci:item:")))
    assert seen == [False, False, True]


def test_a_check_in_stopped_halfway_can_be_carried_on_the_same_day_and_not_the_next() -> None:
    d = onboard(True, None, False)
    d.say("/checkin")
    d.tap("Low")
    (ask,) = d.say("/checkin")
    assert "carry on" in ask.lower()
    (note_question, *_) = d.tap("Carry on")
    assert "on your mind" in note_question
    d.now += timedelta(days=1)
    (fresh,) = d.say("/checkin")
    assert "How are you feeling" in fresh
    assert effects(d, FinishCheckIn)[-1].status == "abandoned"


def test_a_mood_button_on_an_old_prompt_starts_a_check_in() -> None:
    d = onboard(True, None, False)
    (question, *_) = d.press("ci:mood:2")
    assert "on your mind" in question
    assert effects(d, StartCheckIn)


def test_snooze_and_skip_today_move_the_prompt() -> None:
    d = onboard(True, None, False)
    assert "in an hour" in d.press("ci:prompt:snooze")[0]
    assert effects(d, PostponePrompt)[-1].until == d.now + timedelta(hours=1)
    d.press("ci:prompt:skip")
    assert effects(d, PostponePrompt)[-1].skip_today


def test_low_mood_three_check_ins_running_is_a_concern_and_offers_contact_with_consent() -> None:
    d = onboard(True, "flag_only", False)
    for _day in range(3):
        d.now += timedelta(days=1)
        d.say("/checkin")
        d.tap("Very low")
        replies = d.tap("Skip")
    assert "It sounds like things are hard" in replies[0] and "116 123" in replies[0]
    assert "I've let Hillside Community Hub know that you may need a chat" in replies[0]
    alerts = effects(d, RaiseAlert)
    assert len(alerts) == 1 and alerts[0].tier is RiskTier.CONCERN


def test_without_share_consent_a_concern_gives_resources_and_tells_nobody() -> None:
    d = onboard(True, None, False)
    d.member = d.member.__class__(
        **{**d.member.__dict__, "plan": CheckInPlan(instrument_id="phq2", instrument_every=1)}
    )
    d.say("/checkin")
    d.tap("Low")
    d.tap("Skip")
    d.press("ci:item:3")
    reply_text = " ".join(d.press("ci:item:3"))
    assert "116 123" in reply_text and "get in touch" not in reply_text
    assert effects(d, RaiseAlert) == []


def test_asking_for_contact_raises_an_alert_only_with_consent() -> None:
    with_consent = onboard(True, "flag_only", False)
    assert "I've let Hillside Community Hub know" in with_consent.press("ct:ask:yes")[0]
    assert effects(with_consent, RaiseAlert)[0].tier is RiskTier.CONCERN
    without = onboard(True, None, False)
    assert "I need your OK first" in without.press("ct:ask:yes")[0]
    assert effects(without, RaiseAlert) == []


def test_get_help_now_gives_the_crisis_resources_and_keeps_the_place() -> None:
    d = onboard(True, None, False)
    d.say("/checkin")
    position = d.member.conversation
    (crisis,) = d.press("hp:now:show")
    assert "999" in crisis and "Samaritans" in crisis
    assert d.member.conversation == position


def test_plan_changes_frequency_time_zone_and_extra_questions() -> None:
    d = onboard(True, None, False)
    assert "only when you ask" in d.say("/plan")[0]
    d.tap("How often")
    d.tap("Every day")
    assert d.member.plan.frequency == "daily"
    d.tap("What time")
    d.tap("18:00")
    assert d.member.plan.time_of_day == time(18, 0)
    d.tap("Time zone")
    d.say("America/New_York")
    assert d.member.plan.timezone == "America/New_York"
    d.tap("Time zone")
    assert "don't know that time zone" in d.say("Mars/Olympus")[0]
    d.say("/plan")
    d.tap("What time")
    d.say("7.30pm")
    assert d.member.plan.time_of_day == time(19, 30)
    d.tap("Extra questions")
    d.tap("WHO-5")
    d.tap("Every 4th")
    assert d.member.plan.instrument_id == "who5" and d.member.plan.instrument_every == 4
    d.tap("How often")
    d.tap("Some days")
    d.tap("Monday")
    d.tap("Thursday")
    shown = d.tap("Done")[0]
    assert d.member.plan.weekdays == frozenset({0, 3}) and "Monday, Thursday" in shown
    assert re.search(r"Next check-in: (Monday|Thursday) \d{1,2} [A-Z][a-z]+ at 19:30", shown), shown


def test_an_abandoned_check_in_still_goes_to_the_assessment() -> None:
    d = onboard(True, "flag_only", False)
    d.member = d.member.__class__(**{**d.member.__dict__, "recent_moods": (1, 1)})
    d.say("/checkin")
    d.tap("Very low")  # a third very low mood, then the member walks away
    d.now += timedelta(days=1)
    d.say("/checkin")
    assert effects(d, RaiseAlert) and effects(d, FinishCheckIn)[-1].status == "abandoned"
