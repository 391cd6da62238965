"""Claim, resolve and get in touch from the dashboard: the alert desk and the same rules as the bot's buttons.

The rules are flows/safeguarding/model.py's; the desk (bot/safeguarding/desk.py) applies them with the same
outbox messages as the bot. No button press is forged and no chat facts are faked.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.safeguarding.desk import AlertDesk
from bot.web.dashboard.auth import DashboardUser
from bot.web.dashboard.deps import DashboardDeps
from flows.alert_messages import relay_invitation
from flows.outcome import Text
from flows.safeguarding.model import STAFF_OUTCOMES, Refusal, may_act_as_holder
from flows.staff import REFUSAL_NOTICES
from models.alerts import AlertRow
from models.staff import StaffRow
from models.unit_of_work import UnitOfWork

OUTCOME_CODES = frozenset(outcome.value for outcome in STAFF_OUTCOMES)


@dataclass(frozen=True)
class ActionResult:
    """What happened, in texts for the person who acted."""

    messages: tuple[str, ...]
    refused: str | None = None


async def _load(uow: UnitOfWork, user: DashboardUser, alert_id: int) -> tuple[StaffRow, AlertRow]:
    staff = await uow.team.of_member(user.member_id)
    alert = await uow.alerts.in_organisation(alert_id, user.organisation_id)
    if staff is None or alert is None or staff.organisation_id != user.organisation_id:
        raise web.HTTPNotFound()
    return staff, alert


def _said(deps: DashboardDeps, key: str, values: dict[str, object] | None = None) -> str:
    return deps.catalogue.render(Text(key, values or {}))


async def claim(deps: DashboardDeps, user: DashboardUser, alert_id: int) -> ActionResult:
    """Claim an alert as the bot's Claim button does; the claimer's Telegram gets it with its buttons."""
    async with deps.units() as uow:
        staff, _ = await _load(uow, user, alert_id)
        refusal = await AlertDesk(deps.catalogue).claim(uow, alert_id, staff, deps.clock(), from_web=True)
        await uow.commit()
    if refusal is Refusal.NOT_IN_TEAM:
        raise web.HTTPNotFound()
    if refusal is not None:
        return ActionResult((_said(deps, REFUSAL_NOTICES[refusal]),), refusal.value)
    return ActionResult((_said(deps, "alert.claimed_by_you", {"id": alert_id}),))


async def resolve(deps: DashboardDeps, user: DashboardUser, alert_id: int, code: str, note: str) -> ActionResult:
    """Resolve an alert one holds with an outcome and an optional note (kept encrypted), as the bot does."""
    if code not in OUTCOME_CODES:
        return ActionResult((), "unknown_choice")
    async with deps.units() as uow:
        staff, _ = await _load(uow, user, alert_id)
        refusal = await AlertDesk(deps.catalogue).resolve(uow, alert_id, staff, code, note, deps.clock())
        await uow.commit()
    if refusal is Refusal.NOT_IN_TEAM:
        raise web.HTTPNotFound()
    if refusal is Refusal.NOT_CLAIMER:
        return ActionResult((), "not_claimer")
    if refusal is not None:
        return ActionResult((_said(deps, REFUSAL_NOTICES[refusal]),), refusal.value)
    messages = (_said(deps, "alert.resolved", {"id": alert_id}),)
    return ActionResult(messages + ((_said(deps, "alert.note_saved"),) if note.strip() else ()))


async def get_in_touch(deps: DashboardDeps, user: DashboardUser, alert_id: int) -> ActionResult:
    """Start the relayed chat from the alert page: the member is asked first, as in the bot; the holder's side
    is in Telegram."""
    now = deps.clock()
    desk = AlertDesk(deps.catalogue)
    async with deps.units() as uow:
        staff, alert = await _load(uow, user, alert_id)
        refusal = may_act_as_holder(alert.model(), staff.person()).refusal
        if refusal is not None:
            return ActionResult((_said(deps, REFUSAL_NOTICES[refusal]),), refusal.value)
        session_id = await uow.relay.open(alert.id, alert.member_id, staff.member_id,
                                          alert.share_level == "with_answers", now)  # fmt: skip
        organisation = await uow.organisations.by_id(alert.organisation_id)
        invitation = relay_invitation(session_id, staff.display_name, organisation.name if organisation else "")
        await desk.send(uow, alert.member_id, alert.member_chat_id, "relay", invitation, now, alert.id)
        await uow.audit.record("relay_asked", "alert", alert.id, now, staff.member_id, staff.organisation_id)
        await uow.commit()
    return ActionResult((_said(deps, "relay.asked"),))
