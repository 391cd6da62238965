"""The coordinator dashboard: server-rendered pages on Cairn's web app, under /dashboard."""

from __future__ import annotations

import importlib
import logging

from aiohttp import web

from bot.logs import where
from bot.web.dashboard.auth import Handler, csrf, is_dashboard, sessions
from bot.web.dashboard.core import STATIC
from bot.web.dashboard.core import routes as core_routes
from bot.web.dashboard.deps import DEPS, DashboardDeps
from bot.web.dashboard.pages import PAGE_MODULES
from bot.web.dashboard.render import error_page, keep_flash

log = logging.getLogger("cairn")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a login link's token must never leave in a Referer header
    "Cache-Control": "no-store",
}


@web.middleware
async def html_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer dashboard errors as HTML pages, add security headers, carry flash messages."""
    if not is_dashboard(request):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error if error.status < 400 else error_page(request, error.status, _message(error))
    except Exception as error:
        log.error("dashboard_request_failed error=%s at %s", type(error).__name__, where(error))
        response = error_page(request, 500, "Something went wrong on our side. Please try again.")
    if not request.path.startswith("/dashboard/static/"):
        response.headers.update(SECURITY_HEADERS)
    keep_flash(request, response)
    if isinstance(response, web.HTTPException):
        raise response
    return response


def _message(error: web.HTTPException) -> str:
    if error.status == 404:
        return "There is no such page, or it is not yours to see."
    if error.status == 405:
        return "That address does not accept this kind of request."
    return error.reason if error.status == 403 else "Something went wrong. Please try again."


def add_dashboard_routes(app: web.Application, deps: DashboardDeps) -> None:
    """Serve the dashboard on an app: core routes (login, logout, static), then every page module."""
    app[DEPS] = deps
    app.middlewares.extend([html_pages, sessions, csrf])
    app.router.add_routes(core_routes)
    app.router.add_static("/dashboard/static/", STATIC, name="dashboard_static")
    for module in PAGE_MODULES:
        app.router.add_routes(importlib.import_module(module).routes)
