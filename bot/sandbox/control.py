"""The HTTP control API: faults, flood limits, counters and raw updates."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .faults import normalize_kind
from .sandbox import Sandbox
from .web import json_error, parse_int, read_json, sandbox_of

routes = web.RouteTableDef()


@routes.get("/sandbox/api/faults")
async def list_faults(request: web.Request) -> web.Response:
    """Show scripted faults and any storm."""
    return web.json_response(sandbox_of(request).faults.describe())


@routes.post("/sandbox/api/faults")
async def add_fault(request: web.Request) -> web.Response:
    """Add faults: {"kind", "count"?, "methods"?, "retry_after"?, "delay"?}."""
    sandbox = sandbox_of(request)
    body = await read_json(request)
    try:
        sandbox.faults.add(
            normalize_kind(body.get("kind", "")),
            count=parse_int(body.get("count", 1), "count"),
            methods=body.get("methods"),
            retry_after=parse_int(body.get("retry_after", 1), "retry_after"),
            delay=float(body.get("delay", 1.0)),
        )
    except ValueError as exc:
        raise json_error(str(exc)) from None
    return web.json_response(sandbox.faults.describe())


@routes.post("/sandbox/api/faults/storm")
async def start_storm(request: web.Request) -> web.Response:
    """Start a storm: {"kinds", "probability", "seconds", "methods"?, "retry_after"?, "delay"?, "seed"?}."""
    sandbox = sandbox_of(request)
    body = await read_json(request)
    try:
        sandbox.faults.storm(
            kinds=body.get("kinds") or [],
            probability=float(body.get("probability", 0.0)),
            seconds=float(body.get("seconds", 0.0)),
            methods=body.get("methods"),
            retry_after=parse_int(body.get("retry_after", 1), "retry_after"),
            delay=float(body.get("delay", 0.5)),
            seed=body.get("seed"),
        )
    except (TypeError, ValueError) as exc:
        raise json_error(str(exc)) from None
    return web.json_response(sandbox.faults.describe())


@routes.delete("/sandbox/api/faults")
async def clear_faults(request: web.Request) -> web.Response:
    """Remove every fault."""
    sandbox = sandbox_of(request)
    sandbox.faults.clear()
    return web.json_response(sandbox.faults.describe())


@routes.get("/sandbox/api/stats")
async def read_stats(request: web.Request) -> web.Response:
    """Show the counters."""
    return web.json_response(sandbox_of(request).stats.as_dict())


@routes.delete("/sandbox/api/stats")
async def reset_stats(request: web.Request) -> web.Response:
    """Zero the counters."""
    sandbox = sandbox_of(request)
    sandbox.stats.reset()
    return web.json_response(sandbox.stats.as_dict())


def _limits_view(sandbox: Sandbox) -> dict[str, Any]:
    limits = sandbox.limits
    return {
        "enforce": limits.enabled,
        "global_per_second": limits.global_per_second,
        "per_chat_burst": limits.per_chat_burst,
    }


@routes.get("/sandbox/api/limits")
async def read_limits(request: web.Request) -> web.Response:
    """Show the flood limit settings."""
    return web.json_response(_limits_view(sandbox_of(request)))


@routes.post("/sandbox/api/limits")
async def change_limits(request: web.Request) -> web.Response:
    """Change flood limits: {"enforce"?, "global_per_second"?, "per_chat_burst"?}."""
    sandbox = sandbox_of(request)
    body = await read_json(request)
    if "enforce" in body:
        sandbox.enforce_limits = bool(body["enforce"])
    for name in ("global_per_second", "per_chat_burst"):
        if name in body:
            setattr(sandbox.limits, name, max(1, parse_int(body[name], name)))
    return web.json_response(_limits_view(sandbox))


@routes.get("/sandbox/api/updates/pending")
async def pending_updates(request: web.Request) -> web.Response:
    """List the updates the bot has not confirmed."""
    return web.json_response({"updates": sandbox_of(request).pending_updates()})


@routes.post("/sandbox/api/updates")
async def push_raw_update(request: web.Request) -> web.Response:
    """Queue a raw update dict as given (update_id assigned when missing)."""
    body = await read_json(request)
    if not body:
        raise json_error("the update must be a non-empty JSON object")
    return web.json_response({"update_id": sandbox_of(request).push_raw_update(body)})


@routes.post("/sandbox/api/updates/{update_id}/redeliver")
async def redeliver_update(request: web.Request) -> web.Response:
    """Deliver an already-sent update again with the same update_id."""
    update_id = parse_int(request.match_info["update_id"], "update_id")
    try:
        sandbox_of(request).redeliver(update_id)
    except KeyError:
        raise json_error("unknown update_id", web.HTTPNotFound) from None
    return web.json_response({"update_id": update_id})


@routes.post("/sandbox/api/chats/known")
async def make_chats_known(request: web.Request) -> web.Response:
    """Mark a range of private chats as started (as if each user had pressed Start): {"first": id, "count": n}."""
    body = await request.json()
    first, count = int(body["first"]), int(body["count"])
    if not 0 < count <= 1_000_000:
        return web.json_response({"error": "count must be 1..1000000"}, status=400)
    sandbox = sandbox_of(request)
    for user_id in range(first, first + count):
        sandbox.user(user_id).chat.known = True
    return web.json_response({"known": count})
