"""The one update handler: translate, run the service, render and send. Nothing else."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import cast

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import ContextTypes

from bot.logs import where
from bot.service import Delivery, MemberService
from bot.telegram.render import notice_text, reply_messages
from bot.telegram.sending import GaveUp, with_retries
from bot.telegram.tolerant_bot import TolerantBot
from bot.telegram.translate import Translated, translate
from flows.inbound import ButtonPress, Command
from flows.outcome import Outcome, Text
from flows.texts import Catalogue

log = logging.getLogger("cairn.telegram")


class UpdateHandler:
    """Handles every update the Application receives."""

    def __init__(
        self, service: MemberService, catalogue: Catalogue, wake_outbox: Callable[[Bot], None] | None = None
    ) -> None:
        """Wire the handler to the service, the texts and the safeguarding pass to wake after an alert."""
        self._service = service
        self._catalogue = catalogue
        self._wake_outbox = wake_outbox or (lambda bot: None)

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update; never raise into PTB's loop."""
        translated = translate(update)
        if translated is None:
            log.info("update_ignored")
            return
        try:
            delivery = await self._service.handle(translated.sender, translated.inbound, _method(translated))
        except Exception as error:
            log.error("update_failed error=%s at %s", type(error).__name__, where(error))
            await self._apologise(context.bot, translated)
            return
        if delivery is None:
            await self._answer_button(context.bot, translated, None)
            return
        if delivery.alerts_raised or delivery.outbox_written:
            self._wake_outbox(context.bot)
        await self._deliver(context.bot, translated, delivery)

    async def _deliver(self, bot: Bot, translated: Translated, delivery: Delivery) -> None:
        outcome = delivery.outcome
        chat_id = translated.sender.chat_id
        messages = delivery.messages if delivery.messages is not None else self._messages(outcome)
        sent = 0  # messages Telegram confirmed (or handed to the outbox)
        sender = cast(TolerantBot, bot)  # build_bot's bot: sends without parsing Telegram's answer back
        try:
            if outcome.refused:
                log.warning("button_refused reason=%s", outcome.refused)
            await self._answer_button(bot, translated, outcome.notice)
            if translated.callback_message_id is not None and not outcome.refused and not delivery.resent:
                message_id = translated.callback_message_id
                await with_retries("clear_buttons", lambda: sender.clear_buttons(chat_id, message_id))
            for index, (text, rows) in enumerate(messages):
                markup = (
                    InlineKeyboardMarkup(
                        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
                    )
                    if rows
                    else None
                )
                try:
                    await with_retries(
                        "send_message",
                        lambda text=text, markup=markup: sender.send_text(chat_id, text, markup),  # type: ignore[misc]
                        attempts=4,
                        raise_on_give_up=True,
                    )
                except GaveUp:
                    await self._service.defer(translated.sender, messages[index:])
                    sent = len(messages)
                    log.warning("replies_deferred_to_outbox count=%d", len(messages) - index)
                    self._wake_outbox(bot)
                    break
                sent = index + 1
        except asyncio.CancelledError:  # shutdown was cut short after the effects were committed: keep the replies
            await self._keep_unsent(translated, messages[sent:])
            raise
        if delivery.photo is not None:
            photo = delivery.photo
            await with_retries(
                "send_photo",
                lambda: bot.send_photo(chat_id, InputFile(photo.content, filename="trends.png"), caption=photo.caption),
            )
        if delivery.document is not None:
            document = delivery.document
            await with_retries(
                "send_document",
                lambda: bot.send_document(
                    chat_id, InputFile(document.content, filename=document.filename), caption=document.caption
                ),
            )

    async def _keep_unsent(self, translated: Translated, unsent: list[tuple[str, list[list[tuple[str, str]]]]]) -> None:
        """Hand replies not yet confirmed to the outbox (the one in flight too: sent twice rather than lost)."""
        if not unsent:
            return
        try:
            await asyncio.shield(self._service.defer(translated.sender, unsent))
        except Exception as error:  # the database is away too: nothing more can be kept
            log.error("replies_lost_at_shutdown count=%d error=%s", len(unsent), type(error).__name__)
            return
        log.warning("replies_deferred_at_shutdown count=%d", len(unsent))

    def _messages(self, outcome: Outcome) -> list[tuple[str, list[list[tuple[str, str]]]]]:
        """Render replies into Telegram-sized messages with their buttons (on the last piece of each reply)."""
        return reply_messages(self._catalogue, outcome)

    async def _answer_button(self, bot: Bot, translated: Translated, notice: Text | None) -> None:
        query_id = translated.callback_query_id
        if query_id is None:
            return
        text = notice_text(self._catalogue.render(notice)) if notice else None
        await with_retries("answer_button", lambda: bot.answer_callback_query(query_id, text=text))

    async def _apologise(self, bot: Bot, translated: Translated) -> None:
        await self._answer_button(bot, translated, Text("buttons.refused"))
        text = self._catalogue.render(Text("errors.try_again"))
        await with_retries("send_apology", lambda: bot.send_message(translated.sender.chat_id, text))


def _method(translated: Translated) -> str:
    """Describe how a consent was given: which button or command (never free text)."""
    inbound = translated.inbound
    if isinstance(inbound, ButtonPress):
        return f"button:{inbound.data}"[:80]
    if isinstance(inbound, Command):
        return f"command:/{inbound.name}"
    return "message"
