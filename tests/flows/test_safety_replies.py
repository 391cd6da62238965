"""Which replies must reach the member even across a crash: those that signpost help or go with an alert."""

from __future__ import annotations

from flows.assistance import must_reach_the_member
from tests.flows.test_onboarding import onboard


def test_help_the_help_button_and_a_request_for_contact_are_safety_replies_an_ordinary_check_in_is_not() -> None:
    d = onboard(True, "flag_only", False)
    d.say("/checkin")
    d.tap("Good")
    d.say("Went to the allotment")
    ordinary = list(d.outcomes)
    d.say("/help")
    d.say("/checkin")
    d.press("hp:now:show")
    d.press("ct:ask:yes")
    help_command, _, help_button, contact = d.outcomes[-4:]
    assert ordinary and not any(must_reach_the_member(outcome) for outcome in ordinary)
    assert must_reach_the_member(help_command) and must_reach_the_member(help_button)
    assert must_reach_the_member(contact), "an alert goes with it"
