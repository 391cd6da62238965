"""Volunteers (coordinators only): invite link, the team with rota and who is on duty now, remove someone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.operator import Link, create_invite
from bot.safeguarding.desk import AlertDesk, remove_from_team
from bot.web.dashboard.auth import coordinator_only, user_of
from bot.web.dashboard.deps import DashboardDeps, deps_of
from bot.web.dashboard.render import flash, render, see_other
from flows.outcome import Text
from flows.safeguarding.model import Refusal, may_remove
from flows.staff import DAYS
from models.staff import StaffRow

routes = web.RouteTableDef()

INVITE_VALID_FOR = timedelta(days=7)
DAY_NAMES = {number: name.title() for name, number in DAYS.items()}


@dataclass(frozen=True)
class MateView:
    """One person in the team as the page shows them."""

    member_id: int
    name: str
    role_label: str
    on_duty_now: bool
    duty_switched_on: bool
    rota: str
    is_me: bool


def _rota(row: StaffRow) -> str:
    if not row.rota_days:
        return "No weekly rota"
    return f"{', '.join(DAY_NAMES[day] for day in sorted(row.rota_days))}, {row.rota_hours}"


def _member_id(request: web.Request) -> int:
    raw = request.match_info["member_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


async def _team(deps: DashboardDeps, organisation_id: int, me: int) -> list[MateView]:
    now = deps.clock()
    async with deps.units() as uow:
        rows = await uow.team.of_organisation(organisation_id)
    return [
        MateView(
            row.member_id,
            row.display_name or deps.catalogue.render(Text("team.unnamed")),
            deps.catalogue.render(Text(f"role.{row.role}")),
            row.on_duty_at(now),
            row.on_duty,
            _rota(row),
            row.member_id == me,
        )
        for row in rows
    ]


async def _page(request: web.Request, invite_link: str = "", status: int = 200) -> web.Response:
    deps, user = deps_of(request), user_of(request)
    team = await _team(deps, user.organisation_id, user.member_id)
    context = {
        "team": team,
        "on_duty": [mate for mate in team if mate.on_duty_now],
        "invite_link": invite_link,
        "invite_days": INVITE_VALID_FOR.days,
    }
    return render(request, "volunteers.html", context, status=status)


@routes.get("/dashboard/volunteers")
@coordinator_only
async def volunteers(request: web.Request) -> web.Response:
    """The team, who is on duty now, and the invite button."""
    return await _page(request)


@routes.post("/dashboard/volunteers/invite")
@coordinator_only
async def invite(request: web.Request) -> web.Response:
    """Make a single-use volunteer invite link (as `create-invite` does) and show it once."""
    deps, user = deps_of(request), user_of(request)
    now = deps.clock()
    async with deps.units() as uow:
        organisation = await uow.organisations.by_id(user.organisation_id)
    if organisation is None:
        raise web.HTTPNotFound()
    payload = await create_invite(deps.units, organisation.slug, "volunteer", now, INVITE_VALID_FOR)
    async with deps.units() as uow:
        await uow.audit.record("staff_invite_created", "organisation", user.organisation_id, now, user.member_id,
                               user.organisation_id)  # fmt: skip
        await uow.commit()
    return await _page(request, Link(payload, deps.settings.telegram_bot_username).address)


async def _mate(request: web.Request) -> StaffRow:
    """The team member named in the address, only from the coordinator's own organisation (else 404)."""
    deps, user = deps_of(request), user_of(request)
    target = _member_id(request)
    async with deps.units() as uow:
        row = await uow.team.of_member(target)
    if row is None or row.organisation_id != user.organisation_id:
        raise web.HTTPNotFound()
    async with deps.units() as uow:
        me = await uow.team.of_member(user.member_id)
    decision = may_remove(me.person() if me else None, row.person())
    if decision.refusal is Refusal.ABOUT_YOU:
        raise web.HTTPBadRequest(reason="You cannot remove yourself from the team.")
    if not decision.allowed:
        raise web.HTTPNotFound()
    return row


@routes.get("/dashboard/volunteers/{member_id}/remove")
@coordinator_only
async def confirm_remove(request: web.Request) -> web.Response:
    """Ask for confirmation before removing someone."""
    row = await _mate(request)
    name = row.display_name or deps_of(request).catalogue.render(Text("team.unnamed"))
    return render(request, "volunteer_remove.html", {"member_id": row.member_id, "name": name})


@routes.post("/dashboard/volunteers/{member_id}/remove")
@coordinator_only
async def remove(request: web.Request) -> web.StreamResponse:
    """Remove someone from the team (the same step as the bot's /team button); their access ends at once."""
    deps, user = deps_of(request), user_of(request)
    row = await _mate(request)
    now = deps.clock()
    async with deps.units() as uow:
        me = await uow.team.of_member(user.member_id)
        if me is None or me.role != "coordinator":
            raise web.HTTPNotFound()
        if not await remove_from_team(uow, AlertDesk(deps.catalogue), row.member_id, user.organisation_id, now):
            raise web.HTTPNotFound()
        await uow.audit.record(
            "team_member_removed", "member", row.member_id, now, user.member_id, user.organisation_id
        )
        await uow.commit()
    flash(request, deps.catalogue.render(Text("team.removed")))
    return see_other("/dashboard/volunteers")
