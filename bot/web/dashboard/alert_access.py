"""Who may see what a member shared on an alert, and claim it: the bot's own rule, checked when a page is shown.

The bot (bot/jobs/alerts.py) sends an alert's details to the staff on duty (or, with nobody on duty, to the
coordinators), never to the member it is about, then to the coordinators if nobody claims it in time; once someone
claims it, the others' messages are changed to say only who took it. So on the dashboard a coordinator sees every
alert of the organisation; a volunteer sees the details of an alert they claimed, or of an unclaimed one while they
are on duty (switched on or in their rota hours), and may claim only then. What is shown follows the member's
consent as it is now: after "share with the team" is withdrawn, nothing they shared is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flows.alert_messages import shared_reasons
from flows.consent import ConsentAction, ConsentEvent, ConsentScope, ConsentState, ShareLevel
from flows.safeguarding.model import Refusal, may_claim, may_see
from models.alerts import AlertRow
from models.staff import StaffRow
from models.unit_of_work import UnitOfWork

OFF_DUTY = (
    "You can see what the member shared, and claim this alert, while you are on duty. "
    "To go on duty, send /duty on to Cairn in Telegram."
)
ABOUT_YOU = "This alert is about you, so it goes to others in the team."
NOT_IN_TEAM = "Only the team can see what members share."
CLAIMED_BY_OTHER = "Only the person who claimed this alert, and coordinators, can see what the member shared."
RESOLVED = "This alert is resolved: only the person who claimed it, and coordinators, can see it."
WHY_NOT = {
    Refusal.OFF_DUTY: OFF_DUTY,
    Refusal.ALREADY_CLAIMED: CLAIMED_BY_OTHER,
    Refusal.ABOUT_YOU: ABOUT_YOU,
    Refusal.NOT_IN_TEAM: NOT_IN_TEAM,
    Refusal.RESOLVED: RESOLVED,
}


@dataclass(frozen=True)
class AlertAccess:
    """What one person may do with one alert now."""

    details: bool  # may see what the member shared (as far as the member shares it now)
    can_claim: bool
    why_not: str = ""  # plain words for a volunteer who may not see the details


@dataclass(frozen=True)
class SharedNow:
    """What the member shares today: the reasons shown, and whether they withdrew their consent to share."""

    reasons: tuple[str, ...]
    withdrawn: bool


def access(alert: AlertRow, staff: StaffRow | None, now: datetime) -> AlertAccess:
    """Whether this person may see the alert's details and claim it now (flows.safeguarding.model decides)."""
    model = alert.model()
    person = staff.person() if staff is not None else None
    seen = may_see(model, person, now)
    claim = may_claim(model, person, now)
    return AlertAccess(seen.allowed, claim.allowed, WHY_NOT.get(seen.refusal, "") if seen.refusal else "")


def shared_now(alert: AlertRow, consent: ConsentState) -> SharedNow:
    """The reasons the member's sharing allows today: the narrower of their choice then (on the alert) and now."""
    if not consent.allows(ConsentScope.SHARE_FLAGS):
        return SharedNow((), True)
    level = alert.share_level if consent.share_level is ShareLevel.WITH_ANSWERS else ShareLevel.FLAG_ONLY.value
    return SharedNow(shared_reasons(level, alert.reasons), False)


async def consent_now(uow: UnitOfWork, member_id: int) -> ConsentState:
    """The member's current consent, folded from their records as the bot folds them."""
    return ConsentState.from_events(
        ConsentEvent(
            ConsentScope(row.scope),
            ConsentAction(row.action),
            ShareLevel(row.share_level) if row.share_level else None,
        )
        for row in await uow.consents.history(member_id)
    )
