"""The Bot API endpoint: token check, fault injection, dispatch and Telegram-shaped answers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import NOT_FOUND, UNAUTHORIZED, ApiError, server_error, too_many_requests
from .faults import Fault
from .messaging import MESSAGE_METHODS
from .params import BotRequest, read_bot_request
from .polling import UPDATE_METHODS
from .sandbox import SANDBOX_KEY, Sandbox

logger = logging.getLogger(__name__)

MethodHandler = Callable[[Sandbox, BotRequest], Awaitable[Any]]
METHODS: dict[str, MethodHandler] = {**UPDATE_METHODS, **MESSAGE_METHODS}
METHODS_BY_LOWER_NAME: dict[str, str] = {name.lower(): name for name in METHODS}


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    """Return a JSON response the way Telegram formats it."""
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def error_response(sandbox: Sandbox, method: str, error: ApiError) -> web.Response:
    """Count an error and return its Telegram-shaped body."""
    sandbox.stats.errors[f"{method}:{error.code}"] += 1
    logger.debug("sandbox %s -> %s", method, error.code)
    return json_response(error.body(), status=error.code)


async def apply_fault(
    sandbox: Sandbox, request: web.Request, method: str, fault: Fault, chat_id: int | None = None
) -> web.Response | None:
    """Apply an injected fault; return the response to send, or None to answer normally."""
    sandbox.stats.faults_injected[fault.kind] += 1
    logger.debug("sandbox %s: injected fault %s", method, fault.kind)
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind in ("drop", "timeout"):
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
        sandbox.stats.record_request(method, chat_id, 0)
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    if fault.kind == "429":
        sandbox.stats.too_many_requests_injected += 1
        sandbox.stats.record_request(method, chat_id, 429, fault.retry_after)
        return error_response(sandbox, method, too_many_requests(fault.retry_after))
    sandbox.stats.record_request(method, chat_id, int(fault.kind))
    return error_response(sandbox, method, server_error(int(fault.kind)))


def _chat_of(bot_request: BotRequest | None) -> int | None:
    """The call's numeric chat_id, or None (for the request records only; never raises)."""
    value = bot_request.values.get("chat_id") if bot_request is not None else None
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


async def handle_bot_api(request: web.Request) -> web.StreamResponse:
    """Answer POST/GET /bot{token}/{method} like the Telegram Bot API."""
    sandbox = request.app[SANDBOX_KEY]
    method = METHODS_BY_LOWER_NAME.get(request.match_info["method"].lower())
    if request.match_info["token"] != sandbox.token:
        return error_response(sandbox, method or "unknown", UNAUTHORIZED)
    if method is None:
        return error_response(sandbox, "unknown", NOT_FOUND)
    received = time.monotonic()
    bot_request: BotRequest | None = None
    unreadable: ApiError | None = None
    try:
        bot_request = await read_bot_request(request, method)
    except ApiError as error:
        unreadable = error
    chat_id = _chat_of(bot_request)
    fault = sandbox.faults.pick(method)
    if fault is not None:
        faulted = await apply_fault(sandbox, request, method, fault, chat_id)
        if faulted is not None:
            return faulted
    try:
        if unreadable is not None:
            raise unreadable
        assert bot_request is not None
        result = await METHODS[method](sandbox, bot_request)
    except ApiError as error:
        if method != "getUpdates":  # a 429 is timed at its answer: the wait it asks for starts then
            retry_after = (error.parameters or {}).get("retry_after")
            sandbox.stats.record_request(method, chat_id, error.code, retry_after, at=None if retry_after else received)
        return error_response(sandbox, method, error)
    sandbox.stats.accepted[method] += 1
    if method != "getUpdates":
        sandbox.stats.record_request(method, chat_id, 200, at=received)
    logger.debug("sandbox %s -> 200", method)
    return json_response({"ok": True, "result": result})


async def handle_file_download(request: web.Request) -> web.StreamResponse:
    """Serve /file/bot{token}/{file_path} like Telegram's file server."""
    sandbox = request.app[SANDBOX_KEY]
    if request.match_info["token"] != sandbox.token:
        return error_response(sandbox, "file", UNAUTHORIZED)
    stored = sandbox.state.file_by_path(request.match_info["file_path"])
    if stored is None:
        return error_response(sandbox, "file", NOT_FOUND)
    return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
