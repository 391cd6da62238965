"""Who is asking: the session cookie, the staff role behind it, CSRF tokens and the access decorators."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.web.dashboard.deps import DashboardDeps, deps_of

log = logging.getLogger("cairn")

PREFIX = "/dashboard"
HOW_TO_LOG_IN = "/dashboard/how-to-log-in"
LOGIN_PATH = "/dashboard/login"
STATIC_PREFIX = "/dashboard/static/"
COORDINATOR = "coordinator"
VOLUNTEER = "volunteer"
LOGIN_CSRF_COOKIE = "cairn_login_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class DashboardUser:
    """A signed-in member of an organisation's team."""

    member_id: int
    organisation_id: int
    role: str  # "coordinator" | "volunteer"
    display_name: str = ""

    @property
    def is_coordinator(self) -> bool:
        """Say whether this user coordinates the organisation."""
        return self.role == COORDINATOR


USER = web.RequestKey("dashboard_user", DashboardUser)
RAW_SESSION = web.RequestKey("dashboard_raw_session", str)
LOGIN_CSRF = web.RequestKey("dashboard_login_csrf", str)


def is_dashboard(request: web.Request) -> bool:
    """Say whether a request is for the dashboard."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def session_cookie_name(deps: DashboardDeps) -> str:
    """`__Host-` prefixed over HTTPS (the browser then insists on Secure, Path=/ and no Domain)."""
    return "__Host-cairn_session" if deps.secure_cookies else "cairn_session"


def set_session_cookie(response: web.StreamResponse, deps: DashboardDeps, raw_session: str) -> None:
    """Hand the browser its session id: HttpOnly, SameSite=Strict, Secure over HTTPS; gone when the browser closes."""
    response.set_cookie(
        session_cookie_name(deps), raw_session, path="/", httponly=True, samesite="Strict", secure=deps.secure_cookies
    )


def clear_session_cookie(response: web.StreamResponse, deps: DashboardDeps) -> None:
    """Tell the browser to forget its session id."""
    response.del_cookie(session_cookie_name(deps), path="/", secure=deps.secure_cookies, samesite="Strict")


def csrf_token_for(raw_session: str) -> str:
    """Derive a session's CSRF token from its raw id (so nothing more is stored, and it dies with the session)."""
    return hashlib.sha256(b"cairn-dashboard-csrf:" + raw_session.encode()).hexdigest()


def user_of(request: web.Request) -> DashboardUser:
    """Return the signed-in user (handlers behind `staff_only` or `coordinator_only` always have one)."""
    user = request.get(USER)
    if not isinstance(user, DashboardUser):
        raise web.HTTPSeeOther(HOW_TO_LOG_IN)
    return user


def maybe_user(request: web.Request) -> DashboardUser | None:
    """Return the signed-in user, or None."""
    user = request.get(USER)
    return user if isinstance(user, DashboardUser) else None


def csrf_token_of(request: web.Request) -> str:
    """The token forms must carry: the session's, or before login the login form's cookie pair."""
    raw = request.get(RAW_SESSION)
    if isinstance(raw, str):
        return csrf_token_for(raw)
    token = request.get(LOGIN_CSRF)
    return token if isinstance(token, str) else ""


def staff_only(handler: Handler) -> Handler:
    """Let in coordinators and volunteers; no session -> the page that explains how to log in."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if maybe_user(request) is None:
            raise web.HTTPSeeOther(HOW_TO_LOG_IN)
        return await handler(request)

    return guarded


def coordinator_only(handler: Handler) -> Handler:
    """Let in coordinators only; a volunteer gets 403, no session -> the page that explains how to log in."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        user = maybe_user(request)
        if user is None:
            raise web.HTTPSeeOther(HOW_TO_LOG_IN)
        if not user.is_coordinator:
            raise web.HTTPForbidden(reason="This page is for coordinators.")
        return await handler(request)

    return guarded


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the dashboard session behind the cookie; a session whose member left the team is ended.

    Static files (CSS, the progress script) need no session: they are served without touching the database.
    """
    if not is_dashboard(request) or request.path.startswith(STATIC_PREFIX):
        return await handler(request)
    deps = deps_of(request)
    raw = request.cookies.get(session_cookie_name(deps))
    stale = False
    if raw:
        now = deps.clock()
        async with deps.units() as uow:
            live = await uow.dashboard.live_session(raw, now, deps.idle)
            staff = await uow.team.of_member(live.member_id) if live is not None else None
            if live is not None and staff is None:
                await uow.dashboard.end_session(raw)
            await uow.commit()
        if live is not None and staff is not None and staff.role in (COORDINATOR, VOLUNTEER):
            request[USER] = DashboardUser(staff.member_id, staff.organisation_id, staff.role, staff.display_name)
            request[RAW_SESSION] = raw
        else:
            stale = True
    login_token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if login_token:
        request[LOGIN_CSRF] = login_token
    response = await handler(request)
    if stale and RAW_SESSION not in request:
        clear_session_cookie(response, deps)
    return response


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse any state-changing dashboard request whose CSRF token is missing or wrong (403)."""
    if request.method not in UNSAFE_METHODS or not is_dashboard(request):
        return await handler(request)
    expected = csrf_token_of(request)
    if RAW_SESSION not in request and request.path != LOGIN_PATH:
        expected = ""  # without a session only the login form may post
    if not expected:  # refused before reading the body
        log.warning("dashboard_csrf_refused path_kind=%s", "no_session")
        raise web.HTTPForbidden(reason="This form has expired or did not come from the dashboard. Please try again.")
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        field_value = form.get("csrf_token", "")
        sent = field_value if isinstance(field_value, str) else ""
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        log.warning("dashboard_csrf_refused path_kind=%s", "login" if request.path == LOGIN_PATH else "page")
        raise web.HTTPForbidden(reason="This form has expired or did not come from the dashboard. Please try again.")
    return await handler(request)


def new_login_csrf() -> str:
    """A random token for the login form's double-submit cookie."""
    return secrets.token_urlsafe(24)
