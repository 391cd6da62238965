"""Asking for a community worker to get in touch, and the "Get help now" button."""

from __future__ import annotations

from flows.assistance import crisis_reply
from flows.callbacks import ButtonChoice, button_data
from flows.consent import ConsentScope
from flows.outcome import Button, Outcome, RaiseAlert, Text, reply
from flows.risk import RiskTier
from flows.snapshot import Facts

FLOW = "ct"
HELP_FLOW = "hp"


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle "I'd like someone to get in touch" and its yes/no offers."""
    if choice.step != "ask" or choice.choice not in ("yes", "no"):
        return Outcome(refused="unknown_choice")
    if choice.choice == "no":
        return Outcome(replies=(reply(Text("contact.declined")),))
    organisation = facts.member.organisation.name if facts.member.organisation else ""
    if not facts.member.consent.allows(ConsentScope.SHARE_FLAGS):
        buttons = ((Button(Text("privacy.button.share_flags_on"), button_data("pv", "menu", "share_flags_on")),),)
        return Outcome(replies=(reply(Text("contact.needs_consent", {"organisation": organisation}), buttons=buttons),))
    alert = RaiseAlert(RiskTier.CONCERN, (Text("reason.asked_for_contact"),))
    return Outcome(
        replies=(reply(Text("contact.requested", {"organisation": organisation})),),
        effects=(alert,),
        notice=Text("buttons.thanks"),
    )


def on_help_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle "Get help now": the fixed crisis message, nothing else changes."""
    if choice.step != "now":
        return Outcome(refused="unknown_choice")
    return Outcome(replies=(crisis_reply(facts),))
