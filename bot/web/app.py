"""Build, start and stop Cairn's web app; every answer is JSON, and no error reaches a client as a traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.logs import where
from bot.settings import Settings
from bot.web.openreferral import add_openreferral_routes
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


def build_web_app(units: UnitOfWorkFactory, settings: Settings) -> web.Application:
    """Build the web app: the read-only Open Referral UK API under /openreferral."""
    app = web.Application(middlewares=[json_errors])
    app[UNITS] = units
    app[SETTINGS] = settings
    add_openreferral_routes(app, units, settings)
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
