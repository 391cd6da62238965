"""The sandbox in its own process, with simulated members driven from inside it (no flood limits).

`python -m bench.e2e_sandbox --port P --token T` serves the Bot API like `python -m bot.sandbox`, plus two
bench endpoints. POST /bench/drive {"first", "count", "rounds"} runs members `first`..`first+count-1` through
`rounds` whole check-ins (/checkin, the "Good" button, a few words) and answers when all are done. The
sandbox records when each reply arrived (its request records), so the latency is taken on the sandbox's clock:
from the update being queued to the bot's reply (sendMessage) reaching that chat. GET /bench/ready says whether
the bot has polled.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import time
from collections import defaultdict
from typing import Any

from aiohttp import web

from bot.sandbox import Sandbox, SandboxStats, SimUser
from bot.sandbox.sandbox import SANDBOX_KEY
from bot.sandbox.server import create_app

NOTE = "a walk by the river and tea with a neighbour"
STEP_TIMEOUT = 120.0
Queued = list[tuple[int, float]]  # (chat id, moment an update was queued)


class WatchedStats(SandboxStats):
    """The sandbox's counters, also waking the one member whose chat got a reply (not every waiter)."""

    def __init__(self) -> None:
        """Start with no replies."""
        super().__init__()
        self.replies: dict[int, int] = defaultdict(int)
        self._waiters: dict[int, tuple[int, asyncio.Future[None]]] = {}

    def record_request(
        self, method: str, chat_id: int | None, status: int, retry_after: int | None = None, at: float | None = None
    ) -> None:
        """Record as usual; count accepted sendMessage calls per chat and wake that chat's member."""
        super().record_request(method, chat_id, status, retry_after, at)
        if method == "sendMessage" and status == 200 and chat_id is not None:
            self.replies[chat_id] += 1
            waiter = self._waiters.get(chat_id)
            if waiter is not None and self.replies[chat_id] >= waiter[0] and not waiter[1].done():
                waiter[1].set_result(None)

    async def wait_for_replies(self, chat_id: int, count: int) -> None:
        """Wait until the chat has had `count` replies in all."""
        if self.replies[chat_id] >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[chat_id] = (count, future)
        try:
            await asyncio.wait_for(future, STEP_TIMEOUT)
        finally:
            self._waiters.pop(chat_id, None)


async def _step(stats: WatchedStats, user: SimUser, queued: Queued, act: Any, replies: int = 1) -> None:
    """Do one thing, note when its update was queued, and wait for the bot's reply."""
    expected = stats.replies[user.user_id] + replies
    queued.append((user.user_id, time.monotonic()))
    await act
    await stats.wait_for_replies(user.user_id, expected)


def _button(user: SimUser, label: str) -> tuple[int, str]:
    """The newest message with a button like `label`, and that button's data."""
    message = next(m for m in reversed(user.messages) if m.has_button(label))
    data = message.button(label).callback_data
    assert data is not None
    return message.message_id, data


async def check_in(stats: WatchedStats, user: SimUser, rounds: int, queued: Queued) -> None:
    """Whole check-ins: /checkin, the "Good" button, a few words; each waits for its reply."""
    for _ in range(rounds):
        await _step(stats, user, queued, user.send("/checkin"))
        await _step(stats, user, queued, user.press(*_button(user, "Good")))
        await _step(stats, user, queued, user.send(NOTE))


def latencies(sandbox: Sandbox, queued: Queued) -> list[float]:
    """For each queued update, seconds until the next sendMessage the sandbox accepted for that chat."""
    replies: dict[int, list[float]] = defaultdict(list)
    for record in sandbox.stats.requests:
        if record.method == "sendMessage" and record.status == 200 and record.chat_id is not None:
            replies[record.chat_id].append(record.at)
    found = []
    for chat_id, at in queued:
        times = replies[chat_id]
        index = bisect.bisect_left(times, at)
        if index < len(times):
            found.append(times[index] - at)
    return found


async def drive(request: web.Request) -> web.Response:
    """Run members through a phase and report when each update was queued and how long its reply took."""
    sandbox = request.app[SANDBOX_KEY]
    stats = sandbox.stats
    assert isinstance(stats, WatchedStats)
    body = await request.json()
    users = [sandbox.user(body["first"] + index) for index in range(body["count"])]
    queued: Queued = []
    stats.requests.clear()
    began = time.monotonic()
    for user in users:
        user.chat.known = True  # they pressed Start long ago
    try:
        await asyncio.gather(*(check_in(stats, user, body["rounds"], queued) for user in users))
    except Exception as error:  # say what went wrong to the bench, which shows it
        return web.json_response({"error": f"{type(error).__name__}: {error}"[:2000]}, status=500)
    ended = time.monotonic()
    sent = sum(1 for r in sandbox.stats.requests if r.method == "sendMessage" and r.status == 200)
    return web.json_response(
        {
            "updates": len(queued),
            "seconds": ended - began,
            "latencies": latencies(sandbox, queued),
            "messages_sent": sent,
            "requests": len(sandbox.stats.requests),
        }
    )


async def ready(request: web.Request) -> web.Response:
    """Say whether a bot has called getUpdates yet."""
    sandbox = request.app[SANDBOX_KEY]
    return web.json_response({"polling": sandbox.poll_generation > 0})


async def serve(port: int, token: str) -> None:
    """Serve until cancelled."""
    sandbox = Sandbox(token)
    sandbox.stats = WatchedStats()
    app = create_app(sandbox)
    app.router.add_post("/bench/drive", drive)
    app.router.add_get("/bench/ready", ready)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.close()
        await runner.cleanup()


def main() -> None:
    """Serve the bench sandbox until terminated."""
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_sandbox")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.port, arguments.token))


if __name__ == "__main__":
    main()
