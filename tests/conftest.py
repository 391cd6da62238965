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


async def migrated_database_url(backend: str, tmp_path: object) -> str:
    """Return a fresh database URL, migrated to head as `python -m bot migrate` would."""
    url = await database_url_for(backend, tmp_path)
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    return url


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


# --- Log canaries: no member text and no token may reach any log record, anywhere in the suite. ---

import logging  # noqa: E402

from bot.logs import quiet_library_loggers  # noqa: E402

CANARIES = ("CANARY-MEMBER-TEXT", "CANARY-TOKEN")


class CapturingHandler(logging.Handler):
    """Keeps every formatted record (with any traceback) for the canary check."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is itself worth a look
            self.lines.append(f"UNFORMATTABLE {record.name} {record.msg!r} {record.args!r}")


LOG_CAPTURE = CapturingHandler()


def pytest_configure(config: pytest.Config) -> None:
    """Capture every log record at DEBUG, with library loggers at the levels production uses."""
    root = logging.getLogger()
    root.addHandler(LOG_CAPTURE)
    root.setLevel(logging.DEBUG)
    quiet_library_loggers()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a canary reached any log line."""
    leaks = [line for line in LOG_CAPTURE.lines if any(canary in line for canary in CANARIES)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = f"log canary check: {len(LOG_CAPTURE.lines)} log records scanned, {len(leaks)} with a canary"
    if reporter is not None:
        reporter.write_line(summary)
        for line in leaks[:20]:
            reporter.write_line(f"  LEAK: {line[:300]}")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
