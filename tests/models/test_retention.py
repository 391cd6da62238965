"""Retention: each kind goes after its period, younger rows stay, and a second run changes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.jobs.retention import RetentionIncomplete, RetentionJob
from bot.retention_settings import RetentionPeriods, env_name
from bot.settings import Settings
from models import retention
from models.broadcast_tables import Broadcast, BroadcastDelivery
from models.dashboard_tables import DashboardLoginToken, DashboardSession
from models.tables import (
    Alert,
    AuditEvent,
    CheckIn,
    CheckInAnswer,
    InstrumentScore,
    OutboxMessage,
    ProcessedUpdate,
    PromptDelivery,
    RelayLine,
    RelaySession,
)
from tests.bot.test_prompt_job import Clock
from tests.conftest import NOW, Database

PERIODS = RetentionPeriods()
COUNTED = (
    ProcessedUpdate,
    OutboxMessage,
    PromptDelivery,
    CheckIn,
    CheckInAnswer,
    InstrumentScore,
    RelayLine,
    AuditEvent,
    Broadcast,
    BroadcastDelivery,
    DashboardSession,
    DashboardLoginToken,
)


def ago(days: int, extra: timedelta) -> object:
    return NOW - timedelta(days=days) + extra


async def seed(database: Database) -> None:
    """For every kind, one row just past its period and one just inside it."""
    old, young = -timedelta(hours=1), timedelta(hours=1)
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(501, 501, organisation.id, NOW)
        session = uow.session
        for index, age in enumerate((old, young)):
            session.add(ProcessedUpdate(update_id=index + 1, processed_at=ago(PERIODS.processed_updates, age)))
            when = ago(PERIODS.outbox, age)
            session.add(OutboxMessage(chat_id=501, recipient_member_id=member.id, kind="reply", payload_encrypted=b"x",
                                      status="sent", next_attempt_at=when, created_at=when, sent_at=when))  # fmt: skip
            due = ago(PERIODS.prompt_deliveries, age)
            session.add(PromptDelivery(member_id=member.id, due_at=due, status="sent", next_attempt_at=due))
            started = ago(PERIODS.checkins, age)
            checkin = CheckIn(member_id=member.id, local_day="2024-01-01", status="completed", started_at=started)
            session.add(checkin)
            await session.flush()
            session.add(CheckInAnswer(checkin_id=checkin.id, item_id="mood", value=3, answered_at=started))
            session.add(InstrumentScore(checkin_id=checkin.id, instrument_id="who5", scored_at=started))
            resolved = ago(PERIODS.alert_notes, age)
            alert = Alert(member_id=member.id, organisation_id=organisation.id, tier="concern", share_level="flag_only",
                          reasons_encrypted=b"r", status="resolved", created_at=resolved, resolved_at=resolved,
                          note_encrypted=b"note")  # fmt: skip
            session.add(alert)
            await session.flush()
            relay = RelaySession(alert_id=alert.id, member_id=member.id, opened_at=resolved)
            session.add(relay)
            await session.flush()
            session.add(RelayLine(session_id=relay.id, from_member=True, text_encrypted=b"t",
                                  sent_at=ago(PERIODS.relay_transcripts, age)))  # fmt: skip
            session.add(AuditEvent(at=ago(PERIODS.audit_events, age), action="seen", object_type="alert"))
            finished = ago(PERIODS.outbox, age)  # its delivery records go after the outbox's period
            sent = Broadcast(organisation_id=organisation.id, text_encrypted=b"t", status="done",
                             created_at=finished, finished_at=finished)  # fmt: skip
            session.add(sent)
            await session.flush()
            session.add(BroadcastDelivery(broadcast_id=sent.id, member_id=member.id, status="sent",
                                          next_attempt_at=finished, sent_at=finished))  # fmt: skip
            finished = ago(PERIODS.broadcasts, age)  # the broadcast and its text go after their own period
            session.add(Broadcast(organisation_id=organisation.id, text_encrypted=b"t", status="done",
                                  created_at=finished, finished_at=finished))  # fmt: skip
            ends = NOW + age  # dashboard sessions and login links have no period: they go once expired
            session.add(DashboardSession(session_hash=f"{index}" * 64, member_id=member.id, created_at=NOW,
                                         last_seen_at=NOW, expires_at=ends))  # fmt: skip
            session.add(DashboardLoginToken(token_hash=f"{index}" * 64, member_id=member.id, created_at=NOW,
                                            expires_at=ends))  # fmt: skip
        # an old message of an alert still open stays: its "claimed by" edit may still be needed
        open_alert = Alert(member_id=member.id, organisation_id=organisation.id, tier="urgent", share_level="flag_only",
                           reasons_encrypted=b"r", status="open", created_at=NOW)  # fmt: skip
        session.add(open_alert)
        await session.flush()
        long_ago = NOW - timedelta(days=400)
        session.add(OutboxMessage(chat_id=502, kind="alert", alert_id=open_alert.id, payload_encrypted=b"x",
                                  status="sent", next_attempt_at=long_ago, created_at=long_ago))  # fmt: skip
        session.add(OutboxMessage(chat_id=501, kind="reply", payload_encrypted=b"x", status="pending",
                                  next_attempt_at=long_ago, created_at=long_ago))  # fmt: skip
        sending = Broadcast(organisation_id=organisation.id, text_encrypted=b"t", status="sending",
                            created_at=long_ago)  # fmt: skip  # an old broadcast still sending keeps everything
        session.add(sending)
        await session.flush()
        session.add(BroadcastDelivery(broadcast_id=sending.id, member_id=member.id, next_attempt_at=long_ago))
        await uow.commit()


async def counts(database: Database) -> dict[str, int]:
    async with database.units() as uow:
        found = {
            table.__tablename__: int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in COUNTED
        }
        found["alert_notes"] = int(
            await uow.session.scalar(select(func.count()).where(Alert.note_encrypted.is_not(None))) or 0
        )
    return found


async def test_old_rows_go_young_rows_stay_and_a_second_run_changes_nothing(database: Database) -> None:
    await seed(database)
    job = RetentionJob(database.units, PERIODS, Clock(NOW))
    first = await job.tick()
    assert first == {
        "processed_updates": 1,
        "outbox": 1,
        "prompt_deliveries": 1,
        "checkins": 1,
        "alert_notes": 1,
        "relay_transcripts": 1,
        "audit_events": 1,
        "broadcast_deliveries": 1,
        "broadcasts": 1,
        "dashboard_sessions": 1,
        "dashboard_login_links": 1,
    }
    after = await counts(database)
    assert after == {
        "processed_updates": 1,
        "outbox": 3,  # the young one, the open alert's message and a message still pending
        "prompt_deliveries": 1,
        "checkins": 1,
        "checkin_answers": 1,  # the old check-in's answer and score went with it
        "instrument_scores": 1,
        "relay_lines": 1,
        "audit_events": 1,
        "alert_notes": 1,
        "broadcasts": 4,  # the young two, the old one whose deliveries alone went, and the one still sending
        "broadcast_deliveries": 2,  # the young one and the one still sending
        "dashboard_sessions": 1,
        "dashboard_login_tokens": 1,
    }
    async with database.units() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Alert)) == 3, "alerts stay; only notes go"
    assert set((await job.tick()).values()) == {0}
    assert await counts(database) == after


async def test_a_later_clock_and_shorter_periods_purge_more(database: Database) -> None:
    await seed(database)
    clock = Clock(NOW + timedelta(hours=2))
    assert set((await RetentionJob(database.units, PERIODS, clock).tick()).values()) == {2}
    short = RetentionPeriods.from_env({env_name("audit_events"): "1"})
    assert short.audit_events == 1 and short.outbox == PERIODS.outbox


def test_every_retention_setting_is_documented_and_read() -> None:
    from dataclasses import fields
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme, example = (root / "README.md").read_text(), (root / "deploy" / ".env.example").read_text()
    for item in fields(RetentionPeriods):
        name = env_name(item.name)
        assert f"`{name}`" in readme and f"\n{name}={getattr(PERIODS, item.name)}\n" in example, name
        assert getattr(Settings.from_env({name: "3"}).retention, item.name) == 3


async def test_two_instances_purging_at_once_remove_each_row_once(database: Database) -> None:
    await seed(database)
    jobs = [RetentionJob(database.units, PERIODS, Clock(NOW)) for _ in range(2)]
    if database.backend == "sqlite":  # one instance per SQLite file: the two run one after the other
        results = [await jobs[0].tick(), await jobs[1].tick()]
    else:
        results = list(await asyncio.gather(*(job.tick() for job in jobs)))
    assert {kind: results[0][kind] + results[1][kind] for kind in results[0]} == dict.fromkeys(results[0], 1)


async def test_one_failing_purge_does_not_stop_the_others(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(database)

    async def broken(units: object, before: object) -> int:
        raise RuntimeError("a purge that fails")

    monkeypatch.setitem(retention.PURGES, "outbox", broken)
    job = RetentionJob(database.units, PERIODS, Clock(NOW))
    with pytest.raises(RetentionIncomplete, match="outbox"):
        await job.tick()
    after = await counts(database)
    assert after["outbox"] == 4, "the failing kind kept its rows"
    assert after["audit_events"] == after["broadcasts"] - 3 == after["broadcast_deliveries"] - 1 == 1, after


async def test_dashboard_sessions_and_login_links_go_once_ended_or_used(database: Database) -> None:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(501, 501, organisation.id, NOW)
        for name, last_seen in (("live", NOW - timedelta(minutes=29)), ("idle", NOW - timedelta(minutes=30))):
            uow.session.add(DashboardSession(session_hash=name.ljust(64, "s"), member_id=member.id, created_at=NOW,
                                             last_seen_at=last_seen, expires_at=NOW + timedelta(hours=11)))  # fmt: skip
        for name, used in (("fresh", None), ("used", NOW - timedelta(minutes=1))):
            uow.session.add(DashboardLoginToken(token_hash=name.ljust(64, "t"), member_id=member.id, created_at=NOW,
                                                expires_at=NOW + timedelta(minutes=9), used_at=used))  # fmt: skip
        await uow.commit()
    without_idle = await RetentionJob(database.units, PERIODS, Clock(NOW)).tick()
    assert (without_idle["dashboard_sessions"], without_idle["dashboard_login_links"]) == (0, 1), "a used link goes"
    job = RetentionJob(database.units, PERIODS, Clock(NOW), dashboard_idle_minutes=30)
    assert (await job.tick())["dashboard_sessions"] == 1, "a session idle for the dashboard's idle time goes"
    async with database.units() as uow:
        sessions = (await uow.session.scalars(select(DashboardSession.session_hash))).all()
        tokens = (await uow.session.scalars(select(DashboardLoginToken.token_hash))).all()
    assert [value[:4] for value in sessions] == ["live"] and [value[:5] for value in tokens] == ["fresh"]


async def test_a_purge_leaves_the_sqlite_write_ahead_log_empty(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("SQLite keeps a write-ahead log file beside the database; PostgreSQL has nothing to fold")
    await seed(database)
    log_file = Path(database.url.removeprefix("sqlite+aiosqlite:///") + "-wal")
    assert log_file.exists() and log_file.stat().st_size > 0, "the seeded rows went through the write-ahead log"
    removed = await RetentionJob(database.units, PERIODS, Clock(NOW)).tick()
    assert any(removed.values())
    assert log_file.stat().st_size == 0, "purged rows must not stay readable in the write-ahead log"
