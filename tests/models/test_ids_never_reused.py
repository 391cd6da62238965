"""Ids are never handed out twice: an erased member's or alert's id never comes back, on SQLite as on PostgreSQL.

Otherwise the audit trail's old events (which name ids) would read as a new person's, and mix two alerts.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from models import member_data
from models.activity_tables import ActivityRow, ActivityScheduleRow
from models.base import Base
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.migrate import alembic_config, is_up_to_date, upgrade_to_head
from models.tables import AuditEvent
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import NOW, Database


async def _member_with_alert(database: Database, organisation_id: int, telegram_id: int) -> tuple[int, int]:
    async with database.units() as uow:
        member = await uow.members.add(telegram_id, telegram_id, organisation_id, NOW)
        alert_id = await uow.alerts.raise_alert(member.id, organisation_id, "URGENT", "flag_only", ["reason"], NOW)
        await uow.audit.record("alert_raised", "alert", alert_id, NOW, member.id, organisation_id)
        await uow.commit()
    return member.id, alert_id


async def test_an_erased_members_id_and_alert_id_are_never_given_to_anyone_else(database: Database) -> None:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        await uow.commit()
    await _member_with_alert(database, organisation.id, 9001)
    erased_member, erased_alert = await _member_with_alert(database, organisation.id, 9002)  # the highest ids
    async with database.units() as uow:
        await member_data.erase(uow.session, erased_member)
        await uow.audit.record("member_erased", "member", erased_member, NOW, erased_member)
        await uow.commit()
    new_member, new_alert = await _member_with_alert(database, organisation.id, 9003)
    assert new_member > erased_member and new_alert > erased_alert
    async with database.units() as uow:  # the erased member's audit events still name only them
        named = await uow.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == new_alert))
        assert list(named) == ["alert_raised"]


async def test_sqlite_tables_pointed_at_are_autoincrement(database: Database) -> None:
    if database.backend != "sqlite":
        return  # PostgreSQL's serial sequences never reuse an id: nothing to check beyond the test above
    async with database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        created = {name: sql for name, sql in rows}
    for table in ("organisations", "members", "checkins", "alerts", "outbox", "relay_sessions", "activities"):
        assert "AUTOINCREMENT" in created[table], table
    assert "AUTOINCREMENT" in created["broadcasts"]


async def test_an_existing_sqlite_database_upgrades_keeping_every_row_and_never_reusing_an_erased_id(
    tmp_path: Path,
) -> None:
    """A database from before migration 0014, with rows (and cascading children), is upgraded in place."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/old.db")
    units = UnitOfWorkFactory(session_factory(engine), DataCipher((Fernet.generate_key().decode(),)))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0013"))
        async with units() as uow:
            organisation = await uow.organisations.add("hillside", "Hillside", NOW)
            member = await uow.members.add(5011, 5011, organisation.id, NOW)
            await uow.session.execute(  # the alerts table as it was at 0013 (later revisions add columns)
                text(
                    "INSERT INTO alerts (member_id, organisation_id, tier, share_level, reasons_encrypted, status,"
                    " escalation, created_at) VALUES (:m, :o, 'URGENT', 'flag_only', :r, 'open', 0, :t)"
                ),
                {"m": member.id, "o": organisation.id, "r": uow.cipher.encrypt('["reason"]'), "t": NOW},
            )
            # member 12 and alert 5 were erased before the upgrade: only the audit trail still names them
            await uow.audit.record("alert_raised", "alert", 5, NOW, 12, organisation.id)
            await uow.audit.record("member_erased", "member", 12, NOW, 12)
            activity = ActivityRow(
                oruk_id="svc-3", organisation_id=organisation.id, name="Walk", status="active", updated_at=NOW
            )
            uow.session.add(activity)
            await uow.session.flush()
            uow.session.add(ActivityScheduleRow(activity_id=activity.id, position=0, oruk_id="sch-3", freq="WEEKLY"))
            await uow.commit()
        await upgrade_to_head(engine)
        assert await is_up_to_date(engine)
        async with engine.connect() as connection:
            counts = {
                table: await connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("organisations", "members", "alerts", "audit_events", "activities", "activity_schedules")
            }
            assert counts == {
                "organisations": 1,
                "members": 1,
                "alerts": 1,
                "audit_events": 2,
                "activities": 1,
                "activity_schedules": 1,  # rebuilding `activities` did not cascade to its schedules
            }
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1, "keys are back on for the pool"
            assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
            assert diff == []
        async with units() as uow:
            newcomer = await uow.members.add(5013, 5013, organisation.id, NOW)
            alert_id = await uow.alerts.raise_alert(newcomer.id, organisation.id, "URGENT", "flag_only", ["r"], NOW)
            await uow.commit()
        assert newcomer.id == 13, "above the erased member 12 the audit trail names, not 2"
        assert alert_id == 6, "above the erased alert 5, not 2"
    finally:
        await engine.dispose()
