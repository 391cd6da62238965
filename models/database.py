"""Engines and sessions: SQLite (embedded, one instance) or PostgreSQL (several instances)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from models.sqlite_driver import BUSY_TIMEOUT_SECONDS, fused_creator

PING_AFTER_IDLE_SECONDS = 1.0
"""PostgreSQL: a pooled connection idle for longer than this is pinged before use (a restarted server has cut it).
One used more recently is not: the ping costs three round trips, and a busy bot reuses connections within
milliseconds. A connection that died sooner than this fails its transaction once; the pool then drops every
connection older than the failure, as after any disconnect."""
_LAST_USED = "cairn_last_used"


def is_sqlite(url: str) -> bool:
    """Say whether a database URL is SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Create an engine; SQLite gets foreign keys, secure deletion, a busy timeout and write-ahead logging on every
    connection, through aiosqlite with one trip to its thread per statement, writes taken in turn
    (models/sqlite_driver.py), and a fixed pool of 15 for a file. PostgreSQL gets a fixed pool of 20 whose
    connections are pinged only after being idle (_ping_when_idle).
    """
    if is_sqlite(url):
        options.setdefault("async_creator", fused_creator(make_url(url)))
        if make_url(url).database not in (None, "", ":memory:") and "poolclass" not in options:
            # SQLAlchemy's default is 5 and 10 more: each of those 10 was opened (a thread, five pragmas) and closed
            # again per transaction under load. The same 15 at most, kept open.
            options.setdefault("pool_size", 15)
            options.setdefault("max_overflow", 0)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    options.setdefault("pool_size", 20)
    options.setdefault("pool_use_lifo", True)  # the busiest connections stay busy: fewer idle long enough to ping
    options.setdefault("max_overflow", 0)  # connections beyond the pool would be opened and closed per transaction
    engine = create_async_engine(url, **options)
    if not options.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only when it has been idle (PING_AFTER_IDLE_SECONDS); a failed ping
    makes the pool replace it and every older connection, as SQLAlchemy's pool_pre_ping does on every checkout."""
    dialect = engine.sync_engine.dialect

    def used_now(_dbapi_connection: Any, record: ConnectionPoolEntry, *_: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # as pool_pre_ping: this and every older pooled connection are replaced
            raise exc.InvalidatePoolError("the pooled connection did not answer a ping") from error
        record.info[_LAST_USED] = time.monotonic()

    event.listen(engine.sync_engine, "connect", used_now)
    event.listen(engine.sync_engine, "checkin", used_now)
    event.listen(engine.sync_engine, "checkout", ping_if_idle)


def _configure_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")  # another process's write
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA journal_size_limit=0")  # the log file is cut back each time it starts over: no old frames
    cursor.close()


async def fold_write_ahead_log(session: AsyncSession) -> bool:
    """SQLite: copy the write-ahead log into the database and empty the log file, so rows just deleted (an erasure,
    a purge) leave no copy in it; True when done, False when a reader held it past the busy timeout (the hourly
    retention tick folds it again; journal_size_limit=0 also cuts the file back whenever the log starts over).
    PostgreSQL: nothing to do. Run outside a write transaction (after a commit).
    """
    if session.bind is None or session.bind.dialect.name != "sqlite":
        return True
    busy = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()[0]
    return not busy


def dialect_of(session: AsyncSession) -> str:
    """The session's database: "sqlite" or "postgresql" (read from the sync session: AsyncSession.bind wraps a new
    proxy on every read, which showed in the bench's profile)."""
    bind = session.sync_session.bind
    return bind.dialect.name if bind is not None else "sqlite"


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Make sessions that keep loaded values after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
