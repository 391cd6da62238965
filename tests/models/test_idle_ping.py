"""PostgreSQL: a pooled connection that has been idle is pinged before use, and replaced if the server cut it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import models.database
from models.database import create_engine
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _cut_every_other_connection(url: str) -> None:
    """Terminate every other backend of this database, as a server restart would."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()


async def _backend(engine: object) -> int:
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.database, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = await _backend(engine)
        await _cut_every_other_connection(postgres_url)
        second = await _backend(engine)  # no error: the ping failed and the pool connected again
    finally:
        await engine.dispose()
    assert second != first


async def test_a_connection_used_just_now_is_not_pinged(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.database, "PING_AFTER_IDLE_SECONDS", 3600.0)  # nothing counts as idle
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = await _backend(engine)
        await _cut_every_other_connection(postgres_url)
        with pytest.raises(DBAPIError):  # unpinged: the cut shows on first use...
            await _backend(engine)
        assert await _backend(engine) != first  # ...and the pool has replaced it for the next
    finally:
        await engine.dispose()


async def test_a_failed_ping_replaces_every_older_connection_as_pool_pre_ping_would(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.database, "PING_AFTER_IDLE_SECONDS", 0.5)
    engine = create_engine(postgres_url, pool_size=2, max_overflow=0, pool_use_lifo=False)  # first in, first out
    try:
        async with engine.connect() as idle, engine.connect() as recent:
            await idle.execute(text("SELECT 1"))
            await recent.execute(text("SELECT 1"))
            await idle.close()  # back to the pool first
            await asyncio.sleep(1.0)  # idle now counts as idle
            await recent.execute(text("SELECT 1"))
        await _cut_every_other_connection(postgres_url)
        async with engine.connect() as first, engine.connect() as second:  # first: the idle one, whose ping fails
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))  # the recent one, not pinged: replaced all the same
    finally:
        await engine.dispose()
