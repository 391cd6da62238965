"""Everything held about one member, found by walking the schema: export it, or erase it.

Any table with a foreign key to `members` (or to a table that has one) is covered automatically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Table, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import Base
from models.crypto import DataCipher

MEMBERS = "members"


def _owning(fk: ForeignKey) -> bool:
    """Say whether a foreign key makes its row part of the referenced member's data."""
    return fk.parent.info.get("erase") != "nullify"


def member_tables() -> list[Table]:
    """Return the members table then every table that refers to it, parents before children."""
    tables = Base.metadata.sorted_tables
    owned = [Base.metadata.tables[MEMBERS]]
    names = {MEMBERS}
    for table in tables:
        if table.name in names:
            continue
        if any(fk.column.table.name in names and _owning(fk) for fk in table.foreign_keys):
            owned.append(table)
            names.add(table.name)
    return owned


@dataclass
class MemberRows:
    """The rows found for one member, table by table."""

    rows: dict[str, list[dict[str, Any]]]

    def counts(self) -> dict[str, int]:
        """Count rows per table."""
        return {name: len(rows) for name, rows in self.rows.items()}


def _condition(table: Table, found: MemberRows) -> ColumnElement[bool]:
    clauses = []
    for fk in table.foreign_keys:
        parent = fk.column.table.name
        if parent in found.rows and _owning(fk):
            values = [row[fk.column.name] for row in found.rows[parent]]
            if values:
                clauses.append(fk.parent.in_(values))
    return or_(*clauses) if clauses else false()


async def collect(session: AsyncSession, member_id: int) -> MemberRows:
    """Find every row about a member, in every table that refers to them."""
    found = MemberRows(rows={})
    for table in member_tables():
        if table.name == MEMBERS:
            condition: ColumnElement[bool] = table.c.id == member_id
        else:
            condition = _condition(table, found)
        result = await session.execute(select(table).where(condition))
        found.rows[table.name] = [dict(row._mapping) for row in result]
    return found


def secondary_references() -> list[tuple[Table, ForeignKey]]:
    """List foreign keys that name a member in someone else's row (cleared, not deleted, on erasure)."""
    return [
        (table, fk)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == MEMBERS and not _owning(fk)
    ]


async def erase(session: AsyncSession, member_id: int) -> dict[str, int]:
    """Delete every row about a member, children first; return how many rows went from each table."""
    found = await collect(session, member_id)
    for table, fk in secondary_references():
        await session.execute(update(table).where(fk.parent == member_id).values({fk.parent.name: None}))
    for table in reversed(member_tables()):
        if table.name == MEMBERS:
            await session.execute(delete(table).where(table.c.id == member_id))
        else:
            await session.execute(delete(table).where(_condition(table, found)))
    return found.counts()


def export_document(found: MemberRows, cipher: DataCipher, now: datetime) -> bytes:
    """Render a member's rows as a readable JSON document, with encrypted values decrypted."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in member_tables():
        encrypted = {column.name for column in table.columns if column.info.get("encrypted")}
        hidden = {column.name for column in table.columns if column.info.get("export") is False}
        tables[table.name] = [
            {
                name: _exportable(value, cipher if name in encrypted else None)
                for name, value in row.items()
                if name not in hidden
            }
            for row in found.rows.get(table.name, [])
        ]
    document = {
        "about": "Everything Cairn keeps about you, table by table.",
        "exported_at": now.isoformat(),
        "tables": tables,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def _exportable(value: Any, cipher: DataCipher | None) -> Any:
    if cipher is not None and value is not None:
        plaintext = cipher.decrypt(value)
        try:
            return json.loads(plaintext)
        except ValueError:
            return plaintext
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value
