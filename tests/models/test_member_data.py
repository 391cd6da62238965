"""Export and erasure cover every table that refers to a member: the schema is introspected, not listed."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlalchemy import select

from flows.texts import load_catalogue
from models import member_data
from models.crypto import DataCipher
from models.database import session_factory
from models.key_rotation import encrypted_columns, rotate_keys
from models.unit_of_work import UnitOfWork
from tests.conftest import NOW, Database

Seeder = Callable[[UnitOfWork, int, int, str], Awaitable[None]]


async def _consent(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    record = {
        "scope": "news",
        "action": "given",
        "share_level": None,
        "text_version": "v1",
        "text_hash": "b" * 64,
        "method": f"button:{tag}",
    }
    await uow.consents.append(member_id, record, None, NOW)


async def _conversation(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    await uow.conversations.save(member_id, "ob", "store", {"text": tag}, NOW)


async def _staff(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    await uow.staff.add_invite(organisation_id, "volunteer", f"token-{tag}", NOW, NOW + timedelta(days=1))
    invite = await uow.staff.invite_by_token(f"token-{tag}")
    assert invite is not None
    assert await uow.staff.redeem(invite.id, member_id, organisation_id, "volunteer", NOW)


async def _checkin(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    from flows.schedule import CheckInPlan

    await uow.plans.save(member_id, CheckInPlan(), NOW + timedelta(hours=1), NOW)
    await uow.checkins.start(member_id, "2026-11-22", "who5", NOW)
    await uow.checkins.answer(member_id, "mood", 3, None, NOW)
    await uow.checkins.note(member_id, f"note {tag}", NOW)
    await uow.checkins.score(member_id, "who5", 12, 48.0, "low", {"who5": 48.0}, NOW)


async def _prompt(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    from flows.schedule import next_due

    await uow.plans.set_next_due(member_id, NOW - timedelta(minutes=1))
    await uow.prompts.claim_due(NOW, 10, lambda plan, now: next_due(plan, now))


async def _alert(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    alert_id = await uow.alerts.raise_alert(member_id, organisation_id, "CONCERN", "flag_only", [f"reason {tag}"], NOW)
    member = await uow.members.by_id(member_id)
    await uow.outbox.enqueue(
        member_id, member.chat_id, "relay", f"to {tag}", [[("OK", "x:y:z")]], NOW, alert_id=alert_id
    )
    session_id = await uow.relay.open(alert_id, member_id, member_id, True, NOW)
    await uow.relay.keep_line(session_id, True, f"line {tag}", NOW)


async def _broadcast(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    from flows.broadcast_model import AudienceFilter

    await uow.broadcasts.create(organisation_id, member_id, f"news {tag}", None, AudienceFilter(), [member_id], NOW)
    await uow.broadcast_deliveries.mark_unreachable(member_id, "blocked", NOW)


async def _activity_choices(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    member = await uow.members.by_id(member_id)
    await uow.activity_choices.save_preference(member_id, "EH6", ("walking", "music"), NOW)
    session = NOW + timedelta(days=2)
    await uow.activity_choices.respond(member_id, f"walk-{tag}", "going", session, NOW)
    remind_at = session - timedelta(hours=2)
    reminder = await uow.outbox.enqueue(
        member_id, member.chat_id, "activity_reminder", f"remind {tag}", [], NOW, not_before=remind_at
    )
    await uow.activity_choices.set_reminder(member_id, f"walk-{tag}", reminder, NOW)
    await uow.activity_choices.respond(member_id, f"lunch-{tag}", "not_for_me", None, NOW)


async def _dashboard(uow: UnitOfWork, member_id: int, organisation_id: int, tag: str) -> None:
    await uow.dashboard.issue_login_token(member_id, NOW)
    await uow.dashboard.start_session(member_id, NOW, timedelta(hours=12))


# One seeder per table that refers to a member. A new such table without a seeder fails the suite below.
SEEDERS: dict[str, Seeder] = {
    "consent_records": _consent,
    "conversations": _conversation,
    "staff_roles": _staff,
    "staff_invites": _staff,
    "checkin_plans": _checkin,
    "checkins": _checkin,
    "checkin_answers": _checkin,
    "instrument_scores": _checkin,
    "prompt_deliveries": _prompt,
    "alerts": _alert,
    "outbox": _alert,
    "relay_sessions": _alert,
    "relay_lines": _alert,
    "broadcast_deliveries": _broadcast,
    "unreachable_members": _broadcast,
    "activity_preferences": _activity_choices,
    "activity_responses": _activity_choices,
    "dashboard_login_tokens": _dashboard,
    "dashboard_sessions": _dashboard,
}


async def _seed_member(database: Database, telegram_id: int, tag: str) -> int:
    async with database.units() as uow:
        organisation = await uow.organisations.by_slug("hillside") or await uow.organisations.add(
            "hillside", "Hillside", NOW
        )
        member = await uow.members.add(telegram_id, telegram_id, organisation.id, NOW)
        seeders = [_consent, _conversation, _staff, _checkin, _prompt, _alert, _broadcast, _activity_choices]
        seeders.append(_dashboard)
        for seed in dict.fromkeys(seeders):
            await seed(uow, member.id, organisation.id, tag)
        await uow.commit()
    return member.id


def test_every_table_that_refers_to_a_member_has_a_seeder_and_a_plain_words_name() -> None:
    referring = {table.name for table in member_data.member_tables()} - {"members"}
    assert referring == set(SEEDERS), "add a seeder (and export/erasure checks) for each table that refers to a member"
    catalogue = load_catalogue()
    for name in referring | {"members"}:
        assert catalogue.has(f"data_kind.{name}"), f"the erasure summary needs a plain-words name for {name}"


async def test_export_holds_every_table_and_nothing_of_anyone_else(database: Database) -> None:
    alice = await _seed_member(database, 5001, "alice-CANARY")
    await _seed_member(database, 5002, "bob-OTHER")
    async with database.units() as uow:
        found = await member_data.collect(uow.session, alice)
        document = json.loads(member_data.export_document(found, uow.cipher, NOW))
    for table in member_data.member_tables():
        assert document["tables"][table.name], f"export is missing {table.name}"
    text = json.dumps(document)
    assert "alice-CANARY" in text, "encrypted values are decrypted in the export"
    assert "bob-OTHER" not in text and "5002" not in text


async def test_erasure_removes_every_row_about_the_member_and_keeps_others(database: Database) -> None:
    alice = await _seed_member(database, 5001, "alice")
    bob = await _seed_member(database, 5002, "bob")
    async with database.units() as uow:
        counts = await member_data.erase(uow.session, alice)
        await uow.commit()
    assert all(counts[table.name] >= 1 for table in member_data.member_tables())
    async with database.units() as uow:
        assert all(not rows for rows in (await member_data.collect(uow.session, alice)).rows.values())
        remaining = await member_data.collect(uow.session, bob)
        assert all(remaining.rows[table.name] for table in member_data.member_tables())


async def test_rotating_keys_re_encrypts_every_value_under_the_newest_key(database: Database) -> None:
    await _seed_member(database, 5001, "rotate-me")
    new_key = Fernet.generate_key().decode()
    rotated_cipher = DataCipher((new_key, *database.keys))
    count = await rotate_keys(session_factory(database.engine), rotated_cipher)
    assert count >= 1
    new_only = DataCipher((new_key,))
    checked = 0
    async with database.engine.connect() as connection:
        for _table, column in encrypted_columns():
            values = [
                value for value in (await connection.execute(select(column))).scalars().all() if value is not None
            ]
            assert all(new_only.decrypt(value) for value in values)
            checked += len(values)
    assert checked == count


async def test_erasing_a_volunteer_keeps_the_alerts_they_claimed_about_other_members(database: Database) -> None:
    member = await _seed_member(database, 5001, "member")
    volunteer = await _seed_member(database, 5002, "volunteer")
    async with database.units() as uow:
        from models.tables import Alert

        alert = (await uow.session.scalars(select(Alert).where(Alert.member_id == member))).first()
        assert alert is not None
        alert.claimed_by_member_id = volunteer
        await uow.commit()
    async with database.units() as uow:
        await member_data.erase(uow.session, volunteer)
        await uow.commit()
    async with database.units() as uow:
        kept = (await uow.session.scalars(select(Alert).where(Alert.member_id == member))).first()
        assert kept is not None and kept.claimed_by_member_id is None
