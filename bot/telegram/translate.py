"""Translate a Telegram update into an Inbound event, or decide to ignore it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message, Update
from telegram.constants import ChatType

from bot.service import Sender
from flows.inbound import ButtonPress, Command, Inbound, TextMessage, UnsupportedMessage

log = logging.getLogger("cairn.telegram")

UPDATE_TYPES = ("message", "edited_message", "callback_query")  # what translate() acts on: all Cairn asks for
MAX_WORDS = 4096  # the longest text Telegram carries in one message

_MESSAGE_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


@dataclass(frozen=True)
class Translated:
    """An update we act on: who sent it and what happened."""

    sender: Sender
    inbound: Inbound
    callback_query_id: str | None = None
    callback_message_id: int | None = None


def translate(update: Update) -> Translated | None:
    """Translate an update from a private chat; None for anything we ignore (groups, unknown types).

    In a private chat the chat is the person: Telegram never sends one whose sender is someone else. An update that
    says so (forged by someone holding the webhook secret, or a compromised Bot API server) is refused, or it would
    act as one person and answer to another's chat.
    """
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    if user.id != chat.id:
        log.warning("update_refused reason=sender_is_not_the_chat")  # no ids: they would name two people
        return None
    sender = Sender(
        telegram_user_id=user.id, chat_id=chat.id, update_id=update.update_id, first_name=user.first_name[:64]
    )
    if update.callback_query is not None:
        query = update.callback_query
        message_id = query.message.message_id if query.message else None
        return Translated(sender, ButtonPress(query.data or ""), query.id, message_id)
    if update.edited_message is not None:  # not handled again, but its new words are read for crisis language
        edited = update.edited_message
        return Translated(sender, UnsupportedMessage("edited", _words(edited.text or edited.caption)))
    if update.message is not None:
        return Translated(sender, _message_inbound(update.message))
    return None


def _message_inbound(message: Message) -> Inbound:
    text = message.text
    if text is None:
        kind = next((name for name in _MESSAGE_KINDS if getattr(message, name, None)), "other")
        return UnsupportedMessage(kind, _words(message.caption))
    if text.startswith("/") and len(text) > 1:
        head, _, argument = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return Command(name=name[:32], argument=argument.strip()[:64])
    return TextMessage(text)


def _words(text: str | None) -> str:
    """Words that came with a message we cannot handle (a caption, an edit), kept to Telegram's caption limit."""
    return (text or "")[:MAX_WORDS]
