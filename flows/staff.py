"""Volunteers and coordinators: duty, rota, team, and alerts (claim, pass, chat, resolve).

Every action checks, here and at the time it happens, that the writer is staff of the alert's organisation.
"""

from __future__ import annotations

import re

from flows.callbacks import ButtonChoice, button_data
from flows.outcome import (
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
from flows.snapshot import AlertInfo, Facts

ALERT_FLOW = "al"
TEAM_FLOW = "tm"
OUTCOMES = ("ok", "gp", "nhs111", "crisis", "emergency", "unreachable")
COORDINATOR = "coordinator"
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
        lines = tuple(
            Text(
                "staff.alert_line",
                {"id": a.id, "tier": Text(f"tier.{a.tier}"), "status": Text(f"alert_status.{a.status}")},
            )
            for a in facts.alerts
        )
        text = Text("staff.alerts", {"lines": lines}) if lines else Text("staff.no_alerts")
        return Outcome(replies=(reply(text),), effects=(Audit("alerts_listed", "organisation", staff.organisation_id),))
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
    """A coordinator removes someone from the team."""
    staff = facts.staff
    if staff is None or staff.role != COORDINATOR or choice.step != "remove" or not choice.choice.isdigit():
        return Outcome(
            notice=Text("staff.not_allowed"), refused="not_allowed", effects=(Audit("team_refused", "member"),)
        )
    target = int(choice.choice)
    if target not in {mate.member_id for mate in facts.team}:
        return Outcome(
            notice=Text("staff.not_allowed"), refused="not_allowed", effects=(Audit("team_refused", "member", target),)
        )
    return Outcome(
        replies=(reply(Text("team.removed")),),
        effects=(RemoveFromTeam(target), Audit("team_member_removed", "member", target)),
    )


def on_alert_button(choice: ButtonChoice, facts: Facts) -> Outcome:
    """Handle claim, pass, chat, resolve and outcome buttons on an alert."""
    alert = facts.alert
    denied = _denied(facts, alert)
    if denied is not None:
        return denied
    assert alert is not None and facts.staff is not None
    mine = alert.claimed_by == facts.member_id
    if choice.step == "claim":
        if alert.status not in ("open", "escalated"):
            return Outcome(notice=Text("alert.already_claimed"), effects=(Audit("alert_viewed", "alert", alert.id),))
        buttons = (
            (Button(Text("alert.open_chat"), button_data(ALERT_FLOW, "chat", str(alert.id))),),
            (Button(Text("alert.resolve"), button_data(ALERT_FLOW, "resolve", str(alert.id))),),
        )
        return Outcome(
            replies=(reply(Text("alert.claimed_by_you", {"id": alert.id}), buttons=buttons),),
            effects=(ClaimAlert(alert.id), Audit("alert_claimed", "alert", alert.id)),
        )
    if choice.step == "pass":
        if alert.status not in ("open", "escalated"):
            return Outcome(notice=Text("alert.already_claimed"))
        return Outcome(notice=Text("alert.passed"), effects=(Audit("alert_passed", "alert", alert.id),))
    if not mine:
        return Outcome(
            notice=Text("staff.not_allowed"),
            refused="not_claimer",
            effects=(Audit("alert_refused", "alert", alert.id),),
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
                ResolveAlert(alert.id, code),
                Audit("alert_resolved", "alert", alert.id),
                SaveConversation(ALERT_FLOW, "note", {"alert": alert.id}),
            ),
        )
    if choice.step == "note":
        return Outcome(replies=(reply(Text("alert.note_skipped")),), effects=(EndConversation(),))
    return Outcome(refused="unknown_choice")


def on_note_text(text: str, facts: Facts) -> Outcome:
    """Keep the volunteer's note on the alert they just resolved."""
    alert = facts.alert
    denied = _denied(facts, alert)
    if denied is not None or alert is None or alert.claimed_by != facts.member_id:
        return Outcome(replies=(reply(Text("staff.not_allowed")),), effects=(EndConversation(),))
    return Outcome(
        replies=(reply(Text("alert.note_saved")),),
        effects=(NoteAlert(alert.id, text.strip()[:2000]), Audit("alert_noted", "alert", alert.id), EndConversation()),
    )


def _denied(facts: Facts, alert: AlertInfo | None) -> Outcome | None:
    staff = facts.staff
    if staff is None or alert is None or alert.organisation_id != staff.organisation_id:
        object_id = alert.id if alert else None
        return Outcome(
            notice=Text("staff.not_allowed"),
            refused="not_allowed",
            effects=(Audit("alert_refused", "alert", object_id),),
        )
    return None


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
