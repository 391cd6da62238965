"""Broadcasts (coordinators): write news, see who it will reach, preview exactly what members get, send, follow it.

Send writes the broadcast and one delivery per member in one transaction (bot.broadcast_effects.create_broadcast);
the running bot's broadcast job (bot/jobs/broadcasts.py) sends them, within Telegram's limits, and the progress page
reads the same delivery rows. The form carries a request key: pressing Send twice makes one broadcast. The bot has
no way to withdraw news once sent, so neither has the dashboard.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.broadcast_effects import create_broadcast
from bot.broadcast_facts import coming_cards
from bot.web.dashboard.activity_view import interest_labels
from bot.web.dashboard.auth import DashboardUser, coordinator_only, user_of
from bot.web.dashboard.broadcast_form import (
    SHOWN_FROM,
    Checked,
    ComposeForm,
    area_choices,
    audience_words,
    check,
    compose_from_post,
    count_words,
    interest_choices,
    new_compose,
    people_words,
    preview_text,
)
from bot.web.dashboard.deps import DashboardDeps, deps_of
from bot.web.dashboard.render import flash, render, see_other
from bot.web.dashboard.writing import signpost_for, still_coordinator
from flows.broadcast import SMALL_GROUP
from flows.broadcast_counts import ShownCount, after_sending
from flows.broadcast_counts import shown_count as audience_count
from flows.broadcast_message import MAX_TEXT, member_message
from flows.broadcast_model import ActivityCard, AudienceProfile
from models.broadcasts import BroadcastSummary, DeliveryCounts
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn")
routes = web.RouteTableDef()

BASE = "/dashboard/broadcasts"
ID = r"{broadcast_id:[0-9]{1,12}}"
LONDON = ZoneInfo("Europe/London")
ALREADY_SENT = "This news was sent already, once: here it is. To send more news, choose Write news again."
STATUS_WORDS = {"queued": "Waiting to start", "sending": "Sending", "done": "Done"}


@routes.get(BASE)
@coordinator_only
async def broadcasts(request: web.Request) -> web.Response:
    """The organisation's news, newest first, with how far each has gone."""
    deps, user = deps_of(request), user_of(request)
    async with deps.units() as uow:
        sent = await uow.broadcasts.for_organisation(user.organisation_id)
    rows = [
        {
            "id": b.id,
            "when": _when(b.created_at),
            "text": b.text if len(b.text) <= 80 else b.text[:79].rstrip() + "…",
            "people": people_words(after_sending(b.recipients, b.audience), deps.catalogue),
            "status": STATUS_WORDS.get(b.status, b.status),
        }
        for b in sent
    ]
    return render(request, "broadcasts.html", {"rows": rows})


@routes.get(BASE + "/new")
@coordinator_only
async def compose(request: web.Request) -> web.Response:
    """An empty news form with the audience as it is now."""
    return await _compose_page(request, new_compose(), {})


@routes.post(BASE + "/new")
@coordinator_only
async def compose_again(request: web.Request) -> web.Response:
    """The form again with what was entered: counts brought up to date, or back from the preview to change it."""
    return await _compose_page(request, compose_from_post(await request.post()), {})


@routes.post(BASE + "/preview")
@coordinator_only
async def preview(request: web.Request) -> web.Response:
    """Exactly what members will get, and how many; Send only when it may go."""
    deps, user = deps_of(request), user_of(request)
    form = compose_from_post(await request.post())
    async with deps.units() as uow:
        profile, cards, organisation = await _choices(uow, user, deps)
    checked = check(form, profile, cards, deps.catalogue)
    if checked.errors:
        return await _compose_page(request, form, checked.errors, status=422)
    return await _preview_page(request, form, checked, organisation)


@routes.post(BASE + "/send")
@coordinator_only
async def send(request: web.Request) -> web.StreamResponse:
    """Write the broadcast and its deliveries in one transaction; the same form sent again answers the same one."""
    deps, user = deps_of(request), user_of(request)
    post = await request.post()
    form = compose_from_post(post)
    if form.request_key != post.get("request_key"):
        raise web.HTTPBadRequest(reason="This form has expired. Please start again.")
    now = deps.clock()
    try:
        async with deps.units() as uow:
            already = await uow.broadcasts.by_request_key(user.organisation_id, form.request_key)
            if already is not None:
                flash(request, ALREADY_SENT)
                return see_other(f"{BASE}/{already}")
            if not await still_coordinator(uow, user):
                raise web.HTTPForbidden(reason="This page is for coordinators.")
            profile, cards, organisation = await _choices(uow, user, deps)
            checked = check(form, profile, cards, deps.catalogue)
            if not checked.sendable:
                return await _preview_page(request, form, checked, organisation, status=422)
            created = await create_broadcast(
                uow, user.organisation_id, user.member_id, checked.effect(), now, form.request_key
            )
            if created is None:
                return await _preview_page(request, form, checked, organisation, status=422)
            await uow.audit.record(
                "broadcast_created", "organisation", user.organisation_id, now, user.member_id, user.organisation_id
            )
            await uow.commit()
    except IntegrityError:  # the same form sent twice at once: the other request wrote it
        async with deps.units() as uow:
            created_by_other = await uow.broadcasts.by_request_key(user.organisation_id, form.request_key)
        if created_by_other is None:
            raise
        flash(request, ALREADY_SENT)
        return see_other(f"{BASE}/{created_by_other}")
    sent_to = ShownCount(created[1], checked.shown is not None and checked.shown.exact and checked.count == created[1])
    flash(request, f"Your news is on its way to {people_words(sent_to, deps.catalogue)}.")
    return see_other(f"{BASE}/{created[0]}")


@routes.get(BASE + "/" + ID)
@coordinator_only
async def progress_page(request: web.Request) -> web.Response:
    """One broadcast: what it said, to whom, and how it is going (the page updates itself while it sends)."""
    deps, user = deps_of(request), user_of(request)
    summary, counts = await _progress(deps, user, int(request.match_info["broadcast_id"]))
    async with deps.units() as uow:
        organisation = await uow.organisations.by_id(user.organisation_id)
    shown = member_message(summary.text, summary.card, organisation.name if organisation else "")
    labels = interest_labels(deps.catalogue)
    context = {
        "broadcast": summary,
        "message": deps.catalogue.render_reply(shown),
        "when": _when(summary.created_at),
        "people": people_words(after_sending(summary.recipients, summary.audience), deps.catalogue),
        "area": summary.audience.area or "Any area",
        "interests": ", ".join(labels.get(t, t) for t in sorted(summary.audience.interests)) or "Any interest",
        "progress": progress_numbers(summary, counts, deps),
    }
    return render(request, "broadcast.html", context)


@routes.get(BASE + "/" + ID + "/progress")
@coordinator_only
async def progress_json(request: web.Request) -> web.Response:
    """How a broadcast is going, as JSON for the progress page (numbers under 10 are words, as on the page)."""
    deps, user = deps_of(request), user_of(request)
    summary, counts = await _progress(deps, user, int(request.match_info["broadcast_id"]))
    return web.json_response(progress_numbers(summary, counts, deps), headers={"Cache-Control": "no-store"})


def progress_numbers(summary: BroadcastSummary, counts: DeliveryCounts, deps: DashboardDeps) -> dict[str, Any]:
    """The progress counts with the dashboard's small-number rule: a count from 1 to 9 reads "fewer than 10"."""

    def shown(count: int) -> str:
        return count_words(after_sending(count, summary.audience), deps.catalogue)

    return {
        "status": summary.status,
        "status_words": STATUS_WORDS.get(summary.status, summary.status),
        "done": summary.status == "done",
        "sent": shown(counts.sent),
        "left": shown(counts.left),
        "failed": shown(counts.failed),
        "uncertain": shown(counts.uncertain),
        "skipped": shown(counts.skipped),
    }


async def _progress(deps: DashboardDeps, user: DashboardUser, broadcast_id: int) -> tuple[BroadcastSummary, Any]:
    async with deps.units() as uow:
        summary = await uow.broadcasts.summary(broadcast_id, user.organisation_id)
        if summary is None:
            raise web.HTTPNotFound()
        counts = await uow.broadcasts.counts(broadcast_id)
    return summary, counts


async def _choices(
    uow: UnitOfWork, user: DashboardUser, deps: DashboardDeps
) -> tuple[AudienceProfile, tuple[ActivityCard, ...], str]:
    """The audience now, the activities a card may show, and the organisation's name for the footer."""
    organisation = await uow.organisations.by_id(user.organisation_id)
    profile = await uow.broadcasts.audience_profile(user.organisation_id)
    cards = await coming_cards(uow, user.organisation_id, deps.clock(), deps.catalogue)
    return profile, cards, organisation.name if organisation else ""


async def _compose_page(
    request: web.Request, form: ComposeForm, errors: dict[str, str], status: int = 200
) -> web.Response:
    deps, user = deps_of(request), user_of(request)
    async with deps.units() as uow:
        profile, cards, _ = await _choices(uow, user, deps)
    checked = check(form, profile, cards, deps.catalogue)
    labels = interest_labels(deps.catalogue)
    context = {
        "form": asdict(form),
        "errors": errors,
        "limit": MAX_TEXT,
        "cards": cards,
        "everyone": people_words(audience_count(profile), deps.catalogue),
        "areas": area_choices(profile, form, deps.catalogue),
        "interests": interest_choices(profile, form, labels, deps.catalogue),
        "audience": audience_words(checked, deps.catalogue),
        "small_group": SMALL_GROUP,
        "shown_from": SHOWN_FROM,
    }
    return render(request, "broadcast_compose.html", context, status=status)


async def _preview_page(
    request: web.Request, form: ComposeForm, checked: Checked, organisation: str, status: int = 200
) -> web.Response:
    deps = deps_of(request)
    message, button = preview_text(checked, organisation, deps.catalogue)
    context = {
        "form": asdict(form),
        "message": message,
        "button": button,
        "audience": audience_words(checked, deps.catalogue),
        "sendable": checked.sendable,
        "signpost": await signpost_for(deps, checked.text),
    }
    return render(request, "broadcast_preview.html", context, status=status)


def _when(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%-d %b %Y, %H:%M")
