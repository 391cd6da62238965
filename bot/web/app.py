"""Build, start and stop Cairn's web app; API answers are JSON (dashboard pages HTML), never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from bot.logs import where
from bot.settings import Settings
from bot.web.dashboard import add_dashboard_routes
from bot.web.dashboard.deps import DashboardDeps, LanguageAssessor
from bot.web.dashboard.pages.activities import MAX_UPLOAD_BYTES
from bot.web.openreferral import add_openreferral_routes
from flows.texts import load_catalogue
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn")

UNITS = web.AppKey("units", UnitOfWorkFactory)
SETTINGS = web.AppKey("settings", Settings)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(status: int, message: str) -> web.Response:
    """A JSON error answer."""
    return web.json_response({"status": status, "error": message}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer HTTP errors as JSON, and anything unexpected as a plain 500 (logged without the request's data)."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_body(error.status, error.reason)
    except Exception as error:
        log.error("web_request_failed error=%s at %s", type(error).__name__, where(error))
        return error_body(500, "Internal Server Error")


def _utc_now() -> datetime:
    return datetime.now(UTC)


MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
"""The largest request body read: an Open Referral UK file uploaded on the dashboard and its form (the webhook
refuses a wrong secret before reading anything)."""


def build_web_app(
    units: UnitOfWorkFactory,
    settings: Settings,
    clock: Callable[[], datetime] = _utc_now,
    language: LanguageAssessor | None = None,
) -> web.Application:
    """Build the web app: the read-only Open Referral UK API under /openreferral, the dashboard under /dashboard.

    `language` is the bot's risk reader, so staff text written on the dashboard is read as in the chat.
    """
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_REQUEST_BYTES)
    app[UNITS] = units
    app[SETTINGS] = settings
    add_openreferral_routes(app, units, settings)
    add_dashboard_routes(app, DashboardDeps(units, settings, clock, load_catalogue(settings.language), language))
    return app


@dataclass
class RunningWeb:
    """A started web app and where it listens."""

    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        """Stop listening and release the app."""
        await self.runner.cleanup()


async def start_web(app: web.Application, host: str, port: int) -> RunningWeb:
    """Serve an app on host:port (port 0 picks a free one) and return where it listens."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    addresses = runner.addresses
    bound = int(addresses[0][1]) if addresses else port
    return RunningWeb(runner, f"http://{host}:{bound}")
