"""Lease -> send -> mark, overlapped: the shape every sending job shares (prompts, broadcasts).

The next batch is leased while the current one is still being sent, and results are written in small groups
while sending goes on, so the sender never stands idle waiting for the database. Pacing is not done here:
every send goes through the bot's shared limiter (bot/telegram/rate_limit.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

_DONE = object()


async def deliver_leased(
    lease: Callable[[], Awaitable[Sequence[Item]]],
    send: Callable[[Item], Awaitable[Result]],
    mark: Callable[[list[tuple[Item, Result]]], Awaitable[None]],
    *,
    ahead: int,
    concurrency: int,
    mark_every: int = 50,
) -> list[Result]:
    """Send everything `lease` hands out until it hands out nothing; return every result, in sending order.

    `ahead` bounds how many leased items may wait to be sent (keep it well inside the lease time), and
    `mark_every` how many results are written in one transaction.
    """
    waiting: asyncio.Queue[object] = asyncio.Queue(maxsize=max(1, ahead))
    finished: asyncio.Queue[object] = asyncio.Queue()
    results: list[Result] = []

    async def lease_ahead() -> None:
        while batch := await lease():
            for item in batch:
                await waiting.put(item)
        for _ in range(concurrency):  # on an error the task group cancels the senders instead
            await waiting.put(_DONE)

    async def send_each() -> None:
        while (item := await waiting.get()) is not _DONE:
            if marker.done():  # marking failed: send nothing more that could not be recorded
                raise RuntimeError("results can no longer be recorded")
            outcome = await send(item)  # type: ignore[arg-type]
            results.append(outcome)
            await finished.put((item, outcome))

    async def mark_in_groups() -> None:
        while (first := await finished.get()) is not _DONE:
            group = [first]
            while len(group) < mark_every and not finished.empty():
                following = finished.get_nowait()
                if following is _DONE:
                    await mark(group)  # type: ignore[arg-type]
                    return
                group.append(following)
            await mark(group)  # type: ignore[arg-type]

    marker = asyncio.create_task(mark_in_groups())
    try:
        async with asyncio.TaskGroup() as senders:
            senders.create_task(lease_ahead())
            for _ in range(concurrency):
                senders.create_task(send_each())
    finally:
        finished.put_nowait(_DONE)
        await marker  # what was sent is recorded even when sending failed; a marking error surfaces here
    return results
