"""The HTTP user-side API under /sandbox/api and the web chat page."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .render import web_entry
from .sandbox import SANDBOX_KEY, Sandbox
from .users import SimUser

STATIC_DIR = Path(__file__).parent / "static"
CHAT_PAGE = STATIC_DIR / "chat.html"
MAX_WAIT_SECONDS = 30.0
routes = web.RouteTableDef()


def sandbox_of(request: web.Request) -> Sandbox:
    """Return the sandbox the request's application serves."""
    return request.app[SANDBOX_KEY]


def json_error(message: str, status: type[web.HTTPException] = web.HTTPBadRequest) -> web.HTTPException:
    """Build an HTTP error with a JSON {"error": message} body."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


async def read_json(request: web.Request) -> dict[str, Any]:
    """Return the JSON object body, or {} when there is none."""
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise json_error("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise json_error("the body must be a JSON object")
    return body


def parse_int(value: Any, name: str) -> int:
    """Convert to int or answer 400."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise json_error(f"{name} must be an integer") from None


def _user_view(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.user_id,
        "first_name": user.first_name,
        "last_name": user.profile.last_name,
        "username": user.profile.username,
        "blocked": user.blocked,
        "known": user.chat.known,
        "message_count": len(user.chat.entries),
    }


def _path_user(request: web.Request) -> SimUser:
    user_id = parse_int(request.match_info["user_id"], "user_id")
    if user_id <= 0:
        raise json_error("user ids are positive")
    return sandbox_of(request).user(user_id)


@routes.get("/")
@routes.get("/chat")
async def chat_page(request: web.Request) -> web.StreamResponse:
    """Serve the web chat page."""
    return web.FileResponse(CHAT_PAGE, headers={"Cache-Control": "no-store"})


@routes.get("/sandbox/api/users")
async def list_users(request: web.Request) -> web.Response:
    """List simulated users."""
    return web.json_response({"users": [_user_view(user) for user in sandbox_of(request).users]})


@routes.post("/sandbox/api/users")
async def create_user(request: web.Request) -> web.Response:
    """Get or create a simulated user from {"id", "first_name", "last_name"?, "username"?}."""
    body = await read_json(request)
    user_id = parse_int(body.get("id"), "id")
    if user_id <= 0:
        raise json_error("user ids are positive")
    user = sandbox_of(request).user(
        user_id,
        body.get("first_name") or None,
        last_name=body.get("last_name"),
        username=body.get("username"),
    )
    return web.json_response(_user_view(user))


@routes.post("/sandbox/api/users/{user_id}/send")
async def user_send(request: web.Request) -> web.Response:
    """Send as a user: {"text"} or {"kind": "sticker"|"photo"|"voice"|"location"}."""
    user = _path_user(request)
    body = await read_json(request)
    kind = body.get("kind", "text")
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise json_error("text must be a non-empty string")
        update_id = await user.send(text)
    elif kind == "sticker":
        update_id = await user.send_sticker()
    elif kind == "photo":
        update_id = await user.send_photo(caption=body.get("caption"))
    elif kind == "voice":
        update_id = await user.send_voice()
    elif kind == "location":
        update_id = await user.send_location()
    else:
        raise json_error(f"unknown kind {kind!r}")
    return web.json_response({"update_id": update_id})


@routes.post("/sandbox/api/users/{user_id}/press")
async def user_press(request: web.Request) -> web.Response:
    """Press an inline button as a user: {"message_id", "callback_data"}."""
    user = _path_user(request)
    body = await read_json(request)
    data = body.get("callback_data")
    if not isinstance(data, str):
        raise json_error("callback_data must be a string")
    try:
        update_id = await user.press(parse_int(body.get("message_id"), "message_id"), data)
    except AssertionError as exc:
        raise json_error(str(exc), web.HTTPNotFound) from None
    return web.json_response({"update_id": update_id})


@routes.post("/sandbox/api/users/{user_id}/block")
async def user_block(request: web.Request) -> web.Response:
    """Make a user block the bot."""
    user = _path_user(request)
    user.block()
    return web.json_response(_user_view(user))


@routes.post("/sandbox/api/users/{user_id}/unblock")
async def user_unblock(request: web.Request) -> web.Response:
    """Make a user unblock the bot."""
    user = _path_user(request)
    user.unblock()
    return web.json_response(_user_view(user))


@routes.post("/sandbox/api/groups/{chat_id}/send")
async def group_send(request: web.Request) -> web.Response:
    """Post in a group chat: {"from_user_id", "text", "title"?}."""
    chat_id = parse_int(request.match_info["chat_id"], "chat_id")
    body = await read_json(request)
    if chat_id >= 0 or not isinstance(body.get("text"), str) or not body["text"]:
        raise json_error("group ids are negative and text must be a non-empty string")
    group = sandbox_of(request).group(chat_id, body.get("title"))
    update_id = await group.send(parse_int(body.get("from_user_id"), "from_user_id"), body["text"])
    return web.json_response({"update_id": update_id})


def _chat_changes(sandbox: Sandbox, chat_id: int, after: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    chat = sandbox.state.chats[chat_id]
    messages = [web_entry(entry) for entry in chat.entries.values() if entry.seq > after]
    answers = [
        {
            "query_id": r.query_id,
            "message_id": r.message_id,
            "text": r.answer_text,
            "show_alert": r.show_alert,
        }
        for r in sandbox.state.callbacks.values()
        if r.chat_id == chat_id and r.answered and r.answer_seq > after
    ]
    return messages, answers


@routes.get("/sandbox/api/chats/{chat_id}/messages")
async def chat_messages(request: web.Request) -> web.Response:
    """List both sides of a chat changed after ?after=<seq>, long polling up to ?wait=<seconds>."""
    sandbox = sandbox_of(request)
    chat_id = parse_int(request.match_info["chat_id"], "chat_id")
    if chat_id not in sandbox.state.chats:
        raise json_error("unknown chat", web.HTTPNotFound)
    after = parse_int(request.query.get("after", "0"), "after")
    wait = min(max(float(request.query.get("wait", "0") or 0), 0.0), MAX_WAIT_SECONDS)
    deadline = time.monotonic() + wait
    while True:
        messages, answers = _chat_changes(sandbox, chat_id, after)
        remaining = deadline - time.monotonic()
        if messages or answers or remaining <= 0 or sandbox.closing:
            break
        await sandbox.state.changed.wait(remaining)
    chat = sandbox.state.chats[chat_id]
    return web.json_response(
        {
            "chat_id": chat_id,
            "blocked": chat.blocked,
            "messages": messages,
            "callback_answers": answers,
            "last_seq": sandbox.state.last_seq,
        }
    )


@routes.get("/sandbox/api/files/{file_id}")
async def download_file(request: web.Request) -> web.StreamResponse:
    """Download a stored file (documents as attachments, images inline)."""
    stored = sandbox_of(request).state.files.get(request.match_info["file_id"])
    if stored is None:
        raise json_error("unknown file", web.HTTPNotFound)
    mime_type = stored.mime_type or "application/octet-stream"
    disposition = "inline" if mime_type.startswith("image/") else "attachment"
    filename = stored.filename or stored.file_path.rsplit("/", 1)[-1]
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
    }
    return web.Response(body=stored.data, content_type=mime_type, headers=headers)
