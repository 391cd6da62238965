"""What staff and members are sent about alerts, and when an unclaimed alert escalates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flows.assistance import crisis_resources
from flows.callbacks import button_data
from flows.outcome import Button, Reply, Text, reply
from flows.snapshot import Facts
from flows.staff import alert_buttons


@dataclass(frozen=True)
class AlertTimings:
    """When an unclaimed alert moves on (defaults from ../shared/SAFETY.md)."""

    urgent_to_coordinators: timedelta = timedelta(minutes=15)
    urgent_member_fallback: timedelta = timedelta(minutes=30)
    concern_to_coordinators: timedelta = timedelta(hours=24)


def escalation_step(tier: str, level: int, age: timedelta, timings: AlertTimings) -> str | None:
    """Return the next escalation due for an unclaimed alert: "coordinators", "member_fallback" or None."""
    if tier == "URGENT":
        if level < 1 and age >= timings.urgent_to_coordinators:
            return "coordinators"
        if level < 2 and age >= timings.urgent_member_fallback:
            return "member_fallback"
        return None
    if level < 1 and age >= timings.concern_to_coordinators:
        return "coordinators"
    return None


def shared_reasons(share_level: str, reasons: tuple[str, ...]) -> tuple[str, ...]:
    """The reasons staff may see: all of them when the member shares "also my answers", else none (a flag only)."""
    return reasons if share_level == "with_answers" else ()


def alert_for_staff(
    alert_id: int,
    tier: str,
    organisation: str,
    share_level: str,
    reasons: tuple[str, ...],
    escalated: bool = False,
    nobody_on_duty: bool = False,
) -> Reply:
    """The alert a volunteer or coordinator receives, with only what the member's sharing level allows."""
    parts = [Text("alert.escalated")] if escalated else []
    if nobody_on_duty:
        parts.append(Text("alert.nobody_on_duty"))
    parts.append(Text(f"alert.headline.{tier}", {"organisation": organisation, "id": alert_id}))
    shared = shared_reasons(share_level, reasons)
    if shared:
        parts.append(Text("alert.reasons", {"lines": tuple(Text("alert.reason_line", {"reason": r}) for r in shared)}))
    else:
        parts.append(Text("alert.flag_only"))
    parts.append(Text("alert.how_to_help"))
    return reply(*parts, buttons=alert_buttons(alert_id))


def claimed_notice(alert_id: int, name: str) -> Reply:
    """What the other recipients' alert message becomes once someone claims it."""
    return reply(Text("alert.taken", {"id": alert_id, "name": name}))


def member_fallback(facts: Facts) -> Reply:
    """Told to the member when nobody has claimed an urgent alert in time: plainly, with the resources again."""
    return reply(Text("alert.member_fallback"), crisis_resources(facts))


def relay_invitation(session_id: int, name: str, organisation: str) -> Reply:
    """Ask the member whether a volunteer may chat with them through the bot."""
    buttons = (
        (Button(Text("relay.accept"), button_data("rl", "accept", str(session_id))),),
        (Button(Text("relay.decline"), button_data("rl", "decline", str(session_id))),),
    )
    return reply(Text("relay.invitation", {"name": name, "organisation": organisation}), buttons=buttons)
