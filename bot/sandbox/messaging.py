"""Bot API methods that send, edit and delete messages and answer callback queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import validation
from .errors import bad_request
from .params import BotRequest
from .records import ChatEntry, ChatRecord, StoredFile
from .state import now_seconds

if TYPE_CHECKING:
    from .sandbox import Sandbox

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip


def _markup_fields(request: BotRequest) -> dict[str, Any]:
    markup = validation.reply_markup(request.value("reply_markup"))
    if markup is None:
        return {}
    return {"inline_keyboard": markup.inline_keyboard, "keyboard": markup.keyboard}


def _upload(sandbox: Sandbox, request: BotRequest, field: str, folder: str) -> StoredFile:
    """Return the file sent in `field`: an upload, an attach:// reference, or a known file_id."""
    upload = request.files.get(field)
    reference = request.text(field)
    if upload is None and reference and reference.startswith("attach://"):
        upload = request.files.get(reference.removeprefix("attach://"))
    if upload is not None:
        filename = upload.filename if folder == "documents" else None
        mime_type = upload.content_type if upload.content_type not in {None, "application/octet-stream"} else None
        return sandbox.state.store_file(upload.data, folder=folder, filename=filename, mime_type=mime_type)
    if not reference:
        raise bad_request(f"there is no {field} in the request")
    known = sandbox.state.files.get(reference)
    if known is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return known


def _send(sandbox: Sandbox, chat: ChatRecord, kind: str, **fields: Any) -> dict[str, Any]:
    sandbox.admit_message(chat.chat_id)
    entry = sandbox.state.add_entry(chat, from_bot=True, sender_id=sandbox.bot_id, kind=kind, **fields)
    sandbox.record_send()
    return sandbox.message_object(chat, entry)


async def send_message(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle sendMessage."""
    chat_id = request.chat_id()
    parse_mode = request.text("parse_mode")
    raw_text = request.text("text")
    text = validation.message_text(raw_text, parse_mode)
    markup = _markup_fields(request)
    chat = sandbox.state.chat_for_bot(chat_id)
    return _send(sandbox, chat, "text", text=text, raw_text=raw_text, parse_mode=parse_mode, **markup)


async def send_document(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle sendDocument."""
    chat_id = request.chat_id()
    caption = validation.caption(request.text("caption"), request.text("parse_mode"))
    markup = _markup_fields(request)
    chat = sandbox.state.chat_for_bot(chat_id)
    document = _upload(sandbox, request, "document", "documents")
    return _send(sandbox, chat, "document", document=document, caption=caption, **markup)


async def send_photo(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle sendPhoto."""
    chat_id = request.chat_id()
    caption = validation.caption(request.text("caption"), request.text("parse_mode"))
    markup = _markup_fields(request)
    chat = sandbox.state.chat_for_bot(chat_id)
    photo = _upload(sandbox, request, "photo", "photos")
    return _send(sandbox, chat, "photo", photo=photo, caption=caption, **markup)


def _editable(sandbox: Sandbox, request: BotRequest) -> tuple[ChatRecord, ChatEntry]:
    if request.value("inline_message_id") not in {None, ""}:
        raise bad_request("message to edit not found")
    chat = sandbox.state.chat_for_bot(request.chat_id())
    message_id = request.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    entry = chat.entries.get(message_id)
    if entry is None or entry.deleted:
        raise bad_request("message to edit not found")
    if not entry.from_bot:
        raise bad_request("message can't be edited")
    return chat, entry


def _inline_keyboard(request: BotRequest) -> list[list[dict[str, Any]]] | None:
    markup = validation.reply_markup(request.value("reply_markup"))
    return markup.inline_keyboard if markup is not None else None


def _apply_edit(
    sandbox: Sandbox, chat: ChatRecord, entry: ChatEntry, parse_mode: str | None = None, **changes: Any
) -> dict[str, Any]:
    if all(getattr(entry, name) == value for name, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    sandbox.admit_message(chat.chat_id)
    for name, value in changes.items():
        setattr(entry, name, value)
    if "text" in changes:
        entry.parse_mode = parse_mode
    entry.edit_count += 1
    entry.edit_date = now_seconds()
    sandbox.state.touch(entry)
    return sandbox.message_object(chat, entry)


async def edit_message_text(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle editMessageText (no reply_markup removes the inline keyboard, as in Telegram)."""
    parse_mode = request.text("parse_mode")
    raw_text = request.text("text")
    text = validation.message_text(raw_text, parse_mode)
    keyboard = _inline_keyboard(request)
    chat, entry = _editable(sandbox, request)
    if entry.text is None:
        raise bad_request("there is no text in the message to edit")
    return _apply_edit(
        sandbox, chat, entry, text=text, inline_keyboard=keyboard, raw_text=raw_text, parse_mode=parse_mode
    )


async def edit_message_caption(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle editMessageCaption."""
    caption = validation.caption(request.text("caption"), request.text("parse_mode"))
    keyboard = _inline_keyboard(request)
    chat, entry = _editable(sandbox, request)
    if entry.document is None and entry.photo is None:
        raise bad_request("there is no caption in the message to edit")
    return _apply_edit(sandbox, chat, entry, caption=caption, inline_keyboard=keyboard)


async def edit_message_reply_markup(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle editMessageReplyMarkup (no reply_markup removes the inline keyboard)."""
    keyboard = _inline_keyboard(request)
    chat, entry = _editable(sandbox, request)
    return _apply_edit(sandbox, chat, entry, inline_keyboard=keyboard)


async def delete_message(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle deleteMessage."""
    chat = sandbox.state.chat_for_bot(request.chat_id())
    entry = chat.entries.get(request.integer("message_id") or 0)
    if entry is None or entry.deleted:
        raise bad_request("message to delete not found")
    entry.deleted = True
    sandbox.state.touch(entry)
    return True


async def send_chat_action(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle sendChatAction."""
    chat_id = request.chat_id()
    if request.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    sandbox.state.chat_for_bot(chat_id)
    return True


async def answer_callback_query(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle answerCallbackQuery."""
    text = validation.callback_answer_text(request.text("text"))
    query_id = request.text("callback_query_id") or ""
    sandbox.state.answer_callback(query_id, text, request.flag("show_alert"))
    return True


MESSAGE_METHODS = {
    "sendMessage": send_message,
    "sendDocument": send_document,
    "sendPhoto": send_photo,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
    "answerCallbackQuery": answer_callback_query,
}
