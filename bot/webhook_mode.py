"""Webhook mode: serve the webhook, handle stored updates from the inbox; and `python -m bot webhook ...`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC
from urllib.parse import urlsplit

from telegram import Bot
from telegram.error import TelegramError

from bot.inbox import InboxProcessor
from bot.lifecycle import finish_within
from bot.logs import configure_logging
from bot.runtime import Cairn, begin_stopping, run_post_init, start_web_app
from bot.settings import MIN_WEBHOOK_SECRET, Settings, usable_webhook_secret
from bot.telegram.translate import UPDATE_TYPES
from bot.web.app import RunningWeb

log = logging.getLogger("cairn")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


async def run_webhook(cairn: Cairn, stop: asyncio.Event) -> bool:
    """Serve the webhook and handle updates until `stop` is set, then shut down within CAIRN_SHUTDOWN_SECONDS."""
    application, inbox = cairn.application, cairn.inbox
    if inbox is None:
        raise RuntimeError("run_webhook needs a Cairn built with CAIRN_MODE=webhook")
    await application.initialize()
    await run_post_init(application)
    await application.start()
    web = await start_web_app(cairn)
    if web is None:
        await application.stop()
        await application.shutdown()
        raise RuntimeError("webhook mode needs the web app, and it could not start (see the log)")
    if cairn.settings.webhook_url:
        await _set_webhook_at_start(application.bot, cairn.settings)
    processing = asyncio.create_task(inbox.run(), name="cairn-inbox")
    log.info("webhook_started")
    try:
        await stop.wait()
    finally:
        begin_stopping(cairn)
    clean = await finish_within(cairn.settings.shutdown_seconds, _finish(cairn, web, inbox, processing))
    if clean:
        await application.shutdown()
    else:
        await finish_within(2.0, inbox.release_in_flight())
    log.info("webhook_stopped")
    return clean


async def _finish(cairn: Cairn, web: RunningWeb, inbox: InboxProcessor, processing: asyncio.Task[None]) -> None:
    """Stop answering (Telegram keeps new updates for another instance or the next start), finish what is held."""

    async def drained() -> None:  # from the moment claiming stops, so leases are renewed while the web app stops
        await processing
        await inbox.drain()

    await asyncio.gather(web.stop(), drained())
    if cairn.application.running:
        await cairn.application.stop()


async def _set_webhook_at_start(bot: Bot, settings: Settings) -> None:
    try:
        await set_webhook(bot, settings)
        log.info("webhook_set")
    except (TelegramError, ValueError) as error:
        log.error("webhook_set_failed error=%s", type(error).__name__)


def webhook_url_problem(url: str) -> str | None:
    """Say what is wrong with a webhook URL: Telegram needs https (plain http is allowed on loopback, for tests)."""
    parts = urlsplit(url)
    if not url or not parts.hostname:
        return "CAIRN_WEBHOOK_URL is not set (the public https address of /telegram/webhook)"
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return "CAIRN_WEBHOOK_URL must start with https://"
    return None


async def set_webhook(bot: Bot, settings: Settings) -> None:
    """Point Telegram at our webhook with the secret token and the update types Cairn handles."""
    problem = webhook_url_problem(settings.webhook_url)
    if problem:
        raise ValueError(problem)
    if not usable_webhook_secret(settings.webhook_secret):
        raise ValueError(
            f"CAIRN_WEBHOOK_SECRET must be {MIN_WEBHOOK_SECRET}-256 characters of A-Z a-z 0-9 _ - "
            "(make one with `python -m bot webhook secret`)"
        )
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=UPDATE_TYPES,
        max_connections=max(1, min(100, settings.max_concurrent_updates)),
    )


async def webhook_command(action: str, drop_pending: bool = False) -> int:
    """Set, show or delete the webhook; or print a new secret."""
    if action == "secret":
        print(secrets.token_urlsafe(32))
        return 0
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format, settings.secrets)
    if not settings.telegram_bot_token:
        print("TELEGRAM_BOT_TOKEN is not set.")
        return 2
    async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
        if action == "set":
            try:
                await set_webhook(bot, settings)
            except ValueError as error:
                print(f"Could not set the webhook: {error}")
                return 2
            print(f"Webhook set: {settings.webhook_url} (with the secret token, the update types Cairn handles).")
        elif action == "delete":
            await bot.delete_webhook(drop_pending_updates=drop_pending)
            print("Webhook deleted." + (" Pending updates dropped." if drop_pending else ""))
        else:
            await _print_info(bot)
    return 0


async def _print_info(bot: Bot) -> None:
    info = await bot.get_webhook_info()
    print(f"url: {info.url or '(none: the bot polls)'}")
    print(f"pending updates: {info.pending_update_count}")
    if info.max_connections:
        print(f"max connections: {info.max_connections}")
    if info.allowed_updates:
        print(f"update types: {', '.join(info.allowed_updates)}")
    if info.ip_address:
        print(f"ip address: {info.ip_address}")
    if info.last_error_date:
        print(f"last error: {info.last_error_date.astimezone(UTC).isoformat()} {info.last_error_message or ''}")
