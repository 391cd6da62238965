"""The front door: route each inbound event to the flow that owns it."""

from __future__ import annotations

from collections.abc import Callable

from flows import (
    assistance,
    broadcast,
    checkin,
    contact,
    onboarding,
    plan,
    privacy,
    relay,
    rights,
    staff,
    trends,
    unreadable,
)
from flows import crisis_language as crisis
from flows.activities import cards as activity_cards
from flows.activities import listing as activity_listing
from flows.activities import manage as activity_manage
from flows.broadcast_message import STOP_FLOW
from flows.callbacks import ButtonChoice, parse_button_data
from flows.inbound import ButtonPress, Command, Inbound, TextMessage, UnsupportedMessage
from flows.outcome import Outcome, Text, reply
from flows.snapshot import Facts, MemberStatus

COMMANDS: dict[str, Callable[[Facts], Outcome]] = {
    "start": onboarding.start,
    "help": assistance.help_reply,
    "privacy": lambda facts: privacy.show(facts),
    "mydata": rights.my_data,
    "forget": rights.forget,
    "pause": lambda facts: rights.set_status(facts, MemberStatus.PAUSED),
    "resume": lambda facts: rights.set_status(facts, MemberStatus.ACTIVE),
    "stop": lambda facts: rights.set_status(facts, MemberStatus.STOPPED),
    "checkin": checkin.start,
    "plan": lambda facts: plan.show(facts),
    "trends": trends.ask,
    "activities": activity_listing.show,
    "interests": activity_listing.change_interests,
}
AFTER_ONBOARDING: dict[str, Callable[[ButtonChoice, Facts], Outcome]] = {
    checkin.FLOW: checkin.on_button,
    plan.FLOW: plan.on_button,
    trends.FLOW: trends.on_button,
    contact.FLOW: contact.on_button,
    activity_cards.FLOW: activity_listing.on_button,
}
OPEN_BEFORE_START = frozenset({"start", "help", "mydata", "forget"})
OPEN_DURING_ONBOARDING = frozenset({"start", "help", "mydata", "forget", "privacy", "stop"})


def handle(inbound: Inbound, facts: Facts, *, method: str = "") -> Outcome:
    """Decide what happens for one inbound event, given what is known."""
    match inbound:
        case Command(name=name, argument=argument):
            if name in staff.STAFF_COMMANDS:
                return staff.command(name, argument, facts)
            if name == "end":
                return relay.end(facts)
            if name in activity_manage.COMMANDS:
                return activity_manage.command(facts)
            if name == "broadcast":
                return broadcast.command(facts)
            return _on_command(name, facts)
        case ButtonPress(data=data):
            return _on_button(data, facts, method)
        case TextMessage(text=text):
            return _on_text(text, facts)
        case UnsupportedMessage(kind=kind):
            return unreadable.on_media(kind, facts)


def _on_command(name: str, facts: Facts) -> Outcome:
    command = COMMANDS.get(name)
    if command is None:
        return Outcome(replies=(reply(Text("command.unknown")),))
    member = facts.member
    if not member.registered and name not in OPEN_BEFORE_START:
        return Outcome(replies=(reply(Text("start.needed")),))
    if member.registered and not member.onboarded and name not in OPEN_DURING_ONBOARDING:
        return Outcome(replies=(reply(Text("onboarding.finish_first")),)).then(onboarding.repeat_question(facts))
    return command(facts)


def _on_button(data: str, facts: Facts, method: str) -> Outcome:
    choice = parse_button_data(data)
    if choice is None:
        return Outcome(notice=Text("buttons.refused"), refused="malformed")
    if choice.flow == contact.HELP_FLOW:  # "Get help now" works for anyone, before /start too
        return contact.on_help_button(choice, facts)
    if not facts.member.registered:
        return Outcome(replies=(reply(Text("start.needed")),), notice=Text("buttons.stale"))
    if choice.flow == onboarding.FLOW:
        return onboarding.on_button(choice, facts, method)
    if choice.flow == privacy.FLOW:
        return privacy.on_button(choice, facts, method)
    if choice.flow == rights.FLOW:
        return rights.on_button(choice, facts)
    if choice.flow == staff.ALERT_FLOW:
        return staff.on_alert_button(choice, facts)
    if choice.flow == staff.TEAM_FLOW:
        return staff.on_team_button(choice, facts)
    if choice.flow == relay.FLOW:
        return relay.on_button(choice, facts)
    if choice.flow == activity_manage.FLOW:
        return activity_manage.on_button(choice, facts)
    if choice.flow == broadcast.FLOW:
        return broadcast.on_button(choice, facts)
    if choice.flow == STOP_FLOW:
        return broadcast.on_stop(choice, facts, method)
    route = AFTER_ONBOARDING.get(choice.flow)
    if route is None:
        return Outcome(notice=Text("buttons.refused"), refused="unknown_flow")
    if not facts.member.onboarded:
        return Outcome(replies=(reply(Text("onboarding.finish_first")),)).then(onboarding.repeat_question(facts))
    return route(choice, facts)


def _on_text(text: str, facts: Facts) -> Outcome:
    member = facts.member
    position = member.conversation
    in_relay = position is not None and position.flow == relay.FLOW
    if in_relay and not (facts.relay and facts.relay.writer_is_member):
        return relay.on_text(text, facts)  # a volunteer's words to a member are not read as their own crisis
    if position is not None and position.flow == staff.ALERT_FLOW:
        return staff.on_note_text(text, facts)
    if _writing_for_others(facts):  # a listing or news is not read as the coordinator's own crisis, but signposted
        written = activity_manage.on_text(text, facts) if position.flow == activity_manage.FLOW else None
        written = written or broadcast.on_text(text, facts)
        if crisis.on_language(facts) is None:
            return written
        return written.then(Outcome(replies=(reply(Text("staff.own_words_signpost")),)))
    return unreadable.with_language_notice(_on_member_text(text, facts, in_relay=in_relay), facts)


def _on_member_text(text: str, facts: Facts, *, in_relay: bool) -> Outcome:
    """What a member's own words lead to, read as English (a crisis first, wherever they were)."""
    member = facts.member
    urgent = crisis.on_language(facts)
    if in_relay:
        passed_on = relay.on_text(text, facts)  # the volunteer sees it too
        return urgent.then(passed_on) if urgent is not None else passed_on
    if urgent is not None:
        return urgent
    concern = crisis.on_concern(facts)
    if concern is not None:
        return concern
    if not member.registered:
        return Outcome(replies=(reply(Text("start.needed")),))
    position = member.conversation
    if position is not None and position.flow == onboarding.FLOW:
        return Outcome(replies=(reply(Text("buttons.please_use")),)).then(onboarding.repeat_question(facts))
    if position is not None and position.flow == checkin.FLOW:
        return checkin.on_text(text, facts)
    if position is not None and position.flow == plan.FLOW:
        return plan.on_text(text, facts)
    if position is not None and position.flow == activity_cards.FLOW:
        return activity_listing.on_text(text, facts)
    if position is not None and position.flow == activity_manage.FLOW:
        return activity_manage.on_text(text, facts)
    if position is not None and position.flow == broadcast.FLOW:
        return broadcast.on_text(text, facts)
    if position is not None:
        return Outcome(replies=(reply(Text("buttons.please_use_above")),))
    return Outcome(replies=(reply(Text("text.unrecognised")),))


# Steps where a coordinator types words meant for members (a listing's name, description or place; a broadcast).
WRITING_FOR_OTHERS = {activity_manage.FLOW: frozenset({"name", "desc", "place"}), broadcast.FLOW: frozenset({"text"})}


def _writing_for_others(facts: Facts) -> bool:
    position = facts.member.conversation
    if position is None or position.step not in WRITING_FOR_OTHERS.get(position.flow, frozenset()):
        return False
    return facts.staff is not None and (position.flow != activity_manage.FLOW or activity_manage.is_coordinator(facts))
