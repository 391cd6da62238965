"""Build the sandbox's aiohttp application and run it on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from . import control
from . import web as user_web
from .api import handle_bot_api, handle_file_download
from .sandbox import SANDBOX_KEY, Sandbox

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
SHUTDOWN_TIMEOUT_SECONDS = 1.0


def create_app(sandbox: Sandbox) -> web.Application:
    """Return the aiohttp application serving the Bot API, files, the user API and the page."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
    app[SANDBOX_KEY] = sandbox
    app.router.add_route("*", "/bot{token}/{method}", handle_bot_api)
    app.router.add_get("/file/bot{token}/{file_path:.+}", handle_file_download)
    app.router.add_routes(user_web.routes)
    app.router.add_routes(control.routes)
    return app


@dataclass
class RunningSandbox:
    """A sandbox served over HTTP; stop() shuts it down."""

    sandbox: Sandbox
    runner: web.AppRunner
    host: str
    port: int
    stopped: bool = False

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """Return the value for ApplicationBuilder().base_url()."""
        return f"{self.url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        """Return the value for ApplicationBuilder().base_file_url()."""
        return f"{self.url}/file/bot"

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and close the server (safe to call twice)."""
        if self.stopped:
            return
        self.stopped = True
        await self.sandbox.close()
        await self.runner.cleanup()


async def start_sandbox(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> RunningSandbox:
    """Serve the sandbox on host:port (port 0 picks a free one) and return the running server."""
    sandbox.closing = False
    runner = web.AppRunner(
        create_app(sandbox),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_port = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound_port = int(address[1])
            break
    return RunningSandbox(sandbox=sandbox, runner=runner, host=host, port=bound_port)


@asynccontextmanager
async def serve_sandbox(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[RunningSandbox]:
    """Serve the sandbox for the duration of an async with block."""
    running = await start_sandbox(sandbox, host, port)
    try:
        yield running
    finally:
        await running.stop()
