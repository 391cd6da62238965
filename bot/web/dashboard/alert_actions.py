"""Claim and resolve alerts from the dashboard through the same flow steps and effects as the bot's buttons."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aiohttp import web

from bot.staff_effects import STAFF_EFFECTS, StaffEffects
from bot.web.dashboard.alert_access import CLAIMABLE, access
from bot.web.dashboard.auth import DashboardUser
from bot.web.dashboard.deps import DashboardDeps
from flows.callbacks import ButtonChoice
from flows.crisis import CrisisResources, load_crisis_resources
from flows.outcome import Outcome
from flows.snapshot import AlertInfo, Facts, MemberSnapshot, StaffInfo
from flows.staff import ALERT_FLOW, OUTCOMES, on_alert_button, on_note_text
from models.alerts import AlertRow
from models.staff import StaffRow
from models.unit_of_work import UnitOfWork


@functools.lru_cache(maxsize=8)
def crisis_for(region: str) -> CrisisResources:
    """The region's crisis resources (read once)."""
    return load_crisis_resources(region)


@dataclass
class ActionState:
    """What the effects left behind (a claim that lost a race replaces the outcome, as in the bot)."""

    outcome: Outcome


@dataclass(frozen=True)
class ActionResult:
    """What happened, in texts for the person who acted."""

    messages: tuple[str, ...]
    refused: str | None = None


def _facts(deps: DashboardDeps, staff: StaffRow, alert: AlertRow) -> Facts:
    info = StaffInfo(staff.organisation_id, staff.role, staff.display_name, staff.on_duty, staff.rota_days,
                     staff.rota_hours)  # fmt: skip
    found = AlertInfo(alert.id, alert.organisation_id, alert.tier, alert.status, alert.claimed_by, alert.member_id)
    return Facts(
        MemberSnapshot(registered=True),
        deps.catalogue,
        crisis_for(deps.settings.region),
        deps.clock(),
        member_id=staff.member_id,
        staff=info,
        alert=found,
    )


async def _run(uow: UnitOfWork, deps: DashboardDeps, outcome: Outcome, staff: StaffRow, facts: Facts) -> Outcome:
    """Apply the staff effects of a step; conversation effects are for the chat, not the web, and are skipped."""
    member = await uow.members.by_id(staff.member_id)
    assert member is not None
    state = ActionState(outcome)
    effects = StaffEffects(deps.catalogue, crisis_for(deps.settings.region))
    for effect in outcome.effects:
        if type(effect).__name__ in STAFF_EFFECTS:
            await effects.apply(uow, effect, member, facts, state)
    return state.outcome


def _first_texts(deps: DashboardDeps, outcome: Outcome) -> tuple[str, ...]:
    texts = [deps.catalogue.render(found.parts[0]) for found in outcome.replies[:1] if found.parts]
    if outcome.notice is not None:
        texts.append(deps.catalogue.render(outcome.notice))
    return tuple(texts)


async def _load(uow: UnitOfWork, user: DashboardUser, alert_id: int) -> tuple[StaffRow, AlertRow]:
    staff = await uow.team.of_member(user.member_id)
    alert = await uow.alerts.in_organisation(alert_id, user.organisation_id)
    if staff is None or alert is None or staff.organisation_id != user.organisation_id:
        raise web.HTTPNotFound()
    return staff, alert


async def claim(deps: DashboardDeps, user: DashboardUser, alert_id: int) -> ActionResult:
    """Claim an alert, as the bot's Claim button does (other volunteers' messages say who took it).

    Only those the bot would send the alert to may claim it: coordinators, and volunteers while on duty.
    """
    async with deps.units() as uow:
        staff, alert = await _load(uow, user, alert_id)
        allowed = access(alert, staff, deps.clock())
        if alert.status in CLAIMABLE and alert.claimed_by is None and not allowed.can_claim:
            await uow.audit.record("alert_claim_refused", "alert", alert.id, deps.clock(), staff.member_id,
                                   staff.organisation_id)  # fmt: skip
            await uow.commit()
            return ActionResult((allowed.why_not,), "not_now")
        facts = _facts(deps, staff, alert)
        outcome = on_alert_button(ButtonChoice(ALERT_FLOW, "claim", str(alert.id)), facts)
        if outcome.refused == "not_allowed":
            raise web.HTTPNotFound()
        final = await _run(uow, deps, outcome, staff, facts)
        await uow.commit()
    return ActionResult(_first_texts(deps, final), outcome.refused)


async def resolve(deps: DashboardDeps, user: DashboardUser, alert_id: int, code: str, note: str) -> ActionResult:
    """Resolve an alert one has claimed with an outcome and an optional note (kept encrypted), as the bot does."""
    if code not in OUTCOMES:
        return ActionResult((), "unknown_choice")
    async with deps.units() as uow:
        staff, alert = await _load(uow, user, alert_id)
        if alert.status == "resolved":
            return ActionResult(("This alert is already resolved.",), "already_resolved")
        facts = _facts(deps, staff, alert)
        outcome = on_alert_button(ButtonChoice(ALERT_FLOW, "outcome", f"{alert.id}_{code}"), facts)
        if outcome.refused == "not_allowed":
            raise web.HTTPNotFound()
        if outcome.refused:
            return ActionResult(_first_texts(deps, outcome), outcome.refused)
        final = await _run(uow, deps, outcome, staff, facts)
        messages = _first_texts(deps, final)
        if note.strip():
            resolved = await uow.alerts.in_organisation(alert.id, user.organisation_id)
            assert resolved is not None
            noted = _facts(deps, staff, resolved)
            written = on_note_text(note, noted)
            await _run(uow, deps, written, staff, noted)
            messages += _first_texts(deps, written)
        await uow.commit()
    return ActionResult(messages)
