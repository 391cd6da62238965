"""`python -m bot copy-db`: SQLite to PostgreSQL, every table in foreign-key order, counts verified."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from models.base import Base
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import upgrade_to_head
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import NOW, Database, create_postgres_database, drop_postgres_database
from tests.models.test_retention import seed

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


async def counts(units: UnitOfWorkFactory) -> dict[str, int]:
    async with units() as uow:
        return {
            table.name: int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def test_copy_db_moves_everything_from_sqlite_to_an_empty_postgresql(tmp_path: Path) -> None:
    keys = (Fernet.generate_key().decode(),)
    source_url = f"sqlite+aiosqlite:///{tmp_path}/small.db"
    source = create_engine(source_url)
    await upgrade_to_head(source)
    source_units = UnitOfWorkFactory(session_factory(source), DataCipher(keys))
    await seed(Database("sqlite", source_url, source, source_units, keys))
    async with source_units() as uow:
        member = await uow.members.by_telegram_user(501)
        await uow.conversations.save(member.id, "ci", "note", {"note": "kept secret"}, NOW)
        await uow.inbox.add(99, "key", {"update_id": 99}, NOW)
        await uow.commit()
    before = await counts(source_units)
    target_url = await create_postgres_database()
    target = create_engine(target_url)
    try:
        copied = await asyncio.to_thread(cli, "copy-db", source_url, target_url)
        assert copied.returncode == 0, copied.stdout + copied.stderr
        assert "row count matches" in copied.stdout
        target_units = UnitOfWorkFactory(session_factory(target), DataCipher(keys))
        assert await counts(target_units) == before and sum(before.values()) > 20
        async with target_units() as uow:
            moved = await uow.members.by_telegram_user(501)
            assert (await uow.conversations.get(moved.id)).data == {"note": "kept secret"}, "same keys read it"
            organisation = await uow.organisations.add("riverside", "Riverside", NOW)  # ids continue after the copy
            await uow.members.add(502, 502, organisation.id, NOW)
            await uow.commit()

        again = await asyncio.to_thread(cli, "copy-db", source_url, target_url)
        assert again.returncode == 1 and "not empty" in again.stdout
        assert (await asyncio.to_thread(cli, "copy-db", source_url, source_url)).returncode == 2
    finally:
        await source.dispose()
        await target.dispose()
        await drop_postgres_database(target_url)


async def test_copy_db_refuses_a_target_that_is_not_empty_without_touching_it(tmp_path: Path) -> None:
    from sqlalchemy import inspect, text

    from models.copy_db import CopyError, copy_database

    source = create_engine(f"sqlite+aiosqlite:///{tmp_path}/source.db")
    await upgrade_to_head(source)
    with_rows = create_engine(f"sqlite+aiosqlite:///{tmp_path}/other.db")  # someone else's database
    async with with_rows.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        await connection.execute(text("INSERT INTO notes (body) VALUES ('keep me')"))
    migrated = create_engine(f"sqlite+aiosqlite:///{tmp_path}/migrated.db")  # `migrate` already ran on it
    await upgrade_to_head(migrated)

    async def tables(engine: object) -> list[str]:
        async with engine.connect() as connection:  # type: ignore[attr-defined]
            return sorted(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))

    try:
        before = await tables(migrated)
        for target, names in ((with_rows, ["notes"]), (migrated, before)):
            try:
                await copy_database(source, target)
            except CopyError as error:
                assert "not empty" in str(error)
            else:
                raise AssertionError("a target that is not empty was accepted")
            assert await tables(target) == names, "refused before anything was written to it"
    finally:
        for engine in (source, with_rows, migrated):
            await engine.dispose()


async def test_ids_erased_before_a_copy_are_not_handed_out_again_after_it(tmp_path: Path) -> None:
    """SQLite to PostgreSQL and back: the next member's id is above the erased one's, which the audit trail names."""
    from models import member_data
    from models.copy_db import copy_database

    keys = (Fernet.generate_key().decode(),)
    source = create_engine(f"sqlite+aiosqlite:///{tmp_path}/source.db")
    await upgrade_to_head(source)
    units = UnitOfWorkFactory(session_factory(source), DataCipher(keys))
    async with units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        await uow.members.add(601, 601, organisation.id, NOW)
        erased = await uow.members.add(602, 602, organisation.id, NOW)
        await uow.commit()
    async with units() as uow:
        await member_data.erase(uow.session, erased.id)
        await uow.commit()
    postgres_url = await create_postgres_database()
    postgres = create_engine(postgres_url)
    back = create_engine(f"sqlite+aiosqlite:///{tmp_path}/back.db")
    try:
        await copy_database(source, postgres)
        await copy_database(postgres, back)
        for engine in (postgres, back):
            async with UnitOfWorkFactory(session_factory(engine), DataCipher(keys))() as uow:
                newcomer = await uow.members.add(603, 603, organisation.id, NOW)
                await uow.commit()
            assert newcomer.id > erased.id, engine.dialect.name
    finally:
        for engine in (source, postgres, back):
            await engine.dispose()
        await drop_postgres_database(postgres_url)
