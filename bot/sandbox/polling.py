"""Bot API methods for identity, updates, webhooks, files and commands."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from . import validation
from .errors import bad_request, conflict
from .params import BotRequest

if TYPE_CHECKING:
    from .sandbox import Sandbox

MAX_POLL_TIMEOUT_SECONDS = 60
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_ACTIVE = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
TERMINATED = "terminated by other getUpdates request; make sure that only one bot instance is running"


async def get_me(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle getMe."""
    return {
        **sandbox.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _allowed_updates(request: BotRequest) -> list[str] | None:
    try:
        value = request.json_value("allowed_updates")
    except ValueError:
        raise bad_request("can't parse allowed updates JSON object") from None
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("can't parse allowed updates JSON object")
    return value


async def get_updates(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle getUpdates with long polling up to `timeout` seconds."""
    if sandbox.webhook.active:
        raise conflict(WEBHOOK_ACTIVE)
    offset = request.integer("offset")
    limit = min(max(request.integer("limit") or 100, 1), 100)
    timeout = min(max(request.number("timeout") or 0.0, 0.0), MAX_POLL_TIMEOUT_SECONDS)
    allowed = _allowed_updates(request)
    if allowed is not None:
        sandbox.updates.set_allowed(allowed)
    if offset is not None:
        sandbox.updates.confirm_below(offset)
    generation = sandbox.begin_poll()
    deadline = time.monotonic() + timeout
    while True:
        if generation != sandbox.poll_generation:
            raise conflict(TERMINATED)
        if sandbox.webhook.active:
            raise conflict(WEBHOOK_ACTIVE)
        updates = sandbox.updates.take(limit)
        remaining = deadline - time.monotonic()
        if updates or remaining <= 0 or sandbox.closing:
            return updates
        await sandbox.updates.added.wait(remaining)


async def set_webhook(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle setWebhook (an empty url removes the webhook)."""
    url = request.text("url") or ""
    if url and not re.match(r"https?://", url):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret_token = request.text("secret_token") or None
    if secret_token is not None and not SECRET_TOKEN_PATTERN.fullmatch(secret_token):
        raise bad_request("secret token contains unallowed characters")
    allowed = _allowed_updates(request)
    if allowed is not None:
        sandbox.updates.set_allowed(allowed)
    if request.flag("drop_pending_updates"):
        sandbox.updates.drop_pending()
    max_connections = min(max(request.integer("max_connections") or 40, 1), 100)
    await sandbox.webhook.configure(url, secret_token, max_connections)
    sandbox.updates.added.notify()
    return True


async def delete_webhook(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle deleteWebhook."""
    if request.flag("drop_pending_updates"):
        sandbox.updates.drop_pending()
    await sandbox.webhook.configure("", None, 40)
    return True


async def get_webhook_info(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle getWebhookInfo."""
    return sandbox.webhook.info(len(sandbox.updates))


async def get_file(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle getFile."""
    stored = sandbox.state.files.get(request.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.telegram_file()


def _commands_key(request: BotRequest) -> str:
    try:
        scope = request.json_value("scope") or {"type": "default"}
    except ValueError:
        raise bad_request("can't parse BotCommandScope JSON object") from None
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps([scope, request.text("language_code") or ""], sort_keys=True)


async def set_my_commands(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle setMyCommands."""
    commands = validation.bot_commands(request.value("commands"))
    sandbox.state.commands[_commands_key(request)] = commands
    return True


async def get_my_commands(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle getMyCommands."""
    return sandbox.state.commands.get(_commands_key(request), [])


async def delete_my_commands(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle deleteMyCommands."""
    sandbox.state.commands.pop(_commands_key(request), None)
    return True


async def succeed(sandbox: Sandbox, request: BotRequest) -> Any:
    """Handle methods that only acknowledge: close, logOut and bot profile settings."""
    return True


UPDATE_METHODS = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getFile": get_file,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "close": succeed,
    "logOut": succeed,
    "setMyDescription": succeed,
    "setMyShortDescription": succeed,
    "setMyName": succeed,
    "setChatMenuButton": succeed,
}
