"""Relayed chat: the volunteer who claimed an alert and the member talk through the bot, accounts private."""

from __future__ import annotations

from flows.callbacks import ButtonChoice
from flows.outcome import AnswerRelay, Audit, EndRelay, Outcome, RelayText, Text, reply
from flows.snapshot import Facts

FLOW = "rl"


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """The member accepts or declines a relayed chat."""
    relay = facts.relay
    if relay is None or not relay.writer_is_member or str(relay.id) != choice.choice:
        return Outcome(
            notice=Text("staff.not_allowed"), refused="not_allowed", effects=(Audit("relay_refused", "relay"),)
        )
    if relay.status != "asked":
        return Outcome(notice=Text("buttons.stale"))
    if choice.step == "accept":
        return Outcome(
            replies=(reply(Text("relay.member_accepted", {"name": relay.volunteer_name})),),
            effects=(AnswerRelay(relay.id, True), Audit("relay_accepted", "relay", relay.id)),
        )
    if choice.step == "decline":
        return Outcome(
            replies=(reply(Text("relay.member_declined")),),
            effects=(AnswerRelay(relay.id, False), Audit("relay_declined", "relay", relay.id)),
        )
    return Outcome(refused="unknown_choice")


def on_text(text: str, facts: Facts) -> Outcome:
    """Pass a message to the other side."""
    relay = facts.relay
    if relay is None or relay.status != "open":
        return Outcome(replies=(reply(Text("relay.not_open")),))
    return Outcome(effects=(RelayText(relay.id, text[:3500], relay.writer_is_member),))


def end(facts: Facts) -> Outcome:
    """Either side ends the chat."""
    relay = facts.relay
    if relay is None or relay.status == "closed":
        return Outcome(replies=(reply(Text("relay.nothing_to_end")),))
    return Outcome(
        replies=(reply(Text("relay.ended_by_you")),),
        effects=(EndRelay(relay.id), Audit("relay_ended", "relay", relay.id)),
    )
