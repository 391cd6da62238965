"""Render dashboard pages from Jinja2 templates (autoescaped), with the user, CSRF field, navigation and now."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.web.dashboard.auth import COORDINATOR, VOLUNTEER, csrf_token_of, maybe_user
from bot.web.dashboard.deps import deps_of

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "cairn_flash"
FLASH_KEY = web.RequestKey("dashboard_flash", str)

NAV_ITEMS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/dashboard/alerts", "Alerts", frozenset({COORDINATOR, VOLUNTEER})),
    ("/dashboard/volunteers", "Volunteers", frozenset({COORDINATOR})),
    ("/dashboard/activities", "Activities", frozenset({COORDINATOR})),
    ("/dashboard/broadcasts", "Broadcasts", frozenset({COORDINATOR})),
    ("/dashboard/insight", "Insight", frozenset({COORDINATOR})),
    ("/dashboard/report", "Report", frozenset({COORDINATOR})),
)

ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def age(moment: datetime, now: datetime) -> str:
    """Say how long ago something happened, in plain words ("5 min", "3 h 10 min", "2 days")."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{hours // 24} days"


ENVIRONMENT.filters["age"] = age


def _registered(app: web.Application) -> set[str]:
    paths = set()
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        if isinstance(path, str):
            paths.add(path)
    return paths


def nav(request: web.Request) -> list[dict[str, Any]]:
    """The menu for the signed-in user: only pages their role may open and that this app serves."""
    user = maybe_user(request)
    if user is None:
        return []
    served = _registered(request.app)
    return [
        {"href": href, "label": label, "current": request.path == href or request.path.startswith(href + "/")}
        for href, label, roles in NAV_ITEMS
        if user.role in roles and href in served
    ]


def csrf_field_for(request: web.Request) -> Markup:
    """The hidden input every form carries."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token_of(request))


def flash(request: web.Request, text: str) -> None:
    """Show a short message on the next page this browser opens (after a redirect)."""
    request[FLASH_KEY] = text


def flashed(request: web.Request) -> str:
    """The message left by the previous request, if any."""
    raw = request.cookies.get(FLASH_COOKIE, "")
    return unquote(raw)[:300] if raw else ""


def keep_flash(request: web.Request, response: web.StreamResponse) -> None:
    """Carry a flash message to the next page in a short-lived cookie, or clear the one just shown."""
    text = request.get(FLASH_KEY, "")
    if text:
        response.set_cookie(
            FLASH_COOKIE,
            quote(text[:300]),
            path="/dashboard",
            httponly=True,
            samesite="Strict",
            max_age=120,
            secure=deps_of(request).secure_cookies,
        )
    elif FLASH_COOKIE in request.cookies and isinstance(response, web.Response) and response.status < 300:
        response.del_cookie(FLASH_COOKIE, path="/dashboard")


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    """Render a page; adds `user`, `csrf_field`, `nav`, `now` and `flash` to the context."""
    deps = deps_of(request)
    values: dict[str, Any] = {
        "user": maybe_user(request),
        "csrf_field": lambda: csrf_field_for(request),
        "nav": nav(request),
        "now": deps.clock(),
        "flash": flashed(request),
        "request_path": request.path,
    }
    values.update(context or {})
    body = ENVIRONMENT.get_template(template).render(values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    """An HTML error page for the dashboard."""
    titles = {
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        429: "Too many requests",
        500: "Something went wrong",
    }
    return render(
        request,
        "error.html",
        {"status": status, "title": titles.get(status, "Error"), "message": message},
        status=status,
    )


def see_other(location: str) -> web.Response:
    """Redirect after a POST (303), so a reload does not repeat it."""
    return web.Response(status=303, headers={"Location": location})
