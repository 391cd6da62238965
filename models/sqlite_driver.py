"""aiosqlite with one trip to its thread per statement, instead of four.

aiosqlite runs every sqlite3 call in its own thread, and SQLAlchemy's adapter makes four such calls for each
statement (open a cursor, execute, fetch, close) and two for each transaction (commit, then the pool's rollback).
Each trip costs a queue put, a future and a wake-up of the event loop, which made up about a third of the bot's CPU
on SQLite. `FusedConnection` keeps aiosqlite's thread and queue but runs the whole statement in one trip (execute,
fetch every row, close), and skips commit and rollback when sqlite3 says no transaction is open (both would be
no-ops there). Rows are fetched at once, as SQLAlchemy's adapter already does for every cursor but server-side ones.

SQLite lets one transaction write at a time. A connection that finds another writing waits in SQLite's busy
handler, which sleeps (1, 2, 5 … 25, 50, 100 ms) and looks again: under the bench's load the connections' threads
spent most of their time asleep there while the database was free. So the connections of one engine (one database)
in this process take turns to write (`WriteTurn`): a statement that may write waits, without sleeping, until no other
connection here holds an open write transaction, and holds the turn until its transaction ends. Waiting longer than
the busy timeout raises "database is locked", as SQLite itself would. Other processes are still kept apart by
SQLite's own lock and busy timeout, and so are two engines on the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

__all__ = ["BUSY_TIMEOUT_SECONDS", "FusedConnection", "WriteTurn", "create_private", "fused_creator"]

BUSY_TIMEOUT_SECONDS = 10.0
"""How long a statement waits for another connection's write transaction (ours, or SQLite's busy_timeout)."""

_READ_ONLY_OPENINGS = ("select", "pragma", "explain")

Rows = list[Any]
Description = tuple[tuple[Any, ...], ...] | None


class _Outcome:
    """What one statement left behind: its columns, every row, counts, and whether a transaction is open."""

    __slots__ = ("description", "in_transaction", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: Rows, in_transaction: bool) -> None:
        self.description: Description = cursor.description
        self.rows = rows
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.in_transaction = in_transaction


def _execute(connection: sqlite3.Connection, sql: str, parameters: Any) -> _Outcome:
    """Run in aiosqlite's thread: execute, fetch every row, close."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor, rows, connection.in_transaction)
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, sql: str, parameters: Sequence[Any]) -> _Outcome:
    """Run in aiosqlite's thread: executemany, then close."""
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return _Outcome(cursor, [], connection.in_transaction)
    finally:
        cursor.close()


class FusedCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, each statement one trip to the thread."""

    def __init__(self, connection: FusedConnection) -> None:
        """Start empty; nothing runs until execute."""
        self._connection = connection
        self._rows: deque[Any] = deque()
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> FusedCursor:
        """Nothing to open: the sqlite3 cursor lives only inside each statement's trip."""
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Nothing to close."""

    async def execute(self, sql: str, parameters: Any = ()) -> FusedCursor:
        """Execute and fetch in one trip."""
        self._take(await self._connection.run(_execute, sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> FusedCursor:
        """Execute for each set of parameters in one trip."""
        self._take(await self._connection.run(_execute_many, sql, parameters))
        return self

    async def fetchone(self) -> Any:
        """The next row, or None."""
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Rows:
        """Up to `size` rows (arraysize when not given)."""
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Rows:
        """Every row left."""
        taken = list(self._rows)
        self._rows.clear()
        return taken

    async def close(self) -> None:
        """Drop any rows left."""
        self._rows.clear()

    async def __aiter__(self) -> AsyncIterator[Any]:
        """The rows left, one by one."""
        while self._rows:
            yield self._rows.popleft()

    def _take(self, outcome: _Outcome) -> None:
        self.description = outcome.description
        self._rows = deque(outcome.rows)
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid


def may_write(sql: str) -> bool:
    """Say whether a statement may write (anything but a read, a pragma or an explain: unsure means yes)."""
    return not sql.lstrip()[:7].lower().startswith(_READ_ONLY_OPENINGS)


class WriteTurn:
    """One engine's turn to write, shared by its connections (`fused_creator` makes one per engine): one asyncio lock
    per event loop."""

    def __init__(self, wait_seconds: float = BUSY_TIMEOUT_SECONDS) -> None:
        """Wait at most `wait_seconds` for a turn."""
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()

    def lock(self) -> asyncio.Lock:
        """This event loop's lock."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take(self) -> asyncio.Lock:
        """Wait for the turn; raise sqlite3's "database is locked" after `wait_seconds`, as the busy timeout would."""
        lock = self.lock()
        try:
            async with asyncio.timeout(self.wait_seconds):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        return lock


class FusedConnection(aiosqlite.Connection):
    """aiosqlite's connection, with fused cursors, no trip for a commit or rollback with nothing open, and writes
    taken in turn with the other connections of its `WriteTurn`."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], turn: WriteTurn | None = None) -> None:
        """Wrap a sqlite3 connector; the thread starts when the connection is awaited."""
        super().__init__(connector, iter_chunk_size=64)
        self._thread.daemon = True  # as SQLAlchemy does for aiosqlite: never hold the interpreter open
        self._in_transaction = False
        self.turn = turn or WriteTurn()
        self._held: asyncio.Lock | None = None  # the turn, while this connection may have a write open
        self._held_loop: asyncio.AbstractEventLoop | None = None

    def cursor(self) -> FusedCursor:  # type: ignore[override]
        """A cursor whose statements each make one trip."""
        return FusedCursor(self)

    async def run(self, function: Callable[..., _Outcome], sql: str, parameters: Any) -> _Outcome:
        """Run one statement in the thread, in turn if it may write; remember whether it left a transaction open."""
        if self._held is None and may_write(sql):
            self._held = await self.turn.take()
            self._held_loop = asyncio.get_running_loop()
        try:
            outcome: _Outcome = await self._execute(function, self._conn, sql, parameters)
        except BaseException:
            self._in_transaction = True  # unknown now: let the next commit or rollback go through (and end the turn)
            raise
        self._in_transaction = outcome.in_transaction
        if not outcome.in_transaction:
            self._end_turn()
        return outcome

    def _end_turn(self) -> None:
        """Give up the turn, from the turn's own event loop (stop() can come from a garbage collector elsewhere)."""
        held, loop = self._held, self._held_loop
        self._held = self._held_loop = None
        if held is None or loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            held.release()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(held.release)

    def _not_fused(self, *_args: object, **_kwargs: object) -> Any:
        """aiosqlite's own statement helpers would run past the transaction tracking: use cursor() instead."""
        raise NotImplementedError("FusedConnection runs statements through cursor() only")

    execute = executemany = executescript = execute_insert = execute_fetchall = _not_fused  # type: ignore[assignment]

    async def commit(self) -> None:
        """Commit, when there is anything to commit; then another connection may write (even if the commit failed:
        a session closed after a failed commit is not always rolled back, and a transaction SQLite still holds
        open only sends the next writer to SQLite's own busy handler)."""
        try:
            if self._in_transaction:
                await super().commit()
                self._in_transaction = False
        finally:
            self._end_turn()

    async def rollback(self) -> None:
        """Roll back, when there is anything to roll back; then another connection may write."""
        try:
            if self._in_transaction:
                await super().rollback()
                self._in_transaction = False
        finally:
            self._end_turn()

    async def close(self) -> None:
        """Close the connection (sqlite3 rolls back anything open) and give up the turn."""
        try:
            await super().close()
        finally:
            self._end_turn()

    def stop(self) -> asyncio.Future[Any] | None:
        """Close without waiting (SQLAlchemy's terminate) and give up the turn."""
        try:
            return super().stop()
        finally:
            self._end_turn()


def create_private(path: str) -> None:
    """Make a database file readable and writable by this user only (0600, whatever the umask): create it so, or
    take group and other access away from one of ours that has it (made before this was done), with its -wal and
    -shm files. SQLite gives the -wal and -shm files it creates the same permissions as the database file.
    """
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for name in (path, f"{path}-wal", f"{path}-shm"):
            with contextlib.suppress(OSError):  # gone, or not ours: SQLite says what it cannot open
                found = os.stat(name)
                if found.st_mode & 0o077 and found.st_uid == os.geteuid():
                    os.chmod(name, found.st_mode & 0o600)
        return
    os.close(descriptor)


def fused_creator(url: URL) -> Callable[[], Awaitable[FusedConnection]]:
    """An `async_creator` for create_async_engine that opens `url` (a file database) with FusedConnection, every
    connection taking turns to write with the others."""
    arguments, options = SQLiteDialect_aiosqlite().create_connect_args(url)
    turn = WriteTurn()

    def connect() -> sqlite3.Connection:
        if arguments and isinstance(arguments[0], str) and not options.get("uri"):
            create_private(arguments[0])
        return sqlite3.connect(*arguments, **options)  # type: ignore[call-overload,no-any-return]

    async def create() -> FusedConnection:
        return await FusedConnection(connect, turn)

    return create
