"""A bare python-telegram-bot echo bot: the framework's own ceiling on the same sandbox.

`python -m bench.echo_bot` polls TELEGRAM_API_BASE_URL with TELEGRAM_BOT_TOKEN. Every message is answered at
once with a message carrying one "🙂 Good" button, and every button press is answered (answerCallbackQuery)
and replied to the same way, so the bench's simulated members can walk through the same check-in as with
Cairn. Same concurrency and connection pool as Cairn's defaults; no database, no logic.
"""

from __future__ import annotations

import asyncio
import os
import signal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

CONCURRENCY = 64  # Cairn's CAIRN_MAX_CONCURRENT_UPDATES default
MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("🙂 Good", callback_data="ci:mood:4")]])


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to a message at once."""
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "echo", reply_markup=MARKUP)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button press and reply at once."""
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, "pressed", reply_markup=MARKUP)


async def run() -> None:
    """Poll until SIGTERM or SIGINT."""
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(CONCURRENCY)
        .connection_pool_size(CONCURRENCY)
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=10, allowed_updates=Update.ALL_TYPES)
        await stop.wait()
        await application.updater.stop()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(run())
