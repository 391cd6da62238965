"""Member rights and controls: /mydata, /forget, /pause, /resume and /stop."""

from __future__ import annotations

from collections.abc import Mapping

from flows.callbacks import ButtonChoice, button_data
from flows.outcome import (
    Button,
    EndConversation,
    EraseMember,
    Outcome,
    SaveConversation,
    SendMemberExport,
    SetMemberStatus,
    Text,
    reply,
)
from flows.snapshot import Facts, MemberStatus

FLOW = "rt"
FORGET_STEP = "forget"


def my_data(facts: Facts) -> Outcome:
    """Send everything held about the member, or say that nothing is held."""
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("mydata.nothing_held")),))
    return Outcome(replies=(reply(Text("mydata.sending")),), effects=(SendMemberExport(),))


def forget(facts: Facts) -> Outcome:
    """Ask once to confirm erasing everything."""
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("forget.nothing_held")),))
    buttons = (
        (Button(Text("forget.confirm"), button_data(FLOW, FORGET_STEP, "yes")),),
        (Button(Text("forget.cancel"), button_data(FLOW, FORGET_STEP, "no")),),
    )
    return Outcome(
        replies=(reply(Text("forget.question"), buttons=buttons),),
        effects=(SaveConversation(FLOW, FORGET_STEP),),
    )


def on_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle the /forget confirmation buttons."""
    position = facts.member.conversation
    if choice.step != FORGET_STEP or choice.choice not in ("yes", "no"):
        return Outcome(refused="unknown_choice")
    if position is None or position.flow != FLOW or position.step != FORGET_STEP:
        return Outcome(notice=Text("buttons.stale"))
    if choice.choice == "no":
        return Outcome(replies=(reply(Text("forget.cancelled")),), effects=(EndConversation(),))
    return Outcome(effects=(EraseMember(),), notice=Text("forget.erasing"))


def erased(counts: Mapping[str, int]) -> Outcome:
    """Tell the member what was erased, in plain words."""
    lines = tuple(
        Text("forget.erased_line", {"what": Text(f"data_kind.{kind}"), "count": count})
        for kind, count in sorted(counts.items())
        if count
    )
    return Outcome(replies=(reply(Text("forget.done", {"lines": lines})),))


def set_status(facts: Facts, status: MemberStatus) -> Outcome:
    """Pause, resume or stop messages that Cairn starts."""
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("start.needed")),))
    return Outcome(
        replies=(reply(Text(f"status.{status.value}")),),
        effects=(SetMemberStatus(status),),
    )
