"""A member's relayed words queued for a volunteer belong to the member: exported with their data, erased with
them, and emptied once delivered (a transcript is kept only when they chose "also my answers")."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.safeguarding.desk import AlertDesk
from flows.outcome import Text, reply
from flows.texts import load_catalogue
from models import member_data
from models.tables import OutboxMessage
from tests.conftest import NOW, Database

WORDS = "relayed words CANARY-RELAY-9d2"


async def _member_and_volunteer(database: Database) -> tuple[int, int, int]:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(9001, 9001, organisation.id, NOW)
        volunteer = await uow.members.add(9002, 9002, organisation.id, NOW)
        alert_id = await uow.alerts.raise_alert(member.id, organisation.id, "URGENT", "flag_only", ["r"], NOW)
        desk = AlertDesk(load_catalogue())
        await desk.send(uow, volunteer.id, 9002, "relay", reply(Text("relay.from_member", {"text": WORDS})), NOW,
                        alert_id)  # fmt: skip
        await uow.commit()
    return member.id, volunteer.id, alert_id


async def test_a_queued_relayed_message_is_exported_with_the_member_and_erased_with_them(database: Database) -> None:
    member_id, volunteer_id, _ = await _member_and_volunteer(database)
    async with database.units() as uow:
        found = await member_data.collect(uow.session, member_id)
        document = json.loads(member_data.export_document(found, uow.cipher, NOW))
    assert WORDS in json.dumps(document["tables"]["outbox"]), "the member's own words are in /mydata"
    async with database.units() as uow:
        await member_data.erase(uow.session, member_id)
        await uow.commit()
    async with database.units() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage))).all()
        assert not any(WORDS in uow.cipher.decrypt(row.payload_encrypted) for row in rows), "no copy survives"
        assert await uow.members.by_id(volunteer_id) is not None


async def test_a_relayed_message_keeps_no_words_once_delivered(database: Database) -> None:
    await _member_and_volunteer(database)
    async with database.units() as uow:
        (leased,) = await uow.outbox.lease(NOW, 10)
        await uow.outbox.mark_sent(leased.id, 77, NOW)
        await uow.commit()
    async with database.units() as uow:
        row = (await uow.session.scalars(select(OutboxMessage))).one()
        assert WORDS not in uow.cipher.decrypt(row.payload_encrypted) and row.status == "sent"
