"""The Sandbox: one simulated Telegram with its users, updates, faults and limits."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .errors import too_many_requests
from .faults import FaultPlan
from .limits import RateLimiter
from .records import ChatEntry, ChatRecord
from .render import message_object
from .state import SandboxState
from .stats import SandboxStats
from .updates import UpdateQueue
from .users import SimGroup, SimUser
from .webhook import WebhookDelivery

DEFAULT_TOKEN = "123456:SANDBOX-TOKEN-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"  # noqa: S105 - fake, local only
BOT_FIRST_NAME = "Cairn"
BOT_USERNAME = "cairn_sandbox_bot"


def bot_id_from_token(token: str) -> int:
    """Return the bot's user id: the number before the colon of the token."""
    prefix, separator, secret = token.partition(":")
    if not separator or not prefix.isdigit() or not secret:
        raise ValueError("a bot token looks like '123456:SECRET'")
    return int(prefix)


class Sandbox:
    """A local stand-in for Telegram: Bot API state plus simulated users."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        enforce_limits: bool = False,
        global_per_second: int = 30,
        per_chat_burst: int = 1,
        fault_seed: int | None = None,
    ) -> None:
        self.token = token
        self.bot_id = bot_id_from_token(token)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self.state = SandboxState()
        self.updates = UpdateQueue()
        self.faults = FaultPlan(seed=fault_seed)
        self.limits = RateLimiter(enforce_limits, global_per_second, per_chat_burst)
        self.stats = SandboxStats()
        self.webhook = WebhookDelivery(self.updates)
        self.poll_generation = 0
        self.closing = False
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}

    @property
    def enforce_limits(self) -> bool:
        """Tell whether flood limits answer 429."""
        return self.limits.enabled

    @enforce_limits.setter
    def enforce_limits(self, enabled: bool) -> None:
        self.limits.enabled = enabled

    @property
    def users(self) -> list[SimUser]:
        """Return every simulated user in creation order."""
        return list(self._users.values())

    @property
    def groups(self) -> list[SimGroup]:
        """Return every simulated group in creation order."""
        return list(self._groups.values())

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SimUser:
        """Get or create a simulated user with a private chat (chat id == user id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive; group chats have negative ids")
        profile = self.state.profile(
            user_id, first_name, last_name=last_name, username=username, language_code=language_code
        )
        self.state.private_chat(user_id)
        simulated = self._users.get(user_id)
        if simulated is None:
            simulated = self._users[user_id] = SimUser(self, profile)
            self.state.next_seq()
        return simulated

    def group(self, chat_id: int, title: str | None = None) -> SimGroup:
        """Get or create a group chat the bot is a member of (negative id; -100... is a supergroup)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self.state.group_chat(chat_id, title)
        chat.known = True
        simulated = self._groups.get(chat_id)
        if simulated is None:
            simulated = self._groups[chat_id] = SimGroup(self, chat_id)
        return simulated

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot; return its update_id."""
        return self.updates.push(update)

    def push_raw_update(self, update: dict[str, Any]) -> int:
        """Queue any raw update dict (update_id assigned when missing); return its update_id."""
        return self.push_update(update)

    def redeliver(self, update_id: int) -> None:
        """Deliver an already-sent update again with the same update_id, even if confirmed."""
        self.updates.redeliver(update_id)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates the bot has not confirmed yet."""
        return self.updates.pending()

    def admit_message(self, chat_id: int) -> None:
        """Count a send/edit against the flood limits, or raise 429 when over them."""
        retry_after = self.limits.retry_after(chat_id)
        if retry_after is not None:
            self.stats.too_many_requests_limited += 1
            raise too_many_requests(retry_after)
        self.limits.record(chat_id)

    def record_send(self) -> None:
        """Note the time of an accepted send* call."""
        self.stats.send_timestamps.append(time.monotonic())

    def message_object(self, chat: ChatRecord, entry: ChatEntry) -> dict[str, Any]:
        """Return the Telegram Message object for a chat entry."""
        return message_object(self.state, self.bot_user, chat, entry)

    def begin_poll(self) -> int:
        """Start a getUpdates call, ending any older one with a conflict; return its generation."""
        self.poll_generation += 1
        self.updates.added.notify()
        return self.poll_generation

    async def close(self) -> None:
        """Release long polls and stop webhook delivery."""
        self.closing = True
        await self.webhook.stop()
        self.updates.added.notify()
        self.state.changed.notify()


SANDBOX_KEY = web.AppKey("cairn_sandbox", Sandbox)
