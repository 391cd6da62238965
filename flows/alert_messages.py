"""What staff and members are sent about alerts (the rules of when and to whom are in flows/safeguarding/model)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flows.assistance import resources_text
from flows.callbacks import button_data
from flows.crisis import CrisisResources
from flows.outcome import Button, Reply, Text, reply
from flows.safeguarding.model import ROTA_TIMEZONE
from flows.staff import ALERT_FLOW, alert_buttons, holder_buttons


def uk_time(moment: datetime) -> str:
    """A time as staff read it: "Mon 14:05" in UK time."""
    return moment.astimezone(ZoneInfo(ROTA_TIMEZONE)).strftime("%a %H:%M")


def shared_reasons(share_level: str, reasons: tuple[str, ...]) -> tuple[str, ...]:
    """The reasons staff may see: all of them when the member shares "also my answers", else none (a flag only)."""
    return reasons if share_level == "with_answers" else ()


def case_line(case_ref: str, count: int, first_raised: datetime, raised_again: datetime | None) -> tuple[Text, ...]:
    """One person, not scattered alerts: the private case reference, how many alerts in 2 days, when first raised."""
    if count <= 1:
        lines = [Text("alert.case_first", {"case": case_ref or "-"})]
    else:
        lines = [Text("alert.case_repeat", {"case": case_ref or "-", "count": count, "first": uk_time(first_raised)})]
    if raised_again is not None:
        lines.append(Text("alert.raised_again_line", {"time": uk_time(raised_again)}))
    return tuple(lines)


def alert_for_staff(
    alert_id: int,
    tier: str,
    organisation: str,
    share_level: str,
    reasons: tuple[str, ...],
    escalated: bool = False,
    nobody_on_duty: bool = False,
    case: tuple[Text, ...] = (),
) -> Reply:
    """The alert a volunteer or coordinator receives, with only what the member's sharing level allows."""
    parts = [Text("alert.escalated")] if escalated else []
    if nobody_on_duty:
        parts.append(Text("alert.nobody_on_duty"))
    parts.append(Text(f"alert.headline.{tier}", {"organisation": organisation, "id": alert_id}))
    parts.extend(case)
    shared = shared_reasons(share_level, reasons)
    if shared:
        parts.append(Text("alert.reasons", {"lines": tuple(Text("alert.reason_line", {"reason": r}) for r in shared)}))
    else:
        parts.append(Text("alert.flag_only"))
    parts.append(Text("alert.how_to_help"))
    return reply(*parts, buttons=alert_buttons(alert_id))


def raised_again_notice(alert_id: int, case_ref: str, now: datetime) -> Reply:
    """Sent to the person holding an alert when a new signal joins it: they say they are on it, or it moves on."""
    buttons = ((Button(Text("alert.on_it"), button_data(ALERT_FLOW, "ack", str(alert_id))),), *holder_buttons(alert_id))
    return reply(
        Text("alert.raised_again", {"time": uk_time(now), "id": alert_id, "case": case_ref or "-"}), buttons=buttons
    )


def member_fallback(crisis: CrisisResources) -> Reply:
    """Told to the member when nobody has claimed an urgent alert in time: plainly, with the resources again."""
    return reply(Text("alert.member_fallback"), resources_text(crisis))


def member_nobody_yet(crisis: CrisisResources, organisation: str) -> Reply:
    """Told to the member when nobody in the organisation can receive their alert: plainly, with the resources."""
    return reply(Text("sharing.nobody_yet", {"organisation": organisation}), resources_text(crisis))


def relay_invitation(session_id: int, name: str, organisation: str) -> Reply:
    """Ask the member whether a volunteer may chat with them through the bot."""
    buttons = (
        (Button(Text("relay.accept"), button_data("rl", "accept", str(session_id))),),
        (Button(Text("relay.decline"), button_data("rl", "decline", str(session_id))),),
    )
    return reply(Text("relay.invitation", {"name": name, "organisation": organisation}), buttons=buttons)
