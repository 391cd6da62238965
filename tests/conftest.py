"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import upgrade_to_head
from models.unit_of_work import UnitOfWorkFactory

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class Database:
    """A fresh, migrated database for one test."""

    backend: str
    url: str
    engine: AsyncEngine
    units: UnitOfWorkFactory
    keys: tuple[str, ...]


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database() -> str:
    """Create an empty PostgreSQL database for one test and return its URL; fail in CI if unreachable."""
    try:
        admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL is not reachable at TEST_DATABASE_URL ({type(error).__name__})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"cairn_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    """Drop a test database, ending any connection still open to it."""
    name = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def database_url_for(backend: str, tmp_path: object) -> str:
    """Return a fresh database URL of a backend."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/cairn-test.db"
    return await create_postgres_database()


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    """A fresh database, migrated to head, on each backend."""
    url = await database_url_for(request.param, tmp_path)
    engine = create_engine(url)
    keys = (Fernet.generate_key().decode(),)
    try:
        await upgrade_to_head(engine)
        yield Database(request.param, url, engine, UnitOfWorkFactory(session_factory(engine), DataCipher(keys)), keys)
    finally:
        await engine.dispose()
        if request.param == "postgresql":
            await drop_postgres_database(url)
