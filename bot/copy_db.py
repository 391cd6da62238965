"""`python -m bot copy-db FROM_URL TO_URL`: move a deployment from SQLite to PostgreSQL (or between any two)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from models.copy_db import CopyError, copy_database
from models.database import create_engine


async def copy_db(source_url: str, target_url: str) -> int:
    """Copy every table from the source into the empty target, print what was copied, verify the counts."""
    if make_url(source_url) == make_url(target_url):
        print("The source and the target are the same database.")
        return 2
    source, target = create_engine(source_url), create_engine(target_url)
    try:
        copied = await copy_database(source, target, lambda table, count: print(f"  {table}: {count} rows", flush=True))
    except CopyError as error:
        print(f"Could not copy: {error}")
        return 1
    finally:
        await source.dispose()
        await target.dispose()
    print(f"Copied {sum(copied.values())} rows in {len(copied)} tables; every table's row count matches.")
    return 0
