"""Alerts: waiting, escalated, claimed and resolved; open one to see what the member shares; claim; resolve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot.web.dashboard import alert_actions
from bot.web.dashboard.alert_access import AlertAccess, access, consent_now, shared_now
from bot.web.dashboard.auth import DashboardUser, staff_only, user_of
from bot.web.dashboard.deps import DashboardDeps, deps_of
from bot.web.dashboard.render import flash, render, see_other
from flows.outcome import Text
from flows.safeguarding.model import MemberOutcome, may_view_record
from flows.staff import OUTCOMES
from models.alerts import AlertRow
from models.staff import StaffRow

routes = web.RouteTableDef()

RESOLVED_SHOWN_FOR = timedelta(days=30)
SHOWN_OUTCOMES = frozenset(outcome.value for outcome in MemberOutcome)
GROUPS = (
    ("escalated", "Escalated: still waiting", "Nobody claimed these in time; coordinators have been told."),
    ("open", "Waiting", "Not claimed yet."),
    ("claimed", "Claimed", "Someone is looking after these."),
    ("resolved", "Resolved in the last 30 days", ""),
)


@dataclass(frozen=True)
class AlertView:
    """An alert as a page shows it: only what the member's sharing level allows."""

    id: int
    tier: str
    tier_label: str
    status: str
    status_label: str
    created_at: datetime
    claimed_by_name: str
    claimed_by_me: bool
    outcome_label: str
    resolved_at: datetime | None
    can_claim: bool
    case_ref: str = ""
    raised_again_at: datetime | None = None


def _view(
    deps: DashboardDeps, alert: AlertRow, user: DashboardUser, names: dict[int, str], allowed: AlertAccess
) -> AlertView:
    render_text = deps.catalogue.render
    claimer = ""
    if alert.claimed_by is not None:
        claimer = (
            "you"
            if alert.claimed_by == user.member_id
            else names.get(alert.claimed_by, "someone no longer in the team")
        )
    return AlertView(
        alert.id,
        alert.tier,
        render_text(Text(f"tier.{alert.tier}")),
        alert.status,
        render_text(Text(f"alert_status.{alert.status}")),
        alert.created_at,
        claimer,
        alert.claimed_by == user.member_id,
        render_text(Text(f"outcome.{alert.outcome}")) if alert.outcome in SHOWN_OUTCOMES else "",
        alert.resolved_at,
        allowed.can_claim,
        alert.case_ref,
        alert.raised_again_at,
    )


def _visible(alert: AlertRow, staff: StaffRow | None) -> bool:
    """Whether the alert is listed and its page opens for this person (flows.safeguarding decides: never an alert
    about oneself; a resolved one only for its holder and the coordinators). What the member shared is shown only
    as `alert_access.access` allows."""
    return may_view_record(alert.model(), staff.person() if staff else None).allowed


def _alert_id(request: web.Request) -> int:
    raw = request.match_info["alert_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


@routes.get("/dashboard/alerts")
@staff_only
async def alerts(request: web.Request) -> web.Response:
    """List the organisation's alerts by status (no reasons here: those are on each alert's page, which is audited)."""
    deps, user = deps_of(request), user_of(request)
    now = deps.clock()
    async with deps.units() as uow:
        claimed_by = None if user.is_coordinator else user.member_id
        rows = await uow.alerts.for_dashboard(user.organisation_id, now - RESOLVED_SHOWN_FOR, claimed_by)
        staff = await uow.team.of_member(user.member_id)
        names = {mate.member_id: mate.display_name for mate in await uow.team.of_organisation(user.organisation_id)}
        await uow.audit.record("alerts_listed", "organisation", user.organisation_id, now, user.member_id,
                               user.organisation_id)  # fmt: skip
        await uow.commit()
    views = [_view(deps, row, user, names, access(row, staff, now)) for row in rows if _visible(row, staff)]
    groups = [
        {"status": status, "title": title, "hint": hint, "alerts": [v for v in views if v.status == status]}
        for status, title, hint in GROUPS
    ]
    return render(request, "alerts.html", {"groups": groups})


@routes.get("/dashboard/alerts/{alert_id}")
@staff_only
async def alert_page(request: web.Request) -> web.Response:
    """One alert with what the member shares today, to those the bot would tell; every view is audited."""
    return await _alert_page(request, _alert_id(request))


async def _alert_page(request: web.Request, alert_id: int, error: str = "", status: int = 200) -> web.Response:
    deps, user = deps_of(request), user_of(request)
    now = deps.clock()
    async with deps.units() as uow:
        alert = await uow.alerts.in_organisation(alert_id, user.organisation_id)
        staff = await uow.team.of_member(user.member_id)
        if alert is None or not _visible(alert, staff):
            raise web.HTTPNotFound()
        allowed = access(alert, staff, now)
        shared = shared_now(alert, await consent_now(uow, alert.member_id)) if allowed.details else None
        mine = alert.claimed_by == user.member_id
        note = await uow.alerts.note_of(alert.id) if alert.has_note and (mine or user.is_coordinator) else None
        names = {mate.member_id: mate.display_name for mate in await uow.team.of_organisation(user.organisation_id)}
        action = "alert_viewed" if allowed.details else "alert_details_refused"
        await uow.audit.record(action, "alert", alert.id, now, user.member_id, user.organisation_id)
        await uow.commit()
    context = {
        "alert": _view(deps, alert, user, names, allowed),
        "details": allowed.details,
        "why_not": allowed.why_not,
        "withdrawn": shared is not None and shared.withdrawn,
        "reasons": shared.reasons if shared is not None else (),
        "flag_only": deps.catalogue.render(Text("alert.flag_only")),
        "note": note,
        "outcomes": [(code, deps.catalogue.render(Text(f"outcome.{code}"))) for code in OUTCOMES],
        "error": error,
    }
    return render(request, "alert.html", context, status=status)


@routes.post("/dashboard/alerts/{alert_id}/claim")
@staff_only
async def claim(request: web.Request) -> web.StreamResponse:
    """Claim an alert (the same step as the bot's Claim button)."""
    alert_id = _alert_id(request)
    result = await alert_actions.claim(deps_of(request), user_of(request), alert_id)
    if result.messages:
        flash(request, " ".join(result.messages))
    return see_other(f"/dashboard/alerts/{alert_id}")


@routes.post("/dashboard/alerts/{alert_id}/resolve")
@staff_only
async def resolve(request: web.Request) -> web.StreamResponse:
    """Resolve an alert one has claimed, with an outcome and an optional note."""
    alert_id = _alert_id(request)
    form = await request.post()
    code, note = form.get("outcome", ""), form.get("note", "")
    code = code if isinstance(code, str) else ""
    note = note if isinstance(note, str) else ""
    result = await alert_actions.resolve(deps_of(request), user_of(request), alert_id, code, note[:2000])
    if result.refused == "unknown_choice":
        return await _alert_page(request, alert_id, "Choose what happened before resolving the alert.", 400)
    if result.refused == "not_claimer":
        raise web.HTTPForbidden(reason="Only the person who claimed this alert can resolve it.")
    if result.messages:
        flash(request, " ".join(result.messages))
    return see_other(f"/dashboard/alerts/{alert_id}")


@routes.post("/dashboard/alerts/{alert_id}/get-in-touch")
@staff_only
async def get_in_touch(request: web.Request) -> web.StreamResponse:
    """Start the relayed chat from the alert page: the member is asked first; the chat itself is in Telegram."""
    alert_id = _alert_id(request)
    result = await alert_actions.get_in_touch(deps_of(request), user_of(request), alert_id)
    if result.messages:
        flash(request, " ".join(result.messages))
    return see_other(f"/dashboard/alerts/{alert_id}")
