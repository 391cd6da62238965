"""Activities (coordinators): list, add, change, cancel a session, import an Open Referral UK file.

Every query is limited to the coordinator's organisation: another organisation's listing answers 404 and nothing
changes. Saving and cancelling go through the bot's own effects (bot.activity_effects), so members who said they'd
go hear about a cancelled or moved session the same way, through the outbox, in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.activity_effects import ActivityEffects
from bot.activity_files import decode_text, import_document, report_lines
from bot.web.dashboard.activity_form import (
    DAY_KEYS,
    DAY_NAMES,
    KEEP,
    ActivityForm,
    area_options,
    form_from_activity,
    form_from_post,
    listing_from,
    new_form,
    read_form,
)
from bot.web.dashboard.activity_view import (
    cancelled_days,
    card_in_words,
    coming_sessions,
    find_coming,
    find_held,
    interest_labels,
    list_row,
    past_sessions,
    who_sees,
)
from bot.web.dashboard.auth import DashboardUser, coordinator_only, user_of
from bot.web.dashboard.deps import deps_of
from bot.web.dashboard.render import flash, render, see_other
from bot.web.dashboard.writing import signpost_for, still_coordinator
from flows.activities.cards import when_text
from flows.activities.facts import activity_key
from flows.activities.manage_lists import CANCEL_WINDOW, cancel_effect
from flows.activities.model import Activity
from flows.activities.occurrences import next_occurrence
from models.activity_counts import ActivityCounts
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn")
routes = web.RouteTableDef()

BASE = "/dashboard/activities"
KEY = r"{key:[0-9a-f]{10}}"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MOST_PEOPLE = 10_000
LIST_PAGE = 50
"""Activities a page of the list shows: the page is read in SQL, never the whole directory."""
UPLOAD_TYPES = ".json,.csv,application/json,text/csv"


async def _ours(uow: UnitOfWork, user: DashboardUser, key: str) -> Activity:
    """The organisation's listing with this key, or 404 (another organisation's is not confirmed to exist)."""
    found = await uow.activities.by_key(user.organisation_id, key)
    if found is None:
        raise web.HTTPNotFound()
    return found


@routes.get(BASE)
@coordinator_only
async def activities(request: web.Request) -> web.Response:
    """List one page of the organisation's activities by name: what is on and for whom."""
    deps, user = deps_of(request), user_of(request)
    raw = request.query.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1
    async with deps.units() as uow:
        listed, total = await uow.activities.organisation_page(
            user.organisation_id, (number - 1) * LIST_PAGE, LIST_PAGE
        )
        held = await uow.activities.count(user.organisation_id)  # defunct ones too: they count against the limit
    pages = max(1, -(-total // LIST_PAGE))
    if number > pages:
        raise web.HTTPNotFound()
    now = deps.clock()
    neighbourhoods = deps.settings.neighbourhoods
    # working out each listing's next session is the page's own CPU work: in a thread, the bot's loop (and another
    # organisation's crisis reply) waits for it a few milliseconds at a time, not for the whole page
    rows = await asyncio.to_thread(lambda: [list_row(a, now, deps.catalogue, neighbourhoods) for a in listed])
    most = deps.settings.max_listings_per_organisation
    context = {
        "rows": rows,
        "total": total,
        "page": number,
        "pages": pages,
        "first": (number - 1) * LIST_PAGE + 1,
        "last": (number - 1) * LIST_PAGE + len(rows),
        "most": most,
        "held": held,
        "full": held >= most,
    }
    return render(request, "activities.html", context)


@routes.get(BASE + "/new")
@coordinator_only
async def new_activity(request: web.Request) -> web.Response:
    """The form for a new listing (or, when the organisation lists as many as it may, why not)."""
    deps, user = deps_of(request), user_of(request)
    async with deps.units() as uow:
        full = await _full(uow, user, deps.settings.max_listings_per_organisation)
    if full:
        return _form_page(request, new_form(), {"form": full}, None, status=409)
    return _form_page(request, new_form(), {}, None)


async def _full(uow: UnitOfWork, user: DashboardUser, most: int) -> str:
    """The refusal to show when the organisation already lists as many activities as it may; empty otherwise."""
    held = await uow.activities.count(user.organisation_id)
    if held < most:
        return ""
    return (
        f"Your organisation lists {held:,} activities, the most one organisation may list ({most:,}). "
        "Mark old ones as ended or remove them in your directory and import it again before adding another."
    )


@routes.post(BASE + "/new")
@coordinator_only
async def add_activity(request: web.Request) -> web.StreamResponse:
    """Add a listing (sending the same form twice adds it once)."""
    return await _save(request, None)


@routes.get(BASE + "/" + KEY)
@coordinator_only
async def activity(request: web.Request) -> web.Response:
    """One listing: the card members see, the coming sessions to cancel, the ones already cancelled."""
    deps, user = deps_of(request), user_of(request)
    now, catalogue = deps.clock(), deps.catalogue
    async with deps.units() as uow:
        found = await _ours(uow, user, request.match_info["key"])
        counts = await ActivityCounts(uow.session).headcounts(
            user.organisation_id, found.id, (now - CANCEL_WINDOW).date() - timedelta(days=1)
        )
    labels = interest_labels(catalogue)
    signpost = None
    if "saved" in request.query:
        place = found.locations[0].name if found.locations else ""
        signpost = await signpost_for(deps, found.name, found.description, place)
    context = {
        "activity": found,
        "key": request.match_info["key"],
        "card": card_in_words(found, now, catalogue),
        "who": who_sees(found, deps.settings.neighbourhoods),
        "interests": [labels.get(term, term) for term in found.interests],
        "sessions": coming_sessions(found, now, catalogue),
        "cancelled": cancelled_days(found, now, catalogue),
        "held": past_sessions(found, now, catalogue, counts),
        "signpost": signpost,
    }
    return render(request, "activity.html", context)


@routes.get(BASE + "/" + KEY + "/edit")
@coordinator_only
async def edit_activity(request: web.Request) -> web.Response:
    """The form filled in with what the listing holds."""
    deps, user = deps_of(request), user_of(request)
    async with deps.units() as uow:
        found = await _ours(uow, user, request.match_info["key"])
    return _form_page(request, form_from_activity(found, deps.settings.neighbourhoods), {}, found)


@routes.post(BASE + "/" + KEY + "/edit")
@coordinator_only
async def change_activity(request: web.Request) -> web.StreamResponse:
    """Save the parts of the listing that were changed."""
    return await _save(request, request.match_info["key"])


async def _save(request: web.Request, key: str | None) -> web.StreamResponse:
    deps, user = deps_of(request), user_of(request)
    form = form_from_post(await request.post())
    now = deps.clock()
    neighbourhoods = deps.settings.neighbourhoods
    term_ids = tuple(interest_labels(deps.catalogue))
    async with deps.units() as uow:
        existing = await _ours(uow, user, key) if key is not None else None
        before = form_from_activity(existing, neighbourhoods) if existing is not None else None
        read = read_form(form, now, term_ids, neighbourhoods, existing, before)
        if read.errors:
            return _form_page(request, form, read.errors, existing, status=422)
        if not await still_coordinator(uow, user):
            raise web.HTTPForbidden(reason="This page is for coordinators.")
        listing = listing_from(read, user.organisation_id, existing, form.form_id)
        result = await ActivityEffects(deps.catalogue).save_listing(uow, listing, user.organisation_id, now)
        if result is None:
            errors = {"form": "This form has expired. Please start again."}
            return _form_page(request, new_form(), errors, existing, status=409)
        if result.refused_for_limit:
            errors = {"form": await _full(uow, user, result.limit or 0) or "Your organisation lists the most it may."}
            return _form_page(request, form, errors, existing, status=409)
        action = "activity_added" if result.added else "activity_changed" if result.updated else ""
        if action:
            await uow.audit.record(action, "activity", None, now, user.member_id, user.organisation_id)
        await uow.commit()
    flash(request, "Saved. Members see it as shown below." if action else "Nothing was changed.")
    return see_other(f"{BASE}/{activity_key(listing.id)}?saved=1")


def _form_page(
    request: web.Request, form: ActivityForm, errors: dict[str, str], existing: Activity | None, status: int = 200
) -> web.Response:
    deps = deps_of(request)
    labels = interest_labels(deps.catalogue)
    keep_when = ""
    if existing is not None and form_from_activity(existing, deps.settings.neighbourhoods).when == KEEP:
        session = next_occurrence(existing, deps.clock())
        keep_when = deps.catalogue.render(when_text(session, deps.clock())) if session else "no sessions coming up"
    context: dict[str, Any] = {
        "form": asdict(form),
        "errors": errors,
        "existing": existing,
        "editing": existing is not None,
        "key": activity_key(existing.id) if existing is not None else "",
        "days": list(zip(DAY_KEYS, DAY_NAMES, strict=True)),
        "terms": list(labels.items()),
        "areas": area_options(form.postcode, deps.settings.neighbourhoods, existing),
        "keep_when": keep_when,
    }
    return render(request, "activity_form.html", context, status=status)


@routes.get(BASE + "/" + KEY + "/sessions/{code:[0-9]{6}}/cancel")
@coordinator_only
async def confirm_cancel(request: web.Request) -> web.Response:
    """Ask before cancelling a session, showing the note members who said they'd go will get."""
    deps, user = deps_of(request), user_of(request)
    async with deps.units() as uow:
        found = await _ours(uow, user, request.match_info["key"])
    now = deps.clock()
    session = find_coming(found, request.match_info["code"], now)
    if session is None:
        raise web.HTTPNotFound()
    notice = deps.catalogue.render_reply(cancel_effect(found, session, now).notice)
    when = deps.catalogue.render(when_text(session, now, relative=False))
    context = {"activity": found, "key": request.match_info["key"], "code": request.match_info["code"], "when": when}
    context["notice"] = notice
    return render(request, "activity_cancel.html", context)


@routes.post(BASE + "/" + KEY + "/sessions/{code:[0-9]{6}}/cancel")
@coordinator_only
async def cancel_session(request: web.Request) -> web.StreamResponse:
    """Cancel one session; members who said they'd go get the note, and their reminders are withdrawn."""
    deps, user = deps_of(request), user_of(request)
    now = deps.clock()
    key = request.match_info["key"]
    async with deps.units() as uow:
        found = await _ours(uow, user, key)
        session = find_coming(found, request.match_info["code"], now)
        if session is None:
            raise web.HTTPNotFound()
        if not await still_coordinator(uow, user):
            raise web.HTTPForbidden(reason="This page is for coordinators.")
        effect = cancel_effect(found, session, now)
        told = await ActivityEffects(deps.catalogue).cancel_session(uow, effect, user.organisation_id, now)
        if told is None:
            raise web.HTTPNotFound()
        await uow.audit.record(
            "activity_session_cancelled", "activity", None, now, user.member_id, user.organisation_id
        )
        await uow.commit()
    when = deps.catalogue.render(when_text(session, now, relative=False))
    flash(request, f"Cancelled: {found.name}, {when}. Members who said they'd go will get a message.")
    return see_other(f"{BASE}/{key}")


@routes.post(BASE + "/" + KEY + "/sessions/{code:[0-9]{6}}/headcount")
@coordinator_only
async def record_headcount(request: web.Request) -> web.StreamResponse:
    """Keep how many came to a session held in the last four weeks (entering it again replaces it)."""
    deps, user = deps_of(request), user_of(request)
    now, key = deps.clock(), request.match_info["key"]
    raw = str((await request.post()).get("count", "")).strip().replace(",", "")
    async with deps.units() as uow:
        found = await _ours(uow, user, key)
        session = find_held(found, request.match_info["code"], now)
        if session is None:
            raise web.HTTPNotFound()
        if not raw.isdigit() or int(raw) > MOST_PEOPLE:
            flash(request, f"Please give how many came as a whole number from 0 to {MOST_PEOPLE:,}.")
            return see_other(f"{BASE}/{key}")
        if not await still_coordinator(uow, user):
            raise web.HTTPForbidden(reason="This page is for coordinators.")
        day = session.starts_at.date()
        await ActivityCounts(uow.session).record_headcount(user.organisation_id, found.id, day, int(raw), now)
        await uow.audit.record("activity_headcount", "activity", None, now, user.member_id, user.organisation_id)
        await uow.commit()
    log.info("activity_headcount_recorded")
    when = deps.catalogue.render(when_text(session, now, relative=False))
    flash(request, f"Saved: {int(raw):,} came to {found.name}, {when}.")
    return see_other(f"{BASE}/{key}")


@routes.get(BASE + "/import")
@coordinator_only
async def import_form(request: web.Request) -> web.Response:
    """The form to import an Open Referral UK file (JSON or CSV)."""
    return render(request, "activity_import.html", _import_context(request))


@routes.post(BASE + "/import")
@coordinator_only
async def import_file(request: web.Request) -> web.Response:
    """Import the uploaded file as the organisation's activities and show the plain report, as the CLI prints it."""
    deps, user = deps_of(request), user_of(request)
    upload = (await request.post()).get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return render(request, "activity_import.html", _import_context(request, "Choose a file to import."), 422)
    name = upload.filename[-120:]
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        problem = f"That file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        return render(request, "activity_import.html", _import_context(request, problem), 413)
    async with deps.units() as uow:
        allowed = await still_coordinator(uow, user)
    if not allowed:
        raise web.HTTPForbidden(reason="This page is for coordinators.")
    summary = await import_document(
        deps.units,
        decode_text(data),
        name,
        user.organisation_id,
        deps.clock(),
        actor_member_id=user.member_id,
        most_records=deps.settings.max_import_records,
    )
    head, *lines = report_lines(summary, name)
    context = _import_context(request) | {"report": {"head": head, "lines": lines, "ok": summary.readable}}
    return render(request, "activity_import.html", context, status=200 if summary.readable else 422)


def _import_context(request: web.Request, problem: str = "") -> dict[str, Any]:
    settings = deps_of(request).settings
    return {
        "problem": problem,
        "accept": UPLOAD_TYPES,
        "limit_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        "most_records": settings.max_import_records,
        "most_listings": settings.max_listings_per_organisation,
    }
