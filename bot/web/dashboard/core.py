"""Core dashboard routes: landing, how to log in, the single-use login link, logout."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.metrics import METRICS
from bot.web.dashboard.auth import (
    LOGIN_CSRF,
    LOGIN_CSRF_COOKIE,
    RAW_SESSION,
    clear_session_cookie,
    maybe_user,
    new_login_csrf,
    set_session_cookie,
    staff_only,
)
from bot.web.dashboard.deps import deps_of
from bot.web.dashboard.render import error_page, render, see_other
from bot.web.throttle import client_address

log = logging.getLogger("cairn")

STATIC = Path(__file__).parent / "static"
routes = web.RouteTableDef()


@routes.get("/dashboard")
@staff_only
async def landing(request: web.Request) -> web.StreamResponse:
    """Send everyone to the alerts page."""
    return see_other("/dashboard/alerts")


@routes.get("/dashboard/how-to-log-in")
async def how_to_log_in(request: web.Request) -> web.Response:
    """Explain how to get a login link from the bot."""
    username = deps_of(request).settings.telegram_bot_username
    return render(
        request,
        "how_to_log_in.html",
        {
            "bot_username": username,
            "signed_in": maybe_user(request),
            "logged_out": "logged_out" in request.query,
        },
    )


def too_many_logins(request: web.Request) -> web.Response | None:
    """429 when the client's address has used up its login-link requests (counted in /metrics), else None."""
    deps = deps_of(request)
    if deps.login_throttle.take(client_address(request, deps.trusted_proxies)):
        return None
    METRICS.throttled_request("dashboard_login")
    log.warning("dashboard_login_throttled")
    response = error_page(request, 429, "Too many login attempts from your address. Wait a minute and try again.")
    response.headers["Retry-After"] = "60"
    return response


@routes.get("/dashboard/login")
async def login_page(request: web.Request) -> web.Response:
    """Show a "Log in" button for a link's token; opening the link (or a link preview) does not use it up."""
    if (refused := too_many_logins(request)) is not None:
        return refused
    deps = deps_of(request)
    token = request.query.get("token", "")
    async with deps.units() as uow:
        usable = bool(token) and len(token) <= 128 and await uow.dashboard.login_token_usable(token, deps.clock())
    if not usable:
        return render(request, "login_expired.html", status=400 if token else 200)
    form_token = new_login_csrf()
    request[LOGIN_CSRF] = form_token
    response = render(request, "login.html", {"token": token})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        form_token,
        path="/dashboard/login",
        httponly=True,
        samesite="Strict",
        max_age=600,
        secure=deps.secure_cookies,
    )
    return response


@routes.post("/dashboard/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Use the token once and start a session (the CSRF middleware has checked the form's double-submit cookie)."""
    if (refused := too_many_logins(request)) is not None:
        return refused
    deps = deps_of(request)
    form = await request.post()
    token = form.get("token", "")
    now = deps.clock()
    async with deps.units() as uow:
        member_id = await uow.dashboard.consume_login_token(token, now) if isinstance(token, str) and token else None
        staff = await uow.team.of_member(member_id) if member_id is not None else None
        raw = None
        if staff is not None:
            await uow.dashboard.purge(now, deps.idle)  # old sessions and used links go whenever someone logs in
            raw = await uow.dashboard.start_session(staff.member_id, now, deps.session_lifetime)
            await uow.audit.record(
                "dashboard_login", "member", staff.member_id, now, staff.member_id, staff.organisation_id
            )
        await uow.commit()
    if raw is None:
        log.info("dashboard_login_refused")
        return render(request, "login_expired.html", status=400)
    old = request.get(RAW_SESSION)
    if isinstance(old, str):  # a fresh id at every login, never one the browser already had
        async with deps.units() as uow:
            await uow.dashboard.end_session(old)
            await uow.commit()
    log.info("dashboard_login")
    response = see_other("/dashboard/alerts")
    set_session_cookie(response, deps, raw)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/dashboard/login")
    return response


@routes.post("/dashboard/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session and forget the cookie."""
    deps = deps_of(request)
    raw = request.get(RAW_SESSION)
    user = maybe_user(request)
    if isinstance(raw, str):
        async with deps.units() as uow:
            await uow.dashboard.end_session(raw)
            if user is not None:
                await uow.audit.record(
                    "dashboard_logout", "member", user.member_id, deps.clock(), user.member_id, user.organisation_id
                )
            await uow.commit()
    response = see_other("/dashboard/how-to-log-in?logged_out=1")
    clear_session_cookie(response, deps)
    return response
