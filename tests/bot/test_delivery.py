"""Lease -> send -> mark: everything leased is sent once and recorded; a failure to record stops the sending."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.delivery import deliver_leased


async def test_everything_leased_is_sent_once_and_recorded_in_groups() -> None:
    batches = [list(range(0, 40)), list(range(40, 75)), []]
    sent: list[int] = []
    marked: list[list[int]] = []

    async def lease() -> list[int]:
        return batches.pop(0)

    async def send(item: int) -> str:
        await asyncio.sleep(0)
        sent.append(item)
        return "sent"

    async def mark(group: list[tuple[int, str]]) -> None:
        marked.append([item for item, _ in group])

    results = await deliver_leased(lease, send, mark, ahead=10, concurrency=4, mark_every=8)
    assert sorted(sent) == list(range(75)) and results == ["sent"] * 75
    assert sorted(item for group in marked for item in group) == list(range(75))
    assert all(len(group) <= 8 for group in marked)


async def test_when_results_cannot_be_recorded_sending_stops() -> None:
    sent: list[int] = []
    handed_out = iter([list(range(100)), []])

    async def lease() -> list[int]:
        return next(handed_out)

    async def send(item: int) -> str:
        await asyncio.sleep(0.001)
        sent.append(item)
        return "sent"

    async def mark(group: list[tuple[int, str]]) -> None:
        raise ConnectionError("the database is down")

    with pytest.raises(BaseException) as caught:
        await deliver_leased(lease, send, mark, ahead=20, concurrency=2, mark_every=5)
    assert "database is down" in repr(caught.value) or isinstance(caught.value, ConnectionError)
    assert len(sent) < 20, f"{len(sent)} sent after marking failed"
