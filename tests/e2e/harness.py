"""A real Cairn (PTB Application, polling) against the sandbox over HTTP on 127.0.0.1, restartable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.runtime import Cairn, build_cairn, run_polling, utc_now
from bot.sandbox import Sandbox, SentMessage, SimUser, start_sandbox
from bot.sandbox.server import RunningSandbox
from bot.settings import Settings

CANARY_TOKEN = "424242:CANARY-TOKEN-q8Zt2Lw9xVb4Nc7Rk3Hs"
CANARY_TEXT = "CANARY-MEMBER-TEXT-7f3a"
DEFAULT_ORGANISATION = ("hillside", "Hillside Community Hub")


@dataclass
class RunningBot:
    """The sandbox plus a Cairn process stand-in that can be stopped and started again on the same database."""

    sandbox: Sandbox
    server: RunningSandbox
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    cairn: Cairn | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Build a fresh Cairn from settings and start polling."""
        self.cairn = await build_cairn(self.settings, clock=self.clock)
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(run_polling(self.cairn, self._stop, poll_timeout=1))
        await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop polling and release the database, as a clean shutdown would."""
        if self._task is None or self.cairn is None:
            return
        self._stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._task, timeout=15)
        await self.cairn.close()
        self._task, self.cairn = None, None

    async def crash(self) -> None:
        """Stop abruptly: cancel the polling task without a clean shutdown, then drop the database pool."""
        if self._task is None or self.cairn is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        with contextlib.suppress(Exception):
            await self.cairn.close()
        self._task, self.cairn = None, None

    async def restart(self) -> None:
        """Stop and start again."""
        await self.stop()
        await self.start()

    def member(self, user_id: int, first_name: str | None = None) -> Member:
        """A simulated member in a private chat."""
        return Member(self.sandbox.user(user_id, first_name=first_name or f"Member{user_id}"))

    async def staff(
        self, user_id: int, name: str, role: str = "volunteer", organisation: str = "hillside", on_duty: bool = True
    ) -> Member:
        """A volunteer or coordinator who joined through a single-use invite, optionally on duty."""
        from bot.operator import create_invite

        assert self.cairn is not None
        payload = await create_invite(self.cairn.units, organisation, role, self.clock())
        person = self.member(user_id, first_name=name)
        (welcome,) = await person.say(f"/start {payload}")
        assert "Welcome to the team" in welcome.text
        if on_duty:
            await person.say("/duty on")
        return person


@dataclass
class Member:
    """A simulated person, with steps that wait for the bot's answer."""

    user: SimUser

    async def say(self, text: str, expect: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Send text and wait for `expect` new bot messages."""
        await self.user.send(text)
        return await self.user.wait_for_messages(expect, timeout)

    async def tap(self, label: str, expect: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Tap the newest button whose label contains `label`, and wait for `expect` new bot messages."""
        message = next((m for m in reversed(self.user.messages) if m.has_button(label)), None)
        assert message is not None, f"no message with a button like {label!r}"
        await self.user.press(message.message_id, message.button(label).callback_data)
        return await self.user.wait_for_messages(expect, timeout) if expect else []

    async def onboard(
        self, store: bool = True, share: str | None = "flag_only", news: bool = True
    ) -> list[SentMessage]:
        """Go through /start and answer the three choices."""
        await self.say("/start", expect=2)
        return await self.onboard_rest(store, share, news)

    async def onboard_rest(self, store: bool, share: str | None, news: bool) -> list[SentMessage]:
        """Answer the three choices after the welcome."""
        await self.tap("Yes, keep them" if store else "No thanks")
        if share is None:
            await self.tap("No thanks")
        else:
            await self.tap("Yes, that's OK")
            await self.tap("Only that" if share == "flag_only" else "Also my check-in answers")
        return await self.tap("Yes please" if news else "No thanks")


def e2e_settings(
    database_url: str, keys: tuple[str, ...], api_base_url: str, tick_seconds: float = 0.5, language_model: bool = False
) -> Settings:
    """Settings for a bot under test."""
    return Settings(
        telegram_bot_token=CANARY_TOKEN,
        telegram_api_base_url=api_base_url,
        database_url=database_url,
        data_keys=keys,
        default_organisation=DEFAULT_ORGANISATION[0],
        default_organisation_name=DEFAULT_ORGANISATION[1],
        max_concurrent_updates=32,
        send_rate_per_second=5000,  # the sandbox does not enforce limits here; bench/ measures them
        send_chat_interval_seconds=0.0,
        tick_seconds=tick_seconds,
        language_model=language_model,  # lexicon only unless asked: the model is tested in tests/detect and below
    )


async def start_bot(
    database_url: str,
    keys: tuple[str, ...],
    clock: Callable[[], datetime] = utc_now,
    language_model: bool = False,
    settings_changes: dict[str, object] | None = None,
    **sandbox_options: object,
) -> RunningBot:
    """Start a sandbox and a Cairn polling it (with `settings_changes` over the test settings)."""
    sandbox = Sandbox(token=CANARY_TOKEN, **sandbox_options)  # type: ignore[arg-type]
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    settings = e2e_settings(database_url, keys, server.bot_base_url, language_model=language_model)
    settings = replace(settings, **(settings_changes or {}))  # type: ignore[arg-type]
    bot = RunningBot(sandbox, server, settings, clock=clock)
    await bot.start()
    return bot
