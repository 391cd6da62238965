"""Broadcast storage on SQLite and PostgreSQL: the audience, leasing, and never sending a delivery twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from flows.broadcast_model import ActivityCard, AudienceFilter
from models.broadcast_deliveries import Outcome, Result
from models.broadcast_tables import BroadcastDelivery
from models.member_activity_tables import ActivityPreference
from models.unit_of_work import UnitOfWork
from tests.conftest import NOW, Database


async def consent(uow: UnitOfWork, member_id: int, *actions: str) -> None:
    for action in actions:
        record = {
            "scope": "news",
            "action": action,
            "share_level": None,
            "text_version": "v1",
            "text_hash": "c" * 64,
            "method": "test",
        }
        await uow.consents.append(member_id, record, None, NOW)


async def seed(database: Database) -> dict[str, int]:
    """Members of every kind the audience must include or leave out; returns member ids by name."""
    ids: dict[str, int] = {}
    async with database.units() as uow:
        hillside = await uow.organisations.add("hillside", "Hillside", NOW)
        riverside = await uow.organisations.add("riverside", "Riverside", NOW)
        people = [
            ("walker_eh6", hillside.id, ("given",), "EH6", "walking,art"),
            ("artist_eh7", hillside.id, ("given",), "EH7", "art"),
            ("no_area", hillside.id, ("given",), None, ""),
            ("declined", hillside.id, ("declined",), "EH6", "walking"),
            ("withdrew", hillside.id, ("given", "withdrawn"), "EH6", "walking"),
            ("came_back", hillside.id, ("given", "withdrawn", "given"), "EH6", "art"),
            ("never_asked", hillside.id, (), "EH6", "walking"),
            ("paused", hillside.id, ("given",), "EH6", "walking"),
            ("blocked", hillside.id, ("given",), "EH6", "walking"),
            ("other_org", riverside.id, ("given",), "EH6", "walking"),
        ]
        for offset, (name, organisation_id, actions, area, interests) in enumerate(people):
            member = await uow.members.add(8000 + offset, 8000 + offset, organisation_id, NOW)
            ids[name] = member.id
            await consent(uow, member.id, *actions)
            uow.session.add(ActivityPreference(member_id=member.id, area=area, interests=interests, updated_at=NOW))
        await uow.members.set_status(ids["paused"], "paused")
        await uow.broadcast_deliveries.mark_unreachable(ids["blocked"], "blocked", NOW)
        ids["hillside"], ids["riverside"] = hillside.id, riverside.id
        await uow.commit()
    return ids


async def test_the_audience_is_current_news_consent_in_the_organisation_filtered_by_area_and_interest(
    database: Database,
) -> None:
    ids = await seed(database)
    async with database.units() as uow:
        everyone = await uow.broadcasts.audience_members(ids["hillside"], AudienceFilter())
        assert set(everyone) == {ids["walker_eh6"], ids["artist_eh7"], ids["no_area"], ids["came_back"]}
        eh6 = await uow.broadcasts.audience_members(ids["hillside"], AudienceFilter("EH6"))
        assert set(eh6) == {ids["walker_eh6"], ids["came_back"]}
        art = await uow.broadcasts.audience_members(ids["hillside"], AudienceFilter(None, frozenset({"art"})))
        assert set(art) == {ids["walker_eh6"], ids["artist_eh7"], ids["came_back"]}
        profile = await uow.broadcasts.audience_profile(ids["hillside"])
        assert profile.count() == 4
        assert profile.count(AudienceFilter("EH6", frozenset({"walking"}))) == 1
        assert profile.areas() == [("EH6", 2), ("EH7", 1)]


async def test_a_broadcast_is_written_with_one_delivery_each_and_its_text_encrypted(database: Database) -> None:
    ids = await seed(database)
    card = ActivityCard("svc-1", "Walk", "Tuesday", "Links", "Free")
    async with database.units() as uow:
        members = await uow.broadcasts.audience_members(ids["hillside"], AudienceFilter())
        broadcast_id = await uow.broadcasts.create(
            ids["hillside"], ids["walker_eh6"], "CANARY-news words", card, AudienceFilter(), members, NOW
        )
        await uow.commit()
    async with database.units() as uow:
        message = await uow.broadcasts.message(broadcast_id)
        assert message is not None and message.text == "CANARY-news words" and message.card == card
        assert message.organisation_name == "Hillside"
        counts = await uow.broadcasts.counts(broadcast_id)
        assert counts.left == 4 and counts.sent == 0
    async with database.engine.connect() as connection:
        raw = (await connection.execute(text("SELECT text_encrypted FROM broadcasts"))).scalar_one()
    assert b"CANARY" not in bytes(raw)


async def _broadcast_to(database: Database, ids: dict[str, int], names: list[str]) -> int:
    async with database.units() as uow:
        members = [ids[name] for name in names]
        broadcast_id = await uow.broadcasts.create(
            ids["hillside"], ids["walker_eh6"], "News", None, AudienceFilter(), members, NOW
        )
        await uow.commit()
    return broadcast_id


async def test_leasing_marks_sending_skips_those_no_longer_in_the_audience_and_never_hands_out_twice(
    database: Database,
) -> None:
    ids = await seed(database)
    names = ["walker_eh6", "artist_eh7", "no_area", "withdrew", "paused", "blocked", "other_org"]
    broadcast_id = await _broadcast_to(database, ids, names)
    async with database.units() as uow:
        leased = await uow.broadcast_deliveries.lease(NOW, 100)
        await uow.commit()
    assert {item.member_id for item in leased} == {ids["walker_eh6"], ids["artist_eh7"], ids["no_area"]}
    assert all(item.attempts == 1 for item in leased)
    async with database.units() as uow:
        assert await uow.broadcast_deliveries.lease(NOW + timedelta(seconds=1), 100) == []
        rows = await uow.session.execute(
            select(BroadcastDelivery.member_id, BroadcastDelivery.status).where(
                BroadcastDelivery.broadcast_id == broadcast_id
            )
        )
        status = {member_id: value for member_id, value in rows.all()}
    assert status[ids["withdrew"]] == "skipped" and status[ids["paused"]] == "skipped"
    assert status[ids["other_org"]] == "skipped" and status[ids["blocked"]] == "unreachable"
    assert status[ids["walker_eh6"]] == "sending"


async def test_an_expired_lease_is_uncertain_not_resent_and_a_late_confirmation_still_counts(
    database: Database,
) -> None:
    ids = await seed(database)
    broadcast_id = await _broadcast_to(database, ids, ["walker_eh6", "artist_eh7", "no_area"])
    async with database.units() as uow:
        assert await uow.broadcasts.start_queued(NOW) == [broadcast_id]
        first, second, third = await uow.broadcast_deliveries.lease(NOW, 10, timedelta(seconds=60))
        await uow.broadcast_deliveries.record([Outcome(first, Result.SENT)], NOW)
        await uow.commit()
    later = NOW + timedelta(seconds=61)
    async with database.units() as uow:
        assert await uow.broadcast_deliveries.expire_leases(later) == 2
        assert await uow.broadcast_deliveries.lease(later, 10) == []
        await uow.broadcast_deliveries.record([Outcome(second, Result.SENT)], later)  # the dead send did arrive
        await uow.commit()
    async with database.units() as uow:
        counts = await uow.broadcasts.counts(broadcast_id)
        assert (counts.sent, counts.uncertain, counts.left) == (2, 1, 0)
        assert await uow.broadcasts.finish_done(later) == [broadcast_id]
        assert await uow.broadcasts.finish_done(later) == []
        await uow.commit()
    assert third.member_id == ids["no_area"]


async def test_retry_waits_its_turn_release_hands_back_and_unreachable_is_remembered(database: Database) -> None:
    ids = await seed(database)
    await _broadcast_to(database, ids, ["walker_eh6", "artist_eh7", "no_area"])
    async with database.units() as uow:
        retried, released, blocked = await uow.broadcast_deliveries.lease(NOW, 10)
        await uow.broadcast_deliveries.record(
            [
                Outcome(retried, Result.RETRY, NOW + timedelta(seconds=30)),
                Outcome(blocked, Result.UNREACHABLE, reason="blocked"),
            ],
            NOW,
        )
        await uow.broadcast_deliveries.release([released], NOW)
        await uow.commit()
    async with database.units() as uow:
        again = await uow.broadcast_deliveries.lease(NOW + timedelta(seconds=1), 10)
        assert [item.id for item in again] == [released.id] and again[0].attempts == 1
        assert await uow.broadcast_deliveries.next_due() == NOW + timedelta(seconds=30)
        assert await uow.broadcast_deliveries.is_unreachable(blocked.member_id)
        await uow.broadcast_deliveries.mark_reachable(blocked.member_id)
        assert not await uow.broadcast_deliveries.is_unreachable(blocked.member_id)
        later = await uow.broadcast_deliveries.lease(NOW + timedelta(seconds=31), 10)
        assert [item.id for item in later] == [retried.id] and later[0].attempts == 2


async def test_stopping_news_skips_what_is_still_pending_for_that_member(database: Database) -> None:
    ids = await seed(database)
    first = await _broadcast_to(database, ids, ["walker_eh6", "artist_eh7"])
    second = await _broadcast_to(database, ids, ["walker_eh6"])
    async with database.units() as uow:
        assert await uow.broadcast_deliveries.cancel_pending_for_member(ids["walker_eh6"]) == 2
        await uow.commit()
    async with database.units() as uow:
        assert (await uow.broadcasts.counts(first)).skipped == 1
        assert (await uow.broadcasts.counts(second)).skipped == 1
        leased = await uow.broadcast_deliveries.lease(NOW, 10)
    assert [item.member_id for item in leased] == [ids["artist_eh7"]]


async def test_progress_is_shown_by_one_instance_at_a_time(database: Database) -> None:
    ids = await seed(database)
    broadcast_id = await _broadcast_to(database, ids, ["walker_eh6"])
    async with database.units() as uow:
        assert await uow.broadcasts.start_queued(NOW) == [broadcast_id]
        assert await uow.broadcasts.claim_progress(broadcast_id, NOW, timedelta(seconds=5))
        assert not await uow.broadcasts.claim_progress(broadcast_id, NOW + timedelta(seconds=2), timedelta(seconds=5))
        assert await uow.broadcasts.claim_progress(broadcast_id, NOW + timedelta(seconds=5), timedelta(seconds=5))
        await uow.broadcasts.set_progress_message(broadcast_id, 77)
        (target,) = await uow.broadcasts.progress_targets()
        assert (target.message_id, target.recipients, target.chat_id) == (77, 1, 8000)
        await uow.commit()


async def test_two_instances_leasing_at_once_get_disjoint_deliveries(database: Database) -> None:
    if database.backend != "postgresql":
        pytest.skip("SQLite is the single-instance backend: one writer at a time")
    ids = await seed(database)
    async with database.units() as uow:
        organisation = await uow.organisations.by_id(ids["hillside"])
        assert organisation is not None
        many = []
        for offset in range(40):
            member = await uow.members.add(9000 + offset, 9000 + offset, organisation.id, NOW)
            await consent(uow, member.id, "given")
            many.append(member.id)
        await uow.broadcasts.create(organisation.id, None, "News", None, AudienceFilter(), many, NOW)
        await uow.commit()
    first, second = database.units(), database.units()
    async with first as one, second as two:
        mine = await one.broadcast_deliveries.lease(NOW, 25)
        theirs = await two.broadcast_deliveries.lease(NOW, 25)  # while the first transaction still holds its rows
        await one.commit()
        await two.commit()
    assert len(mine) == 25 and len(theirs) == 15
    assert not {item.id for item in mine} & {item.id for item in theirs}


async def test_a_request_key_makes_one_broadcast_per_organisation_and_summaries_stay_in_their_organisation(
    database: Database,
) -> None:
    ids = await seed(database)
    walker = [ids["walker_eh6"]]
    async with database.units() as uow:
        first = await uow.broadcasts.create(
            ids["hillside"], None, "News", None, AudienceFilter("EH6"), walker, NOW, "k1"
        )
        await uow.broadcasts.create(ids["hillside"], None, "Keyless", None, AudienceFilter(), walker, NOW)
        await uow.broadcasts.create(ids["hillside"], None, "Keyless", None, AudienceFilter(), walker, NOW)
        await uow.broadcasts.create(
            ids["riverside"], None, "Theirs", None, AudienceFilter(), [ids["other_org"]], NOW, "k1"
        )
        await uow.commit()
    async with database.units() as uow:
        with pytest.raises(IntegrityError):
            await uow.broadcasts.create(ids["hillside"], None, "Again", None, AudienceFilter(), walker, NOW, "k1")
    async with database.units() as uow:
        assert await uow.broadcasts.by_request_key(ids["hillside"], "k1") == first
        assert await uow.broadcasts.by_request_key(ids["hillside"], "k2") is None
        summary = await uow.broadcasts.summary(first, ids["hillside"])
        assert await uow.broadcasts.summary(first, ids["riverside"]) is None
        listed = await uow.broadcasts.for_organisation(ids["hillside"])
    assert summary is not None and summary.text == "News" and summary.audience == AudienceFilter("EH6")
    assert (summary.recipients, summary.status) == (1, "queued")
    assert [b.text for b in listed] == ["Keyless", "Keyless", "News"], "newest first, only this organisation's"
