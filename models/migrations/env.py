"""Alembic environment: runs on a connection handed in by models.migrate, or on sqlalchemy.url."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from models import tables  # noqa: F401  (registers every table on the metadata)
from models.base import Base
from models.database import create_engine

config = context.config


def run_on(connection: Connection) -> None:
    """Run the migrations on one connection."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url() -> None:
    """Run the migrations on a database named by sqlalchemy.url."""
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # batch mode rebuilds tables: see models.migrate.upgrade_to_head
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


given = config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_from_url())
