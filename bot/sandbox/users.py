"""Simulated Telegram users and group chats that tests drive in-process."""

from __future__ import annotations

import asyncio
import re
import struct
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from .records import ChatEntry, ChatRecord, SentMessage, UserProfile
from .render import message_object, user_object
from .state import now_seconds

if TYPE_CHECKING:
    from .sandbox import Sandbox

COMMAND_PATTERN = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Encode one PNG chunk."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


TINY_PNG = (
    b"\x89PNG\r\n\x1a\n"
    + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + png_chunk(b"IDAT", zlib.compress(b"\x00\x2a\x9d\x8f"))
    + png_chunk(b"IEND", b"")
)
FAKE_VOICE = b"OggS\x00sandbox-voice"


class WaitTimeout(AssertionError, TimeoutError):
    """Raised when an awaited bot reaction does not arrive in time."""


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entity Telegram adds when text starts with a command."""
    match = COMMAND_PATTERN.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0).encode("utf-16-le")) // 2}]


class ChatView:
    """Read the bot's messages in one chat and wait for new ones with a read cursor."""

    def __init__(self, sandbox: Sandbox, chat_id: int) -> None:
        self._sandbox = sandbox
        self.chat_id = chat_id
        self._read_count = 0

    @property
    def chat(self) -> ChatRecord:
        """Return the chat record."""
        return self._sandbox.state.chats[self.chat_id]

    @property
    def messages(self) -> list[SentMessage]:
        """Return every message the bot sent to this chat, in order, with edits applied."""
        return [entry.snapshot(self.chat_id) for entry in self.chat.bot_entries()]

    @property
    def last_message(self) -> SentMessage | None:
        """Return the bot's latest message in this chat, or None."""
        entries = self.chat.bot_entries()
        return entries[-1].snapshot(self.chat_id) if entries else None

    @property
    def unread(self) -> list[SentMessage]:
        """Return the bot's messages after the read cursor without consuming them."""
        return self.messages[self._read_count :]

    def message(self, message_id: int) -> SentMessage:
        """Return the current state of one bot message."""
        entry = self.chat.entries.get(message_id)
        if entry is None or not entry.from_bot:
            raise AssertionError(f"the bot sent no message {message_id} to chat {self.chat_id}")
        return entry.snapshot(self.chat_id)

    def mark_read(self) -> None:
        """Move the read cursor past every message the bot has sent so far."""
        self._read_count = len(self.chat.bot_entries())

    def _summary(self) -> str:
        lines = [f"  #{m.message_id}: {(m.text or m.caption or '')[:80]!r}" for m in self.messages]
        return "\n".join(lines) or "  (none)"

    async def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Wait until `count` unread bot messages exist, consume them and return them."""
        target = self._read_count + count
        arrived = await self._sandbox.state.changed.wait_for(lambda: len(self.chat.bot_entries()) >= target, timeout)
        if not arrived:
            raise WaitTimeout(
                f"chat {self.chat_id}: expected {count} new bot message(s) within {timeout}s, "
                f"got {len(self.chat.bot_entries()) - self._read_count}; all bot messages:\n{self._summary()}"
            )
        entries = self.chat.bot_entries()[self._read_count : target]
        self._read_count = target
        return [entry.snapshot(self.chat_id) for entry in entries]

    async def wait_for_message(self, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """Wait for the next unread bot message (the one after the read cursor), consume and return it."""
        return (await self.wait_for_messages(1, timeout))[0]

    async def wait_until(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until predicate(self) is true, re-checking after every change in the sandbox."""
        if not await self._sandbox.state.changed.wait_for(lambda: predicate(self), timeout):
            raise WaitTimeout(
                f"chat {self.chat_id}: condition still false after {timeout}s; bot messages:\n{self._summary()}"
            )

    def _message_of(self, entry: ChatEntry) -> dict[str, Any]:
        return message_object(self._sandbox.state, self._sandbox.bot_user, self.chat, entry)

    async def _post_message(self, sender_id: int, kind: str, **fields: Any) -> int:
        chat = self.chat
        chat.known = True
        entry = self._sandbox.state.add_entry(chat, from_bot=False, sender_id=sender_id, kind=kind, **fields)
        update_id = self._sandbox.push_update({"message": self._message_of(entry)})
        await asyncio.sleep(0)
        return update_id

    async def _press(self, user_id: int, message_id: int, data: str) -> int:
        entry = self.chat.entries.get(message_id)
        if entry is None or not entry.from_bot or entry.deleted:
            raise AssertionError(f"the bot has no message {message_id} in chat {self.chat_id} to press on")
        self.chat.known = True
        query_id = f"cbq-{len(self._sandbox.state.callbacks) + 1}"
        self._sandbox.state.add_callback(user_id, self.chat_id, message_id, data, query_id)
        query = {
            "id": query_id,
            "from": user_object(self._sandbox.state.profile(user_id)),
            "message": self._message_of(entry),
            "chat_instance": f"sandbox-{self.chat_id}",
            "data": data,
        }
        update_id = self._sandbox.push_update({"callback_query": query})
        await asyncio.sleep(0)
        return update_id


class SimUser(ChatView):
    """A simulated person in a private chat with the bot (chat id == user id)."""

    def __init__(self, sandbox: Sandbox, profile: UserProfile) -> None:
        super().__init__(sandbox, profile.user_id)
        self.profile = profile

    @property
    def user_id(self) -> int:
        """Return the Telegram user id."""
        return self.profile.user_id

    @property
    def first_name(self) -> str:
        """Return the user's first name."""
        return self.profile.first_name

    @property
    def blocked(self) -> bool:
        """Tell whether the user has blocked the bot."""
        return self.chat.blocked

    @property
    def callback_answers(self) -> list[tuple[str, str | None]]:
        """Return (query_id, text or None) for each of this user's answered callback queries."""
        records = [r for r in self._sandbox.state.callbacks.values() if r.user_id == self.user_id and r.answered]
        return [(r.query_id, r.answer_text) for r in sorted(records, key=lambda r: r.answer_seq)]

    @property
    def last_query_id(self) -> str | None:
        """Return the id of this user's latest callback query, or None."""
        ids = [r.query_id for r in self._sandbox.state.callbacks.values() if r.user_id == self.user_id]
        return ids[-1] if ids else None

    async def _post(self, kind: str, **fields: Any) -> int:
        self.chat.blocked = False
        return await self._post_message(self.user_id, kind, **fields)

    async def send(self, text: str) -> int:
        """Send a text message (commands get a bot_command entity); return the update_id."""
        return await self._post("text", text=text, raw_text=text, entities=command_entities(text))

    async def send_sticker(self, emoji: str = "👍") -> int:
        """Send a sticker; return the update_id."""
        stored = self._sandbox.state.store_file(b"RIFF-sandbox-sticker", folder="stickers", mime_type="image/webp")
        sticker = {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": emoji,
        }  # fmt: skip
        return await self._post("sticker", extra={"sticker": sticker})

    async def send_photo(self, data: bytes | None = None, caption: str | None = None) -> int:
        """Send a photo (a 1x1 PNG unless data is given); return the update_id."""
        stored = self._sandbox.state.store_file(data or TINY_PNG, folder="photos", mime_type="image/png")
        return await self._post("photo", photo=stored, caption=caption)

    async def send_voice(self, duration: int = 2, data: bytes | None = None) -> int:
        """Send a voice note; return the update_id."""
        stored = self._sandbox.state.store_file(data or FAKE_VOICE, folder="voice", mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "duration": duration,
            "mime_type": "audio/ogg", "file_size": len(stored.data),
        }  # fmt: skip
        return await self._post("voice", extra={"voice": voice})

    async def send_location(self, latitude: float = 51.5074, longitude: float = -0.1278) -> int:
        """Send a location; return the update_id."""
        return await self._post("location", extra={"location": {"latitude": latitude, "longitude": longitude}})

    async def send_document(
        self,
        data: bytes,
        filename: str = "file.txt",
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        """Send a document; return the update_id."""
        stored = self._sandbox.state.store_file(data, folder="documents", filename=filename, mime_type=mime_type)
        return await self._post("document", document=stored, caption=caption)

    async def edit(self, message_id: int, text: str) -> int:
        """Edit one of this user's own text messages; return the edited_message update_id."""
        entry = self.chat.entries.get(message_id)
        if entry is None or entry.from_bot or entry.text is None:
            raise AssertionError(f"user {self.user_id} has no text message {message_id} to edit")
        entry.text = entry.raw_text = text
        entry.entities = command_entities(text)
        entry.edit_count += 1
        entry.edit_date = now_seconds()
        self._sandbox.state.touch(entry)
        update_id = self._sandbox.push_update({"edited_message": self._message_of(entry)})
        await asyncio.sleep(0)
        return update_id

    async def press(self, message_id: int, data: str) -> int:
        """Press an inline button with this callback data on a bot message; return the update_id."""
        self.chat.blocked = False
        return await self._press(self.user_id, message_id, data)

    async def press_button(self, message: SentMessage | int, label_fragment: str) -> int:
        """Press the button whose label contains the fragment (case-insensitive); return the update_id."""
        current = self.message(message if isinstance(message, int) else message.message_id)
        button = current.button(label_fragment)
        if button.callback_data is None:
            raise AssertionError(f"button {button.text!r} has no callback_data (url: {button.url!r})")
        return await self.press(current.message_id, button.callback_data)

    def block(self) -> None:
        """Block the bot: later sends and edits to this chat get 403 Forbidden."""
        self.chat.blocked = True
        self._sandbox.state.next_seq()

    def unblock(self) -> None:
        """Unblock the bot."""
        self.chat.blocked = False
        self._sandbox.state.next_seq()


class SimGroup(ChatView):
    """A simulated group chat the bot is a member of."""

    @property
    def title(self) -> str:
        """Return the group's title."""
        return self.chat.title or str(self.chat_id)

    async def send(self, from_user_id: int, text: str) -> int:
        """Post a text message in the group as a user (created if new); return the update_id."""
        self._sandbox.user(from_user_id)
        return await self._post_message(from_user_id, "text", text=text, raw_text=text, entities=command_entities(text))

    async def press(self, from_user_id: int, message_id: int, data: str) -> int:
        """Press an inline button on a bot message in the group as a user; return the update_id."""
        self._sandbox.user(from_user_id)
        return await self._press(from_user_id, message_id, data)
