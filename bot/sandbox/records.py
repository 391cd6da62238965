"""In-memory records of users, chats, messages and files, plus the snapshots tests read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the bot sent it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SentDocument:
    """A document the bot sent, with its full content."""

    file_id: str
    filename: str
    mime_type: str
    data: bytes

    def text(self, encoding: str = "utf-8") -> str:
        """Decode the document content as text."""
        return self.data.decode(encoding)

    def json(self) -> Any:
        """Parse the document content as JSON."""
        return json.loads(self.data)


@dataclass(frozen=True)
class SentMessage:
    """A snapshot of one message the bot sent to a chat, with later edits applied."""

    message_id: int
    chat_id: int
    text: str | None
    caption: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    document: SentDocument | None = None
    photo: bytes | None = None
    edit_count: int = 0
    raw_text: str | None = None
    parse_mode: str | None = None
    keyboard: list[list[str]] | None = None
    deleted: bool = False
    date: int = 0

    @property
    def all_buttons(self) -> list[Button]:
        """Return every inline button, row by row."""
        return [button for row in self.buttons for button in row]

    @property
    def button_labels(self) -> list[str]:
        """Return the label of every inline button, row by row."""
        return [button.text for button in self.all_buttons]

    def has_button(self, label_fragment: str) -> bool:
        """Tell whether some button label contains the fragment (case-insensitive)."""
        fragment = label_fragment.casefold()
        return any(fragment in button.text.casefold() for button in self.all_buttons)

    def button(self, label_fragment: str) -> Button:
        """Return the first button whose label contains the fragment (case-insensitive)."""
        fragment = label_fragment.casefold()
        for button in self.all_buttons:
            if fragment in button.text.casefold():
                return button
        raise AssertionError(
            f"no button containing {label_fragment!r} on message {self.message_id}; buttons: {self.button_labels!r}"
        )


@dataclass
class StoredFile:
    """A file the sandbox holds: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def telegram_file(self) -> dict[str, Any]:
        """Return the File object getFile answers with."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class UserProfile:
    """The Telegram identity of a simulated user."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"


@dataclass
class ChatEntry:
    """One message in a chat, from the bot or from a user, in its latest state."""

    message_id: int
    from_bot: bool
    sender_id: int
    date: int
    kind: str
    seq: int = 0
    text: str | None = None
    raw_text: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    inline_keyboard: list[list[dict[str, Any]]] | None = None
    keyboard: list[list[str]] | None = None
    edit_count: int = 0
    edit_date: int | None = None
    deleted: bool = False

    def snapshot(self, chat_id: int) -> SentMessage:
        """Freeze this entry into the SentMessage tests read."""
        document = None
        if self.document is not None:
            document = SentDocument(
                file_id=self.document.file_id,
                filename=self.document.filename or "document",
                mime_type=self.document.mime_type or "application/octet-stream",
                data=self.document.data,
            )
        buttons = [
            [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in self.inline_keyboard or []
        ]
        return SentMessage(
            message_id=self.message_id,
            chat_id=chat_id,
            text=self.text,
            caption=self.caption,
            buttons=buttons,
            document=document,
            photo=self.photo.data if self.photo is not None else None,
            edit_count=self.edit_count,
            raw_text=self.raw_text,
            parse_mode=self.parse_mode,
            keyboard=self.keyboard,
            deleted=self.deleted,
            date=self.date,
        )


@dataclass
class ChatRecord:
    """A private chat or a group the sandbox knows, with its messages in order."""

    chat_id: int
    kind: str
    title: str | None = None
    known: bool = False
    blocked: bool = False
    entries: dict[int, ChatEntry] = field(default_factory=dict)
    next_message_id: int = 1

    def bot_entries(self) -> list[ChatEntry]:
        """Return the bot's messages in the order they were sent."""
        return [entry for entry in self.entries.values() if entry.from_bot]


@dataclass
class CallbackRecord:
    """A callback query a simulated user sent, and how the bot answered it."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    answer_seq: int = 0
