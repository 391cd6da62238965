"""Build Telegram JSON objects and web-view JSON from the sandbox's records."""

from __future__ import annotations

from typing import Any

from .records import ChatEntry, ChatRecord, StoredFile, UserProfile
from .state import SandboxState

FILE_URL_PREFIX = "/sandbox/api/files/"


def user_object(profile: UserProfile) -> dict[str, Any]:
    """Return a Telegram User object for a simulated user."""
    user: dict[str, Any] = {"id": profile.user_id, "is_bot": False, "first_name": profile.first_name}
    if profile.last_name:
        user["last_name"] = profile.last_name
    if profile.username:
        user["username"] = profile.username
    if profile.language_code:
        user["language_code"] = profile.language_code
    return user


def chat_object(state: SandboxState, chat: ChatRecord) -> dict[str, Any]:
    """Return a Telegram Chat object."""
    if chat.kind != "private":
        return {"id": chat.chat_id, "type": chat.kind, "title": chat.title or str(chat.chat_id)}
    profile = state.profile(chat.chat_id)
    result: dict[str, Any] = {"id": chat.chat_id, "type": "private", "first_name": profile.first_name}
    if profile.last_name:
        result["last_name"] = profile.last_name
    if profile.username:
        result["username"] = profile.username
    return result


def document_object(stored: StoredFile) -> dict[str, Any]:
    """Return a Telegram Document object."""
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.filename:
        document["file_name"] = stored.filename
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """Return the PhotoSize list of a photo message."""
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": len(stored.data),
        }
    ]


def message_object(state: SandboxState, bot_user: dict[str, Any], chat: ChatRecord, entry: ChatEntry) -> dict[str, Any]:
    """Return a Telegram Message object for a chat entry in its current state."""
    sender = bot_user if entry.from_bot else user_object(state.profile(entry.sender_id))
    message: dict[str, Any] = {
        "message_id": entry.message_id,
        "date": entry.date,
        "chat": chat_object(state, chat),
        "from": sender,
    }
    if entry.text is not None:
        message["text"] = entry.text
    if entry.entities:
        message["entities"] = entry.entities
    if entry.caption is not None:
        message["caption"] = entry.caption
    if entry.document is not None:
        message["document"] = document_object(entry.document)
    if entry.photo is not None:
        message["photo"] = photo_sizes(entry.photo)
    message.update(entry.extra)
    if entry.inline_keyboard:
        message["reply_markup"] = {"inline_keyboard": entry.inline_keyboard}
    if entry.edit_date is not None:
        message["edit_date"] = entry.edit_date
    return message


def web_entry(entry: ChatEntry) -> dict[str, Any]:
    """Return a chat entry as the web page and the HTTP user API show it."""
    view: dict[str, Any] = {
        "message_id": entry.message_id,
        "seq": entry.seq,
        "from": "bot" if entry.from_bot else "user",
        "sender_id": entry.sender_id,
        "date": entry.date,
        "kind": entry.kind,
        "text": entry.text,
        "caption": entry.caption,
        "buttons": [
            [
                {
                    "text": button["text"],
                    "callback_data": button.get("callback_data"),
                    "url": button.get("url"),
                }
                for button in row
            ]
            for row in entry.inline_keyboard or []
        ],
        "keyboard": entry.keyboard,
        "edit_count": entry.edit_count,
        "deleted": entry.deleted,
        "document": None,
        "photo": None,
        "extra": entry.extra,
    }
    if entry.document is not None:
        view["document"] = {
            **document_object(entry.document),
            "url": FILE_URL_PREFIX + entry.document.file_id,
        }
    if entry.photo is not None:
        view["photo"] = {"file_id": entry.photo.file_id, "url": FILE_URL_PREFIX + entry.photo.file_id}
    return view
