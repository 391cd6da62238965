"""Repositories, unit of work and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.base import Base
from models.migrate import is_up_to_date
from tests.conftest import NOW, Database


async def test_migrations_build_exactly_the_schema_the_models_describe(database: Database) -> None:
    async with database.engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata)
        )
    assert diff == []
    assert await is_up_to_date(database.engine)


async def test_nothing_is_written_without_commit(database: Database) -> None:
    async with database.units() as uow:
        await uow.organisations.add("hillside", "Hillside", NOW)
    async with database.units() as uow:
        assert await uow.organisations.by_slug("hillside") is None


async def test_member_consent_and_conversation_round_trip(database: Database) -> None:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(7001, 7001, organisation.id, NOW)
        record = {
            "scope": "store",
            "action": "given",
            "share_level": None,
            "text_version": "v1",
            "text_hash": "a" * 64,
            "method": "button:ob:store:yes",
        }
        await uow.consents.append(member.id, record, 42, NOW)
        await uow.conversations.save(member.id, "ob", "news", {"note": "free text"}, NOW)
        await uow.commit()
    async with database.units() as uow:
        found = await uow.members.by_telegram_user(7001)
        assert found is not None and found.organisation_id == organisation.id
        history = await uow.consents.history(found.id)
        assert [(row.scope, row.action) for row in history] == [("store", "given")]
        assert history[0].recorded_at == NOW
        conversation = await uow.conversations.get(found.id)
        assert conversation is not None and conversation.data == {"note": "free text"}


async def test_a_members_context_is_read_in_one_query_with_conversation_plan_and_staff_role(
    database: Database,
) -> None:
    from flows.schedule import CheckInPlan

    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(7101, 7102, organisation.id, NOW)
        plain = await uow.members.add(7103, 7103, organisation.id, NOW)
        await uow.conversations.save(member.id, "ci", "note", {"mood": 4}, NOW)
        await uow.conversations.save(member.id, "ci", "done", {"mood": 5}, NOW)  # saved again: overwritten
        await uow.plans.save(member.id, CheckInPlan(), NOW + timedelta(days=1), NOW)
        for role in ("volunteer", "coordinator"):  # invited again: the newer role replaces the older
            await uow.staff.add_invite(organisation.id, role, f"token-{role}", NOW, NOW + timedelta(days=1))
            invite = await uow.staff.invite_by_token(f"token-{role}")
            assert invite is not None
            await uow.staff.redeem(invite.id, member.id, organisation.id, role, NOW)
        await uow.commit()
    async with database.units() as uow:
        context = await uow.members.context_by_telegram_user(7101)
        bare = await uow.members.context_by_telegram_user(7103)
        assert context is not None and bare is not None
        assert context.member.chat_id == 7102 and context.organisation is not None
        assert context.conversation == await uow.conversations.get(member.id)
        assert context.conversation is not None and context.conversation.data == {"mood": 5}
        assert context.plan == await uow.plans.get(member.id)
        assert context.plan is not None and context.plan.next_due_at == NOW + timedelta(days=1)
        assert context.staff == await uow.team.of_member(member.id)
        assert context.staff is not None and context.staff.role == "coordinator"
        assert (bare.conversation, bare.plan, bare.staff) == (None, None, None)
        assert bare.member.id == plain.id
        assert await uow.members.context_by_telegram_user(9999) is None


async def test_a_redelivered_update_is_claimed_once(database: Database) -> None:
    async with database.units() as uow:
        assert await uow.updates.claim(991, NOW)
        assert not await uow.updates.claim(991, NOW)
        await uow.commit()
    async with database.units() as uow:
        assert not await uow.updates.claim(991, NOW)


async def test_conversation_data_is_encrypted_at_rest(database: Database) -> None:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(7002, 7002, organisation.id, NOW)
        await uow.conversations.save(member.id, "ob", "store", {"note": "CANARY-plain-words"}, NOW)
        await uow.commit()
    async with database.engine.connect() as connection:
        from sqlalchemy import text

        raw = (await connection.execute(text("SELECT data_encrypted FROM conversations"))).scalar_one()
    assert b"CANARY" not in bytes(raw)


async def test_a_restart_hands_back_dead_outbox_leases_but_not_back_offs(database: Database) -> None:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(801, 801, organisation.id, NOW)
        held = await uow.outbox.enqueue(member.id, 801, "reply", "You are not alone.", [], NOW)
        waiting = await uow.outbox.enqueue(member.id, 801, "reply", "Later.", [], NOW)
        await uow.commit()
    async with database.units() as uow:
        leased = await uow.outbox.lease(NOW, 10)
        assert {message.id for message in leased} == {held, waiting}
        await uow.outbox.retry_at(waiting, NOW + timedelta(seconds=30))  # Telegram said 429: a back-off, not a lease
        await uow.commit()
    later = NOW + timedelta(seconds=5)
    async with database.units() as uow:  # the process died; a new one starts
        assert await uow.outbox.release_dead_leases(later) == 1
        await uow.commit()
    async with database.units() as uow:
        assert [message.id for message in await uow.outbox.lease(later, 10)] == [held], "sent now, not in 2 minutes"
        await uow.commit()
    async with database.units() as uow:
        assert [message.id for message in await uow.outbox.lease(NOW + timedelta(seconds=31), 10)] == [waiting]
