"""The activities directory on SQLite and PostgreSQL: upsert by Open Referral UK id, scoped reads, cancellations."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.activity_files import export_activities, import_activities
from flows.activities.model import Activity, Contact, CostOption, Location, Schedule, ServiceStatus
from models.activity_tables import ActivityCostRow, ActivityLocationRow, ActivityRow, ActivityScheduleRow
from tests.conftest import NOW, Database
from tests.flows.activities.generated import services
from tests.flows.activities.schema import problems

WALK = Activity(
    id="walk-1",
    organisation_id=0,
    name="Tuesday walk",
    description="A gentle walk by the river",
    url="https://example.org/walk",
    email="walks@example.org",
    schedules=(
        Schedule("s1", freq="WEEKLY", byday=("TU",), opens_at=time(10), closes_at=time(11, 30)),
        Schedule("s2", freq="MONTHLY", byday=("-1FR",), bymonthday=(1, -1), dtstart=date(2026, 1, 2), interval=2),
    ),
    locations=(Location("l1", "Riverside hall", "1 Quay Street, Leith", "EH6 5QG", 55.97, -3.17, ("step-free",)),),
    cost_options=(CostOption("c1", "Everyone", 0.0, "free"), CostOption("c2", "Tea", 1.5, "optional")),
    contact=Contact("Sam", "0131 000 0000", "sam@example.org"),
    minimum_age=16,
    maximum_age=None,
    languages=("English", "Polish"),
    interests=("walking", "social"),
    areas=("EH6", "leith"),
)


async def organisations(database: Database) -> tuple[int, int]:
    async with database.units() as uow:
        hillside = await uow.organisations.add("hillside", "Hillside", NOW)
        riverside = await uow.organisations.add("riverside", "Riverside", NOW)
        await uow.commit()
    return hillside.id, riverside.id


async def row_counts(database: Database) -> list[int]:
    async with database.units() as uow:
        return [
            int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (ActivityRow, ActivityScheduleRow, ActivityLocationRow, ActivityCostRow)
        ]


async def test_an_activity_round_trips_with_every_field(database: Database) -> None:
    hillside, _ = await organisations(database)
    async with database.units() as uow:
        result = await uow.activities.upsert(hillside, WALK, NOW)
        await uow.commit()
    assert result.added == ("walk-1",)
    async with database.units() as uow:
        found = await uow.activities.get("walk-1")
    assert found == replace(WALK, organisation_id=hillside)


async def test_reimporting_updates_in_place_and_an_unchanged_listing_is_left_alone(database: Database) -> None:
    hillside, _ = await organisations(database)
    async with database.units() as uow:
        await uow.activities.upsert(hillside, WALK, NOW)
        await uow.commit()
    before = await row_counts(database)
    async with database.units() as uow:
        same = await uow.activities.upsert(hillside, WALK, NOW + timedelta(days=1))
        await uow.commit()
    assert same.unchanged == ("walk-1",) and not same.added and not same.updated
    renamed = replace(WALK, name="Tuesday river walk", schedules=WALK.schedules[:1], cost_options=())
    async with database.units() as uow:
        changed = await uow.activities.upsert(hillside, renamed, NOW + timedelta(days=2))
        await uow.commit()
    assert changed.updated == ("walk-1",)
    after = await row_counts(database)
    assert before == [1, 2, 1, 2] and after == [1, 1, 1, 0]
    async with database.units() as uow:
        found = await uow.activities.get("walk-1", hillside)
        updated_at = await uow.session.scalar(select(ActivityRow.updated_at))
    assert found == replace(renamed, organisation_id=hillside)
    assert updated_at == NOW + timedelta(days=2)


async def test_another_organisations_activity_with_the_same_id_is_never_overwritten(database: Database) -> None:
    hillside, riverside = await organisations(database)
    async with database.units() as uow:
        await uow.activities.upsert(hillside, WALK, NOW)
        await uow.commit()
    other = replace(WALK, name="Riverside's own walk")
    async with database.units() as uow:
        result = await uow.activities.upsert_many(riverside, [other, replace(WALK, id="swim-1")], NOW)
        await uow.commit()
    assert result.conflicts == ("walk-1",) and result.added == ("swim-1",)
    async with database.units() as uow:
        kept = await uow.activities.get("walk-1")
        assert kept is not None and kept.name == "Tuesday walk" and kept.organisation_id == hillside
        assert await uow.activities.get("walk-1", riverside) is None
        assert [a.id for a in await uow.activities.for_organisation(riverside)] == ["swim-1"]
        assert not await uow.activities.cancel_session(riverside, "walk-1", date(2026, 1, 6), NOW)
        assert not await uow.activities.set_status(riverside, "walk-1", ServiceStatus.DEFUNCT, NOW)


async def test_cancelled_sessions_are_kept_across_updates_and_can_be_put_back(database: Database) -> None:
    hillside, _ = await organisations(database)
    async with database.units() as uow:
        await uow.activities.upsert(hillside, WALK, NOW)
        assert await uow.activities.cancel_session(hillside, "walk-1", date(2026, 1, 6), NOW)
        assert await uow.activities.cancel_session(hillside, "walk-1", date(2026, 1, 6), NOW)  # twice is once
        assert await uow.activities.cancel_session(hillside, "walk-1", date(2026, 1, 13), NOW)
        await uow.commit()
    async with database.units() as uow:
        await uow.activities.upsert(hillside, replace(WALK, name="Walk"), NOW)
        assert await uow.activities.uncancel_session(hillside, "walk-1", date(2026, 1, 13))
        assert not await uow.activities.uncancel_session(hillside, "walk-1", date(2026, 1, 20))
        await uow.commit()
    async with database.units() as uow:
        found = await uow.activities.get("walk-1")
    assert found is not None and found.name == "Walk" and found.cancelled_dates == {date(2026, 1, 6)}


async def test_status_changes_and_defunct_activities_are_left_out_of_lists(database: Database) -> None:
    hillside, _ = await organisations(database)
    async with database.units() as uow:
        await uow.activities.upsert_many(hillside, [WALK, replace(WALK, id="walk-2", name="A walk")], NOW)
        assert await uow.activities.set_status(hillside, "walk-2", ServiceStatus.DEFUNCT, NOW)
        assert await uow.activities.set_status(hillside, "walk-1", ServiceStatus.TEMPORARILY_CLOSED, NOW)
        await uow.commit()
    async with database.units() as uow:
        listed = await uow.activities.for_organisation(hillside)
        everything = await uow.activities.for_organisation(hillside, include_defunct=True)
        page, total = await uow.activities.page(0, 10)
    assert [(a.id, a.status) for a in listed] == [("walk-1", ServiceStatus.TEMPORARILY_CLOSED)]
    assert [a.id for a in everything] == ["walk-2", "walk-1"]  # by name
    assert total == 1 and [a.id for a in page] == ["walk-1"]


async def test_lists_and_pages_load_many_activities_with_their_parts(database: Database) -> None:
    hillside, riverside = await organisations(database)
    many = [replace(WALK, id=f"act-{n:04d}", name=f"Activity {n}") for n in range(1200)]
    async with database.units() as uow:
        result = await uow.activities.upsert_many(hillside, many[:700], NOW)
        await uow.activities.upsert_many(riverside, many[700:], NOW)
        await uow.commit()
    assert len(result.added) == 700
    async with database.units() as uow:
        listed = await uow.activities.for_organisation(hillside)
        first, total = await uow.activities.page(0, 500)
        last, _ = await uow.activities.page(1000, 500)
        assert await uow.activities.count(hillside) == 700 and await uow.activities.count() == 1200
    assert len(listed) == 700 and all(a.schedules == WALK.schedules and len(a.cost_options) == 2 for a in listed)
    assert total == 1200 and len(first) == 500 and [a.id for a in last] == [f"act-{n:04d}" for n in range(1000, 1200)]
    assert {a.organisation_id for a in last} == {riverside}


async def test_overlong_text_is_cut_to_fit_and_then_reads_as_unchanged(database: Database) -> None:
    hillside, _ = await organisations(database)
    long = replace(WALK, name="N" * 400, locations=(Location("l1", postcode="EH6 5QG EXTRA LONG"),))
    async with database.units() as uow:
        await uow.activities.upsert(hillside, long, NOW)
        await uow.commit()
    async with database.units() as uow:
        again = await uow.activities.upsert(hillside, long, NOW)
        found = await uow.activities.get("walk-1")
    assert again.unchanged == ("walk-1",)
    assert found is not None and len(found.name) == 300 and found.locations[0].postcode == "EH6 5QG EX"


async def test_two_thousand_generated_services_import_export_valid_and_reimport_in_place(
    database: Database, tmp_path: Path
) -> None:
    hillside, _ = await organisations(database)
    generated = services()
    source = tmp_path / "services.json"
    source.write_text(json.dumps({"contents": generated, "total_items": len(generated)}))
    summary = await import_activities(database.units, source, "hillside", NOW)
    usable = [s for s in generated if isinstance(s, dict) and isinstance(s.get("id"), str) and s.get("name")]
    assert summary.readable and summary.added == len(usable) and summary.skipped == len(generated) - len(usable)
    counts = await row_counts(database)
    assert counts[0] == len(usable) and counts[1] > 1500 and counts[2] > 1500 and counts[3] > 1500

    first = tmp_path / "first.json"
    assert (await export_activities(database.units, first, "hillside"))[0] == len(usable)
    exported = json.loads(first.read_text())
    assert {service["id"]: found for service in exported if (found := problems(service))} == {}

    again = await import_activities(database.units, first, "hillside", NOW + timedelta(hours=1))
    daily = {s["id"] for s in usable if any(x.get("freq") == "DAILY" for x in s["schedules"] if isinstance(x, dict))}
    assert (again.added, again.updated, again.unchanged) == (0, len(daily), len(usable) - len(daily))
    assert await row_counts(database) == counts
    second = tmp_path / "second.json"
    await export_activities(database.units, second, "hillside")
    assert json.loads(second.read_text()) == exported

    exported[7]["name"] = "Renamed walk"
    first.write_text(json.dumps(exported))
    changed = await import_activities(database.units, first, "hillside", NOW + timedelta(hours=2))
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, len(usable) - 1)
    assert await row_counts(database) == counts
    async with database.units() as uow:
        renamed = await uow.activities.get(exported[7]["id"], hillside)
    assert renamed is not None and renamed.name == "Renamed walk"
