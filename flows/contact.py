"""Asking for a community worker to get in touch, and the "Get help now" button."""

from __future__ import annotations

from flows.assistance import crisis_reply, crisis_resources
from flows.callbacks import ButtonChoice, button_data
from flows.outcome import Audit, Button, Outcome, RaiseAlert, Text, WithdrawAlert, reply
from flows.risk import RiskTier
from flows.safeguarding import sharing
from flows.snapshot import Facts

FLOW = "ct"
HELP_FLOW = "hp"


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle "I'd like someone to get in touch", "No thanks", and taking back what was shared."""
    case = facts.sharing.case if facts.sharing is not None else None
    if choice.step in ("withdraw", "keep"):
        if case is None or str(case.alert_id) != choice.choice:
            return Outcome(replies=(reply(Text("sharing.nothing_to_take_back")),))
        if choice.step == "keep":
            return Outcome(replies=(reply(Text("sharing.kept")),), notice=Text("buttons.thanks"))
        return Outcome(
            replies=(reply(Text("sharing.withdrawn", {"organisation": sharing.organisation_name(facts)})),),
            effects=(WithdrawAlert(case.alert_id), Audit("alert_withdrawn_by_member", "alert", case.alert_id)),
        )
    if choice.step != "ask" or choice.choice not in ("yes", "no"):
        return Outcome(refused="unknown_choice")
    if choice.choice == "no":
        if case is not None:
            return Outcome(replies=(sharing.offer_to_take_back(facts),))
        return Outcome(replies=(reply(Text("contact.declined")),))
    organisation = sharing.organisation_name(facts)
    if not sharing.shares(facts):
        buttons = ((Button(Text("privacy.button.share_flags_on"), button_data("pv", "menu", "share_flags_on")),),)
        return Outcome(replies=(reply(Text("contact.needs_consent", {"organisation": organisation}), buttons=buttons),))
    alert = RaiseAlert(RiskTier.CONCERN, (Text("reason.asked_for_contact"),))
    parts = [sharing.requested(facts)]
    if not sharing.someone_can_see(facts):
        parts.append(crisis_resources(facts))
    return Outcome(replies=(reply(*parts),), effects=(alert,), notice=Text("buttons.thanks"))


def on_help_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle "Get help now": the fixed crisis message, nothing else changes."""
    if choice.step != "now":
        return Outcome(refused="unknown_choice")
    return Outcome(replies=(crisis_reply(facts),))
