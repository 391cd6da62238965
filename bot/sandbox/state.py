"""Users, chats, messages, files and callback queries the sandbox holds in memory."""

from __future__ import annotations

import mimetypes
import struct
import time
from typing import Any

from .errors import bad_request, forbidden
from .records import CallbackRecord, ChatEntry, ChatRecord, StoredFile, UserProfile
from .signals import Signal

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEFAULT_PHOTO_SIDE = 100


def image_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG, or a default square for other images."""
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return DEFAULT_PHOTO_SIDE, DEFAULT_PHOTO_SIDE


def now_seconds() -> int:
    """Return the current Unix time in whole seconds, like Telegram's date fields."""
    return int(time.time())


class SandboxState:
    """Hold everything the simulated Telegram knows, and wake waiters on every change."""

    def __init__(self) -> None:
        self.profiles: dict[int, UserProfile] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.changed = Signal()
        self._seq = 0
        self._file_count = 0

    @property
    def last_seq(self) -> int:
        """Return the sequence number of the latest change."""
        return self._seq

    def next_seq(self) -> int:
        """Advance the change sequence and wake waiters; return the new number."""
        self._seq += 1
        self.changed.notify()
        return self._seq

    def touch(self, entry: ChatEntry) -> None:
        """Mark an entry as changed so pollers see it again."""
        entry.seq = self.next_seq()

    def profile(self, user_id: int, first_name: str | None = None, **details: str | None) -> UserProfile:
        """Get or create a user's profile, updating any details given."""
        profile = self.profiles.get(user_id)
        if profile is None:
            profile = UserProfile(user_id, first_name or f"User {user_id}")
            self.profiles[user_id] = profile
        elif first_name:
            profile.first_name = first_name
        for name, value in details.items():
            if value is not None:
                setattr(profile, name, value)
        return profile

    def private_chat(self, user_id: int) -> ChatRecord:
        """Get or create the private chat with a user (chat id == user id)."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = ChatRecord(chat_id=user_id, kind="private")
            self.chats[user_id] = chat
        return chat

    def group_chat(self, chat_id: int, title: str | None = None) -> ChatRecord:
        """Get or create a group chat; ids starting with -100 are supergroups."""
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            chat = ChatRecord(chat_id=chat_id, kind=kind, title=title or f"Group {chat_id}")
            self.chats[chat_id] = chat
        elif title:
            chat.title = title
        return chat

    def chat_for_bot(self, chat_id: int) -> ChatRecord:
        """Return a chat the bot may write to, or raise Telegram's error."""
        chat = self.chats.get(chat_id)
        if chat is None or not chat.known:
            raise bad_request("chat not found")
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        return chat

    def add_entry(self, chat: ChatRecord, *, from_bot: bool, sender_id: int, kind: str, **fields: Any) -> ChatEntry:
        """Append a message to a chat with the chat's next message_id."""
        entry = ChatEntry(
            message_id=chat.next_message_id,
            from_bot=from_bot,
            sender_id=sender_id,
            date=now_seconds(),
            kind=kind,
            **fields,
        )
        chat.next_message_id += 1
        chat.entries[entry.message_id] = entry
        self.touch(entry)
        return entry

    def store_file(
        self, data: bytes, *, folder: str, filename: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Keep a file and give it a file_id and a download path."""
        self._file_count += 1
        number = self._file_count
        if mime_type is None and filename:
            mime_type = mimetypes.guess_type(filename, strict=False)[0]
        extension = ""
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"SBX{number:06d}-{folder}",
            file_unique_id=f"SBXU{number:06d}",
            file_path=f"{folder}/file_{number}{extension}",
            data=data,
            filename=filename,
            mime_type=mime_type,
        )
        if folder == "photos":
            stored.width, stored.height = image_size(data)
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """Find a stored file by its download path."""
        return next((item for item in self.files.values() if item.file_path == file_path), None)

    def add_callback(self, user_id: int, chat_id: int, message_id: int, data: str, query_id: str) -> CallbackRecord:
        """Remember a callback query a user sent."""
        record = CallbackRecord(query_id, user_id, chat_id, message_id, data)
        self.callbacks[query_id] = record
        return record

    def answer_callback(self, query_id: str, text: str | None, show_alert: bool) -> None:
        """Record the bot's answer to a callback query, or raise Telegram's error."""
        record = self.callbacks.get(query_id)
        if record is None or record.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        record.answered = True
        record.answer_text = text
        record.show_alert = show_alert
        record.answer_seq = self.next_seq()
