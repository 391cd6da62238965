"""A real Cairn in webhook mode, in-process, with the sandbox posting updates to it over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from bot.runtime import Cairn, build_cairn
from bot.sandbox import Sandbox, start_sandbox
from bot.sandbox.server import RunningSandbox
from bot.settings import Settings
from bot.webhook_mode import run_webhook
from models.inbox_tables import InboxUpdate
from tests.e2e.harness import CANARY_TOKEN, Member, e2e_settings

SECRET = "webhook_Secret-0123456789-abcdefghij"  # 35 characters: 32 at least


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(database_url: str, keys: tuple[str, ...], api_base_url: str, port: int) -> Settings:
    """Settings for a bot in webhook mode that registers its own webhook at start."""
    return replace(
        e2e_settings(database_url, keys, api_base_url),
        mode="webhook",
        webhook_secret=SECRET,
        web_port=port,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
    )


@dataclass
class WebhookBot:
    """The sandbox and a Cairn it posts updates to."""

    sandbox: Sandbox
    server: RunningSandbox
    settings: Settings
    cairn: Cairn | None = None
    task: asyncio.Task[bool] | None = None
    stop_event: asyncio.Event | None = None

    async def start(self) -> None:
        """Build Cairn in webhook mode and serve until stopped; wait until the sandbox knows the webhook."""
        self.cairn = await build_cairn(self.settings)
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(run_webhook(self.cairn, self.stop_event))
        for _ in range(200):
            if self.sandbox.webhook.active or self.task.done():
                break
            await asyncio.sleep(0.05)
        assert self.sandbox.webhook.active, "the bot registered its webhook"

    async def stop(self) -> bool:
        """Shut down as SIGTERM would; return whether it was clean."""
        if self.task is None or self.cairn is None or self.stop_event is None:
            return True
        self.stop_event.set()
        clean = await asyncio.wait_for(self.task, timeout=30)
        await self.cairn.close()
        self.task, self.cairn = None, None
        return clean

    async def inbox_depth(self) -> int:
        """Count updates stored and not yet handled."""
        assert self.cairn is not None
        async with self.cairn.units() as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(InboxUpdate)) or 0)

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the sandbox has delivered everything and the inbox is empty."""
        for _ in range(int(timeout * 20)):
            if not self.sandbox.pending_updates() and await self.inbox_depth() == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("updates were still waiting")

    def member(self, user_id: int) -> Member:
        """A simulated member."""
        return Member(self.sandbox.user(user_id, first_name=f"Member{user_id}"))

    async def close(self) -> None:
        """Stop the bot and the sandbox."""
        with contextlib.suppress(Exception):
            await self.stop()
        await self.server.stop()


async def start_webhook_bot(database_url: str, keys: tuple[str, ...]) -> WebhookBot:
    """Start a sandbox and a Cairn in webhook mode."""
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    bot = WebhookBot(sandbox, server, webhook_settings(database_url, keys, server.bot_base_url, free_port()))
    await bot.start()
    return bot
