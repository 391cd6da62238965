"""One person, not scattered alerts: the case reference, the first-raised time kept, later signals joining."""

from __future__ import annotations

from datetime import timedelta

from models.alerts import two_days_before
from tests.conftest import NOW, Database


async def _member(database: Database) -> tuple[int, int]:
    async with database.units() as uow:
        organisation = await uow.organisations.add("hillside", "Hillside", NOW)
        member = await uow.members.add(9101, 9101, organisation.id, NOW)
        await uow.commit()
    return member.id, organisation.id


async def test_raised_keeps_the_first_time_when_an_alert_is_upgraded(database: Database) -> None:
    member_id, organisation_id = await _member(database)
    async with database.units() as uow:
        first = await uow.alerts.raise_alert(member_id, organisation_id, "CONCERN", "flag_only", ["a"], NOW)
        later = NOW + timedelta(minutes=40)
        again = await uow.alerts.raise_alert(member_id, organisation_id, "URGENT", "flag_only", ["b"], later)
        row = await uow.alerts.get(first)
        await uow.commit()
    assert again == first and row is not None
    assert row.tier == "URGENT" and row.created_at == NOW and row.raised_again_at == later
    assert row.waiting_since == later and row.dispatched_at is None, "sent out again at the higher tier"


async def test_staff_can_see_that_several_alerts_are_one_person(database: Database) -> None:
    member_id, organisation_id = await _member(database)
    refs = []
    async with database.units() as uow:
        for hours in (0, 20, 40):
            at = NOW + timedelta(hours=hours)
            alert_id = await uow.alerts.raise_alert(member_id, organisation_id, "URGENT", "flag_only", ["r"], at)
            row = await uow.alerts.get(alert_id)
            assert row is not None
            refs.append(row.case_ref)
            await uow.alerts.resolve(alert_id, "ok", at)
        count = await uow.alerts.count_since(member_id, two_days_before(NOW + timedelta(hours=40)))
        await uow.commit()
    assert len(set(refs)) == 1 and len(refs[0]) == 5 and str(member_id) not in refs[0]
    assert count == 3


async def test_an_urgent_alert_is_listed_before_an_older_concern(database: Database) -> None:
    member_id, organisation_id = await _member(database)
    async with database.units() as uow:
        other = await uow.members.add(9102, 9102, organisation_id, NOW)
        await uow.alerts.raise_alert(member_id, organisation_id, "CONCERN", "flag_only", ["c"], NOW)
        await uow.alerts.raise_alert(other.id, organisation_id, "URGENT", "flag_only", ["u"], NOW + timedelta(hours=1))
        listed = await uow.alerts.open_for_organisation(organisation_id)
    assert [row.tier for row in listed] == ["URGENT", "CONCERN"]
