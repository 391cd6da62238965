"""Re-encrypt every encrypted column with the newest data key (`python -m bot rotate-keys`)."""

from __future__ import annotations

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.base import Base
from models.crypto import DataCipher

BATCH = 500


def encrypted_columns() -> list[tuple[Table, Column[bytes]]]:
    """List every column marked as ciphertext, in every table."""
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("encrypted")
    ]


async def rotate_keys(sessions: async_sessionmaker[AsyncSession], cipher: DataCipher) -> int:
    """Re-encrypt all ciphertext with the newest key, batch by batch; return how many values changed."""
    rotated = 0
    for table, column in encrypted_columns():
        key_columns = list(table.primary_key.columns)
        last: tuple[object, ...] | None = None
        while True:
            async with sessions() as session:
                query = select(*key_columns, column).order_by(*key_columns).limit(BATCH)
                if last is not None:
                    query = query.where(key_columns[0] > last[0])
                rows = (await session.execute(query)).all()
                for row in rows:
                    *keys, value = row
                    if value is None:
                        continue
                    condition = [key_column == key for key_column, key in zip(key_columns, keys, strict=True)]
                    await session.execute(update(table).where(*condition).values({column.name: cipher.rotate(value)}))
                    rotated += 1
                await session.commit()
            if len(rows) < BATCH:
                break
            last = tuple(rows[-1][: len(key_columns)])
    return rotated
