"""Volunteers and coordinators: duty, rota, team, and alerts (claim, pass, chat, resolve).

Every action checks, here and at the time it happens, that the writer is staff of the alert's organisation.
"""

from __future__ import annotations

import re

from flows.callbacks import ButtonChoice, button_data
from flows.outcome import (
    AnswerAlert,
    AskRelay,
    Audit,
    Button,
    ClaimAlert,
    EndConversation,
    NoteAlert,
    Outcome,
    RemoveFromTeam,
    ResolveAlert,
    SaveConversation,
    SendDashboardLink,
    SetDuty,
    SetRota,
    Text,
    reply,
)
from flows.safeguarding.model import (
    STAFF_OUTCOMES,
    Alert,
    Person,
    Refusal,
    StaffRole,
    may_act_as_holder,
    may_claim,
    may_note,
    may_remove,
    may_see,
)
from flows.snapshot import Facts

ALERT_FLOW = "al"
TEAM_FLOW = "tm"
OUTCOMES = tuple(outcome.value for outcome in STAFF_OUTCOMES)
COORDINATOR = StaffRole.COORDINATOR.value
DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
STAFF_COMMANDS = frozenset({"duty", "rota", "team", "alerts", "dashboard"})


def alert_buttons(alert_id: int) -> tuple[tuple[Button, ...], ...]:
    """Claim / Can't take it, on every alert message."""
    return (
        (
            Button(Text("alert.claim"), button_data(ALERT_FLOW, "claim", str(alert_id))),
            Button(Text("alert.pass"), button_data(ALERT_FLOW, "pass", str(alert_id))),
        ),
    )


def command(name: str, argument: str, facts: Facts) -> Outcome:
    """Handle a staff command; anyone else is told politely that it is for staff."""
    staff = facts.staff
    if staff is None and name == "dashboard":  # not advertised beyond staff: the usual answer to an unknown command
        return Outcome(replies=(reply(Text("command.unknown")),))
    if staff is None:
        return Outcome(replies=(reply(Text("staff.only")),), effects=(Audit("staff_command_refused", "command"),))
    if name == "dashboard":
        return Outcome(effects=(SendDashboardLink(), Audit("dashboard_link_sent", "member")))
    if name == "duty":
        return _duty(argument, facts)
    if name == "rota":
        return _rota(argument, facts)
    if name == "alerts":
        return _alerts_list(facts)
    if staff.role != COORDINATOR:
        return Outcome(
            replies=(reply(Text("staff.coordinators_only")),), effects=(Audit("team_refused", "organisation"),)
        )
    rows = tuple(
        (
            Button(
                Text("team.remove", {"name": mate.display_name or Text("team.unnamed")}),
                button_data(TEAM_FLOW, "remove", str(mate.member_id)),
            ),
        )
        for mate in facts.team
        if mate.member_id != facts.member_id
    )
    lines = tuple(
        Text(
            "team.line",
            {
                "name": mate.display_name or Text("team.unnamed"),
                "role": Text(f"role.{mate.role}"),
                "duty": Text("team.on" if mate.on_duty else "team.off"),
            },
        )
        for mate in facts.team
    )
    return Outcome(replies=(reply(Text("team.list", {"lines": lines}), buttons=rows),))


def on_team_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """A coordinator removes someone else from the team (flows.safeguarding.model.may_remove decides)."""
    staff = facts.staff
    target = int(choice.choice) if choice.choice.isdigit() and len(choice.choice) < 12 else None
    mate = next((m for m in facts.team if m.member_id == target), None)
    remover = staff.person(facts.member_id) if staff is not None and facts.member_id is not None else None
    other = Person(mate.member_id, staff.organisation_id, StaffRole(mate.role)) if mate and staff else None
    decision = may_remove(remover, other)
    if choice.step != "remove" or not decision.allowed:
        key = "team.not_yourself" if decision.refusal is Refusal.ABOUT_YOU else "staff.not_allowed"
        return Outcome(notice=Text(key), refused="not_allowed", effects=(Audit("team_refused", "member", target),))
    assert target is not None
    return Outcome(
        replies=(reply(Text("team.removed")),),
        effects=(RemoveFromTeam(target), Audit("team_member_removed", "member", target)),
    )


REFUSAL_NOTICES = {
    Refusal.ALREADY_CLAIMED: "alert.already_claimed",
    Refusal.RESOLVED: "alert.already_resolved",
    Refusal.OFF_DUTY: "alert.off_duty",
    Refusal.ABOUT_YOU: "alert.about_you",
    Refusal.NOT_CLAIMER: "staff.not_allowed",
    Refusal.NOT_IN_TEAM: "staff.not_allowed",
}


def holder_buttons(alert_id: int) -> tuple[tuple[Button, ...], ...]:
    """What the person who holds an alert can do: chat with the member, resolve."""
    return (
        (Button(Text("alert.open_chat"), button_data(ALERT_FLOW, "chat", str(alert_id))),),
        (Button(Text("alert.resolve"), button_data(ALERT_FLOW, "resolve", str(alert_id))),),
    )


def _refused(alert: Alert | None, refusal: Refusal) -> Outcome:
    """A refusal in the model's vocabulary: a short notice on the button, audited."""
    object_id = alert.id if alert else None
    not_allowed = refusal in (Refusal.NOT_IN_TEAM, Refusal.NOT_CLAIMER)
    return Outcome(
        notice=Text(REFUSAL_NOTICES[refusal]),
        refused="not_claimer" if refusal is Refusal.NOT_CLAIMER else ("not_allowed" if not_allowed else None),
        effects=(Audit(f"alert_refused_{refusal.value}", "alert", object_id),),
    )


def on_alert_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle claim, pass, "I'm on it", chat, resolve and outcome buttons on an alert (flows.safeguarding decides)."""
    alert = facts.alert
    person = facts.staff.person(facts.member_id) if facts.staff and facts.member_id is not None else None
    if alert is None or person is None or alert.organisation_id != person.organisation_id:
        return _refused(alert, Refusal.NOT_IN_TEAM)
    if choice.step == "claim":
        decision = may_claim(alert, person, facts.now)
        if decision.refusal is Refusal.ALREADY_CLAIMED and alert.claimed_by == person.member_id:
            return Outcome(notice=Text("alert.you_hold_it"))
        if decision.refusal is not None:
            return _refused(alert, decision.refusal)
        return Outcome(
            replies=(reply(Text("alert.claimed_by_you", {"id": alert.id}), buttons=holder_buttons(alert.id)),),
            effects=(ClaimAlert(alert.id), Audit("alert_claimed", "alert", alert.id)),
        )
    if choice.step == "pass":
        seen = may_see(alert, person, facts.now)
        if not alert.status.waiting or seen.refusal is Refusal.ABOUT_YOU:
            return _refused(alert, seen.refusal or Refusal.ALREADY_CLAIMED)
        return Outcome(notice=Text("alert.passed"), effects=(Audit("alert_passed", "alert", alert.id),))
    held = may_act_as_holder(alert, person)
    if held.refusal is not None:
        return _refused(alert, held.refusal)
    if choice.step == "ack":
        return Outcome(
            notice=Text("alert.thanks_on_it"),
            effects=(AnswerAlert(alert.id), Audit("alert_answered", "alert", alert.id)),
        )
    if choice.step == "chat":
        resolve = ((Button(Text("alert.resolve"), button_data(ALERT_FLOW, "resolve", str(alert.id))),),)
        return Outcome(
            replies=(reply(Text("relay.asked"), buttons=resolve),),
            effects=(AskRelay(alert.id), Audit("relay_asked", "alert", alert.id)),
        )
    if choice.step == "resolve":
        rows = tuple(
            (Button(Text(f"outcome.{code}"), button_data(ALERT_FLOW, "outcome", f"{alert.id}_{code}")),)
            for code in OUTCOMES
        )
        return Outcome(replies=(reply(Text("alert.ask_outcome"), buttons=rows),))
    if choice.step == "outcome":
        code = choice.choice.partition("_")[2]
        if code not in OUTCOMES:
            return Outcome(refused="unknown_choice")
        skip = ((Button(Text("alert.skip_note"), button_data(ALERT_FLOW, "note", str(alert.id))),),)
        return Outcome(
            replies=(reply(Text("alert.resolved", {"id": alert.id}), Text("alert.ask_note"), buttons=skip),),
            effects=(
                ResolveAlert(alert.id, code),  # audited by the desk once it is written
                SaveConversation(ALERT_FLOW, "note", {"alert": alert.id}),
            ),
        )
    if choice.step == "note":
        return Outcome(replies=(reply(Text("alert.note_skipped")),), effects=(EndConversation(),))
    return Outcome(refused="unknown_choice")


def on_note_text(text: str, facts: Facts) -> Outcome:
    """Keep the volunteer's note on the alert they just resolved."""
    alert = facts.alert
    person = facts.staff.person(facts.member_id) if facts.staff and facts.member_id is not None else None
    if alert is None or not may_note(alert, person).allowed:
        return Outcome(replies=(reply(Text("staff.not_allowed")),), effects=(EndConversation(),))
    return Outcome(
        replies=(reply(Text("alert.note_saved")),),
        effects=(NoteAlert(alert.id, text.strip()[:2000]), Audit("alert_noted", "alert", alert.id), EndConversation()),
    )


def _duty(argument: str, facts: Facts) -> Outcome:
    assert facts.staff is not None
    wanted = argument.strip().lower()
    if wanted in ("on", "off"):
        on = wanted == "on"
        return Outcome(
            replies=(reply(Text(f"duty.now_{wanted}")),), effects=(SetDuty(on), Audit(f"duty_{wanted}", "member"))
        )
    return Outcome(
        replies=(reply(Text("duty.status", {"state": Text("team.on" if facts.staff.on_duty else "team.off")})),)
    )


def _rota(argument: str, facts: Facts) -> Outcome:
    assert facts.staff is not None
    parts = argument.lower().split()
    if not parts:
        days = ", ".join(name.title() for name, number in DAYS.items() if number in facts.staff.rota_days) or "-"
        return Outcome(replies=(reply(Text("rota.status", {"days": days, "hours": facts.staff.rota_hours})),))
    names = [name.strip() for name in parts[0].split(",") if name.strip()]
    hours = parts[1] if len(parts) > 1 else "09:00-17:00"
    if not names or any(name[:3] not in DAYS for name in names) or not HOURS.fullmatch(hours):
        return Outcome(replies=(reply(Text("rota.help")),))
    days = frozenset(DAYS[name[:3]] for name in names)
    return Outcome(replies=(reply(Text("rota.saved")),), effects=(SetRota(days, hours), Audit("rota_set", "member")))


def _alerts_list(facts: Facts) -> Outcome:
    """/alerts: the open alerts, urgent first then the longest waiting, with a button for what this person may do."""
    assert facts.staff is not None and facts.member_id is not None
    person = facts.staff.person(facts.member_id)
    lines, rows = [], []
    for alert in facts.alerts:
        if alert.member_id == person.member_id:
            continue  # nobody sees an alert about themselves
        lines.append(
            Text(
                "staff.alert_line",
                {
                    "id": alert.id,
                    "case": alert.case_ref or "-",
                    "tier": Text(f"tier.{alert.tier.value}"),
                    "status": Text(f"alert_status.{alert.status.value}"),
                },
            )
        )
        if may_claim(alert, person, facts.now).allowed:
            rows.append(
                (
                    Button(
                        Text("alert.claim_numbered", {"id": alert.id}), button_data(ALERT_FLOW, "claim", str(alert.id))
                    ),
                )
            )
        elif may_act_as_holder(alert, person).allowed:
            rows.append(
                (Button(Text("alert.chat_numbered", {"id": alert.id}), button_data(ALERT_FLOW, "chat", str(alert.id))),)
            )
            rows.append(
                (
                    Button(
                        Text("alert.resolve_numbered", {"id": alert.id}),
                        button_data(ALERT_FLOW, "resolve", str(alert.id)),
                    ),
                )
            )
    text = Text("staff.alerts", {"lines": tuple(lines)}) if lines else Text("staff.no_alerts")
    return Outcome(
        replies=(reply(text, buttons=tuple(rows)),),
        effects=(Audit("alerts_listed", "organisation", facts.staff.organisation_id),),
    )
