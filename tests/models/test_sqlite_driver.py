"""models/sqlite_driver.py: aiosqlite with one trip to its thread per statement, through SQLAlchemy as Cairn uses it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Integer, String, delete, event, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from models.database import create_engine, fold_write_ahead_log, session_factory
from models.sqlite_driver import FusedConnection


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call that goes to a connection's thread, by name."""
    seen: list[str] = []
    original = FusedConnection._execute

    async def counted(self: FusedConnection, function: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(function, "__name__", type(function).__name__))
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(FusedConnection, "_execute", counted)
    return seen


async def test_rows_counts_and_ids_come_back(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add_all([Thing(name="walk"), Thing(name="meal"), Thing(name="talk")])
        await session.flush()
        ids = sorted(thing.id for thing in (await session.scalars(select(Thing))).all())
        assert ids == [1, 2, 3]
        changed = await session.execute(update(Thing).where(Thing.id > 1).values(name=Thing.name + "!"))
        assert changed.rowcount == 2  # type: ignore[attr-defined]
        inserted = await session.execute(insert(Thing).values(name="garden").returning(Thing.id))
        assert inserted.scalar_one() == 4
        await session.commit()
    async with sessions() as session:
        names = (await session.scalars(select(Thing.name).order_by(Thing.id))).all()
        assert names == ["walk", "meal!", "talk!", "garden"]


async def test_streamed_results_arrive_in_order(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(Thing), [{"name": f"n{index}"} for index in range(250)])  # executemany
    async with engine.connect() as connection:
        result = await connection.stream(select(Thing.id).order_by(Thing.id))
        seen = [row[0] async for row in result]
    assert seen == list(range(1, 251))


async def test_rollback_discards_and_errors_leave_the_connection_usable(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(Thing(name="kept"))
        await session.commit()
    async with sessions() as session:
        session.add(Thing(name="dropped"))
        await session.flush()
        await session.rollback()
    async with sessions() as session:
        session.add(Thing(name="kept"))  # unique name: the database refuses it
        with pytest.raises(IntegrityError):
            await session.flush()
        await session.rollback()
        session.add(Thing(name="after"))
        await session.commit()
    async with sessions() as session:
        assert (await session.scalars(select(Thing.name).order_by(Thing.id))).all() == ["kept", "after"]


async def test_one_trip_per_statement_and_none_to_end_a_read(engine: AsyncEngine, trips: list[str]) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        await session.execute(select(Thing))
        await session.execute(select(Thing.id))
    assert trips == ["_execute", "_execute"]  # no cursor, fetch, close, commit or rollback trips
    trips.clear()
    async with sessions() as session:
        session.add(Thing(name="one"))
        await session.commit()
    assert trips == ["_execute", "commit"]


async def test_write_ahead_logging_is_on(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
        assert (await connection.execute(text("PRAGMA secure_delete"))).scalar_one() == 1


async def test_statements_past_the_cursor_are_refused(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, FusedConnection)
        with pytest.raises(NotImplementedError):
            await driver.execute("INSERT INTO things (name) VALUES ('untracked')")
        assert (await connection.execute(select(Thing.id))).all() == []


async def test_a_purge_style_fold_empties_the_log(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add_all([Thing(name=f"n{index}") for index in range(20)])
        await session.commit()
    async with sessions() as session:
        assert (await session.execute(text("PRAGMA journal_size_limit"))).scalar_one() == 0
        await session.execute(delete(Thing))
        await session.commit()
        assert await fold_write_ahead_log(session)
    log_file = Path(engine.url.database + "-wal")  # type: ignore[operator]
    assert log_file.stat().st_size == 0


async def _turn_of(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, FusedConnection)
        return driver.turn


@pytest.fixture
def inserts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each INSERT that went to a connection's thread."""
    seen: list[str] = []
    original = FusedConnection._execute

    async def recorded(self: FusedConnection, function: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 1 and isinstance(args[1], str) and args[1].startswith("INSERT"):
            seen.append(args[1])
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(FusedConnection, "_execute", recorded)
    return seen


async def test_a_second_writer_waits_its_turn_in_the_process_not_in_sqlite(
    engine: AsyncEngine, inserts: list[str]
) -> None:
    """SQLite's busy handler sleeps between looks; a writer waiting its turn here never reaches SQLite until the
    first transaction ends, and readers are not held up meanwhile."""
    sessions = session_factory(engine)

    async def second_writer() -> None:
        async with sessions() as second:
            second.add(Thing(name="second"))
            await second.commit()

    async with sessions() as first:
        first.add(Thing(name="first"))
        await first.flush()  # a write transaction is open
        inserts.clear()
        waiting = asyncio.create_task(second_writer())
        async with sessions() as reader:
            assert (await reader.scalars(select(Thing.name))).all() == []
        await asyncio.sleep(0.3)
        assert not waiting.done()
        assert inserts == []  # the second insert has not gone to its thread
        await first.commit()
    await asyncio.wait_for(waiting, 5)
    assert len(inserts) == 1
    async with sessions() as session:
        assert (await session.scalars(select(Thing.name).order_by(Thing.id))).all() == ["first", "second"]


async def test_waiting_past_the_busy_timeout_is_database_locked(engine: AsyncEngine) -> None:
    (await _turn_of(engine)).wait_seconds = 0.2
    sessions = session_factory(engine)
    async with sessions() as first:
        first.add(Thing(name="first"))
        await first.flush()
        async with sessions() as second:
            second.add(Thing(name="second"))
            with pytest.raises(OperationalError, match="database is locked"):
                await second.flush()
        await first.commit()


async def test_the_turn_is_given_up_by_a_failed_write_and_by_a_dropped_connection(engine: AsyncEngine) -> None:
    turn = await _turn_of(engine)
    turn.wait_seconds = 2.0
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(Thing(name="taken"))
        await session.commit()
    async with sessions() as session:
        session.add(Thing(name="taken"))
        with pytest.raises(IntegrityError):
            await session.flush()
    assert not turn.lock().locked()
    async with engine.connect() as connection:
        await connection.execute(insert(Thing).values(name="unfinished"))
        assert turn.lock().locked()
        await connection.invalidate()  # as when a connection is lost: closed, never committed
    assert not turn.lock().locked()
    async with sessions() as session:
        session.add(Thing(name="after"))
        await session.commit()
        assert (await session.scalars(select(Thing.name).order_by(Thing.id))).all() == ["taken", "after"]


async def test_a_file_database_keeps_fifteen_connections_open_and_opens_no_more(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/pool.db", pool_timeout=0.2)
    opened: list[int] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
    try:
        for _ in range(2):
            connections = [await engine.connect() for _ in range(15)]
            for connection in connections:
                await connection.execute(select(1))
            with pytest.raises(PoolTimeout):
                await engine.connect()
            for connection in connections:
                await connection.close()
        assert len(opened) == 15  # the second round reused them: none was closed and opened again
    finally:
        await engine.dispose()


async def test_a_failed_commit_gives_up_the_turn(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session closed after a failed commit is not rolled back by SQLAlchemy; the turn must not stay taken."""
    turn = await _turn_of(engine)

    async def failing_commit(_self: aiosqlite.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    async with session_factory(engine)() as session:
        session.add(Thing(name="lost"))
        await session.flush()
        assert turn.lock().locked()
        monkeypatch.setattr(aiosqlite.Connection, "commit", failing_commit)
        with pytest.raises(OperationalError):
            await session.commit()
    assert not turn.lock().locked()


async def test_a_connection_stopped_from_another_thread_gives_up_the_turn_on_its_loop(engine: AsyncEngine) -> None:
    """SQLAlchemy's garbage collection can stop a forgotten connection outside the event loop's thread."""
    turn = await _turn_of(engine)
    async with engine.connect() as connection:
        await connection.execute(insert(Thing).values(name="forgotten"))
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, FusedConnection) and turn.lock().locked()
        await asyncio.to_thread(driver.stop)
        await asyncio.sleep(0.05)  # the release was handed to the loop
        assert not turn.lock().locked()
        await connection.invalidate()


async def test_the_database_and_its_wal_and_shm_files_are_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    import os
    import stat

    from models.migrate import upgrade_to_head

    path = tmp_path / "private" / "cairn.db"
    path.parent.mkdir()
    previous = os.umask(0o022)  # the usual umask: files 0644 unless asked otherwise
    try:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade_to_head(engine)
            async with engine.begin() as connection:  # a write, and a reader held open: -wal and -shm exist now
                await connection.execute(
                    text("INSERT INTO organisations (slug, name, created_at) VALUES ('a', 'A', 0)")
                )
            async with engine.connect() as connection:
                await connection.execute(text("SELECT count(*) FROM organisations"))
                files = {file.name: stat.S_IMODE(file.stat().st_mode) for file in path.parent.iterdir()}
        finally:
            await engine.dispose()
    finally:
        os.umask(previous)
    assert set(files) >= {"cairn.db", "cairn.db-wal", "cairn.db-shm"}
    assert files == dict.fromkeys(files, 0o600), {name: oct(mode) for name, mode in files.items()}


async def test_a_database_made_before_with_group_and_other_access_is_made_0600_when_opened(tmp_path: Path) -> None:
    import os
    import stat

    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    for name in (path, tmp_path / "old.db-wal", tmp_path / "old.db-shm"):
        name.touch()
        os.chmod(name, 0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    modes = {file.name: stat.S_IMODE(file.stat().st_mode) for file in tmp_path.iterdir()}
    assert modes == dict.fromkeys(modes, 0o600), modes
