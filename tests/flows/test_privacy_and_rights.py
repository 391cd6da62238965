"""/privacy, /mydata, /forget, /pause, /stop as dialogues."""

from flows.outcome import EraseMember, SendMemberExport
from tests.flows.dialogue import Dialogue
from tests.flows.test_onboarding import onboard


def test_privacy_shows_choices_and_withdrawing_works_at_once():
    d = onboard(True, "flag_only", True)
    shown = d.say("/privacy")[0]
    assert "Keep my check-ins: yes" in shown and "only that I may need a chat" in shown
    replies = d.tap("Stop the news")
    assert d.member.consent.news is False
    assert d.records[-1].action == "withdrawn"
    assert "won't send you any more news" in replies[0]
    assert "Send me news" in d.last_buttons


def test_turning_a_consent_on_from_privacy_shows_the_full_question_first():
    d = onboard(False, None, False)
    d.say("/privacy")
    replies = d.tap("Let a worker get in touch")
    assert "can a community worker from Hillside Community Hub get in touch" in replies[0]
    assert d.member.consent.share_flags is False
    d.tap("Yes, that's OK")
    d.tap("Also my check-in answers")
    assert d.member.consent.share_flags is True
    assert d.records[-1].share_level == "with_answers" and len(d.records[-1].text_hash) == 64


def test_saying_no_from_privacy_changes_nothing():
    d = onboard(False, None, False)
    d.say("/privacy")
    d.tap("Keep my check-ins")
    replies = d.tap("No thanks")
    assert "nothing has changed" in replies[0]
    assert d.member.consent.store is False


def test_mydata_asks_for_the_export_and_says_nothing_is_held_before_start():
    assert "don't keep anything" in Dialogue().say("/mydata")[0]
    d = onboard(True, None, True)
    d.say("/mydata")
    assert SendMemberExport() in d.outcomes[-1].effects


def test_forget_needs_one_confirmation_and_cancel_keeps_everything():
    d = onboard(True, None, True)
    assert "can't be undone" in d.say("/forget")[0]
    assert "nothing has been deleted" in d.tap("No, keep it")[0]
    assert d.member.registered
    d.say("/forget")
    d.tap("Yes, delete everything")
    assert EraseMember() in d.outcomes[-1].effects
    assert not d.member.registered


def test_an_old_forget_button_cannot_erase_without_a_fresh_confirmation():
    d = onboard(True, None, True)
    d.press("rt:forget:yes")
    assert EraseMember() not in d.outcomes[-1].effects
    assert d.member.registered


def test_pause_resume_and_stop_set_the_status_and_start_reactivates():
    d = onboard(True, None, True)
    assert "paused" in d.say("/pause")[0] and d.member.status == "paused"
    assert d.say("/resume") and d.member.status == "active"
    assert "won't send you any more messages" in d.say("/stop")[0] and d.member.status == "stopped"
    d.say("/start")
    assert d.member.status == "active"


def test_unsupported_and_unknown_input_get_a_kind_reply():
    d = onboard(True, None, True)
    assert "Send /help" in d.say("/frobnicate")[0]
    assert "Send /help" in d.say("hello there")[0]
    assert "Send /start" in Dialogue().say("hello")[0]
