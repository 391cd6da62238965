"""A running bot on each database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import RunningBot, start_bot


@pytest.fixture(params=BACKENDS)
async def bot(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[RunningBot]:
    """A sandbox and a real Cairn polling it, on SQLite or PostgreSQL."""
    url = await migrated_database_url(request.param, tmp_path)
    running = await start_bot(url, (Fernet.generate_key().decode(),))
    running.backend = request.param  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        await running.stop()
        await running.server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


class Clock:
    """A clock a test moves by hand (`clock.now += timedelta(minutes=16)`)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
async def clocked(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[tuple[RunningBot, Clock]]:
    """A running bot whose clock the test moves, on SQLite or PostgreSQL."""
    url = await migrated_database_url(request.param, tmp_path)
    clock = Clock()
    running = await start_bot(url, (Fernet.generate_key().decode(),), clock=clock)
    try:
        yield running, clock
    finally:
        await running.stop()
        await running.server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)
