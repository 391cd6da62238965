"""Onboarding as dialogues: welcome, three separate choices, nothing pre-selected."""

from itertools import product

import pytest

from flows.consent import ConsentScope, ShareLevel
from tests.flows.dialogue import Dialogue


def onboard(store: bool, share: str | None, news: bool) -> Dialogue:
    d = Dialogue()
    d.say("/start")
    d.tap("Yes, keep them" if store else "No thanks")
    if share is None:
        d.tap("No thanks")
    else:
        d.tap("Yes, that's OK")
        d.tap("Only that" if share == "flag_only" else "Also my check-in answers")
    d.tap("Yes please" if news else "No thanks")
    return d


def test_welcome_says_what_cairn_is_and_is_not_then_asks_the_first_question():
    d = Dialogue()
    replies = d.say("/start")
    assert "Hillside Community Hub" in replies[0]
    assert "not an emergency service" in replies[0]
    assert "Saying no to any of them is fine" in replies[0]
    assert "Question 1 of 3" in replies[1] and "Can I keep your check-ins?" in replies[1]
    assert set(d.last_buttons) == {"Yes, keep them", "No thanks"}


@pytest.mark.parametrize(
    "store,share,news", list(product([True, False], [None, "flag_only", "with_answers"], [True, False]))
)
def test_every_combination_of_choices_is_recorded_and_summarised(store, share, news):
    d = onboard(store, share, news)
    consent = d.member.consent
    assert consent.store is store and consent.news is news
    assert consent.share_flags is (share is not None)
    assert consent.share_level == (ShareLevel(share) if share else None)
    assert d.member.onboarded and d.member.conversation is None
    scopes = [r.scope for r in d.records]
    assert scopes == [ConsentScope.STORE, ConsentScope.SHARE_FLAGS, ConsentScope.NEWS]
    assert all(len(r.text_hash) == 64 and r.text_version for r in d.records)
    summary = d.outcomes[-1]
    assert summary.replies, "the last answer brings a summary"


def test_share_answer_fingerprints_both_the_question_and_the_level_question():
    d = onboard(True, "with_answers", False)
    share = d.records[1]
    assert len(share.text_hash) == 64
    flag_only = onboard(True, "flag_only", False).records[1]
    assert share.text_hash == flag_only.text_hash


def test_typing_instead_of_tapping_repeats_the_current_question():
    d = Dialogue()
    d.say("/start")
    replies = d.say("maybe?")
    assert "Please tap one of the buttons" in replies[0]
    assert "Can I keep your check-ins?" in replies[1]


def test_a_button_from_an_earlier_question_is_stale_and_the_current_question_is_asked_again():
    d = Dialogue()
    d.say("/start")
    d.tap("Yes, keep them")
    replies = d.press("ob:store:no")
    assert "[notice] That question has moved on." in replies
    assert any("community worker" in r for r in replies)
    assert d.member.consent.store is True


def test_forged_button_data_is_refused_without_effects():
    d = Dialogue()
    d.say("/start")
    for forged in ["", "x" * 65, "ob:store:yes; drop table", "zz:store:yes", "ob:store:perhaps", "💥"]:
        before = d.member
        d.press(forged)
        assert d.outcomes[-1].refused or d.outcomes[-1].notice
        assert d.member.consent == before.consent


def test_restarting_mid_onboarding_resumes_at_the_unanswered_question():
    d = Dialogue()
    d.say("/start")
    d.tap("No thanks")
    replies = d.say("/start")
    assert "Question 2 of 3" in replies[-1]


def test_a_deep_link_joins_the_organisation_and_an_unknown_link_says_so():
    d = Dialogue()
    replies = d.say("/start org_riverside")
    assert "Riverside Trust" in replies[0]
    assert d.member.organisation.slug == "riverside"
    other = Dialogue()
    replies = other.say("/start org_nowhere")
    assert "didn't recognise the link" in replies[0]


def test_moving_to_another_organisation_withdraws_sharing_and_asks_again():
    d = onboard(True, "flag_only", True)
    replies = d.say("/start org_riverside")
    assert "now connected to Riverside Trust" in replies[0]
    assert d.member.consent.share_flags is False
    assert "Riverside Trust" in replies[-1] and "get in touch" in replies[-1]
    assert d.records[-1].action == "withdrawn"


def test_commands_wait_until_onboarding_is_finished_but_help_never_waits():
    d = Dialogue()
    d.say("/start")
    assert "finish setting up" in d.say("/pause")[0]
    help_text = d.say("/help")[0]
    assert "999" in help_text and "116 123" in help_text and "carry on" in help_text
