"""Copy every table from one database to another (SQLite -> PostgreSQL), in foreign-key order, in batches.

The target must be empty (no schema, no rows), checked before anything is written to it; it is then migrated.
Ciphertext is copied as it is: the same CAIRN_DATA_KEYS read it afterwards. Row counts are compared table by table
at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy import table as table_named
from sqlalchemy.ext.asyncio import AsyncEngine

from models.base import Base
from models.migrate import is_up_to_date, upgrade_to_head

BATCH = 1000


class CopyError(RuntimeError):
    """The copy cannot start (or did not verify)."""


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def _refuse_unless_empty(target: AsyncEngine) -> None:
    """Refuse a target that holds a schema (an alembic_version table) or any rows, before touching it."""
    async with target.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        if "alembic_version" in names:
            raise CopyError("the target database is not empty (it has a schema already); use an empty one")
        for name in names:
            if await connection.scalar(select(func.count()).select_from(table_named(name))):
                raise CopyError(f"the target database is not empty (table {name} has rows); use an empty one")


async def _copy_table(source: AsyncEngine, target: AsyncEngine, table: Table) -> int:
    """Copy one table in primary-key order, a batch at a time (keyset paging on a one-column key)."""
    key = list(table.primary_key.columns)
    copied, last = 0, None
    while True:
        query = select(table).order_by(*key).limit(BATCH)
        if len(key) == 1 and last is not None:
            query = query.where(key[0] > last)
        elif len(key) > 1:
            query = query.offset(copied)
        async with source.connect() as reading:
            rows = [dict(row) for row in (await reading.execute(query)).mappings().all()]
        if rows:
            async with target.begin() as writing:
                await writing.execute(insert(table), rows)
            last = rows[-1][key[0].name]
        copied += len(rows)
        if len(rows) < BATCH:
            return copied


async def _handed_out(source: AsyncEngine, table: Table) -> int:
    """The highest id the source ever gave a row of `table`, erased rows included (SQLite's AUTOINCREMENT counter,
    PostgreSQL's sequence); 0 when it keeps no such count."""
    async with source.connect() as connection:
        if source.dialect.name == "sqlite":
            found = await connection.scalar(
                text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
            )
            return int(found or 0)
        if source.dialect.name != "postgresql" or len(table.primary_key.columns) != 1:
            return 0
        column = next(iter(table.primary_key.columns))
        sequence = await connection.scalar(select(func.pg_get_serial_sequence(table.name, column.name)))
        if not sequence:
            return 0
        query = f"SELECT last_value, is_called FROM {sequence}"  # noqa: S608 - a name PostgreSQL gave, quoted by it
        last, called = (await connection.execute(text(query))).one()
        return int(last) if called else int(last) - 1  # not called: setval(n, false) says n is the next one


async def _reset_sequences(source: AsyncEngine, target: AsyncEngine, table: Table) -> None:
    """Move each id counter past the copied ids and past every id the source handed out and erased since, so new
    rows get ids never seen before (an audit event may still name an erased one)."""
    handed_out = await _handed_out(source, table)
    if target.dialect.name == "sqlite":
        if handed_out and table.dialect_options["sqlite"]["autoincrement"]:
            async with target.begin() as connection:
                await connection.execute(
                    text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"),
                    {"seq": handed_out, "name": table.name},
                )
                await connection.execute(
                    text(
                        "INSERT INTO sqlite_sequence (name, seq) SELECT :name, :seq "
                        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :name)"
                    ),
                    {"seq": handed_out, "name": table.name},
                )
        return
    if target.dialect.name != "postgresql":
        return
    for column in table.primary_key.columns:
        async with target.begin() as connection:
            sequence = await connection.scalar(select(func.pg_get_serial_sequence(table.name, column.name)))
            if sequence:
                highest = max(int(await connection.scalar(select(func.max(column))) or 0), handed_out)
                await connection.execute(select(func.setval(sequence, highest + 1, False)))


async def copy_database(
    source: AsyncEngine, target: AsyncEngine, report: Callable[[str, int], None] = lambda name, count: None
) -> dict[str, int]:
    """Copy every table; refuse a source that is not up to date or a target that is not empty."""
    if not await is_up_to_date(source):
        raise CopyError("the source database is not at the newest schema: run `python -m bot migrate` on it first")
    await _refuse_unless_empty(target)
    await upgrade_to_head(target)
    tables = Base.metadata.sorted_tables
    copied: dict[str, int] = {}
    for table in tables:
        copied[table.name] = await _copy_table(source, target, table)
        await _reset_sequences(source, target, table)
        report(table.name, copied[table.name])
    for table in tables:
        expected, found = await _count(source, table), await _count(target, table)
        if expected != found:
            raise CopyError(f"table {table.name}: {expected} rows in the source, {found} in the target")
    return copied
