"""Fair sharing between organisations, on SQLite and PostgreSQL: listing and import limits, and member events that
never read a whole directory (a crisis message reads none of it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import event, select

from bot.activity_effects import ActivityEffects
from bot.activity_facts import ActivityFactsLoader
from bot.activity_files import import_document, report_lines
from flows.activities.facts import MEMBER_MOST, activity_key
from flows.activities.model import Activity
from flows.inbound import ButtonPress, Command, TextMessage
from flows.risk import LanguageSignal, RiskTier
from flows.snapshot import ConversationPosition, Facts, MemberSnapshot, OrganisationInfo, StaffInfo
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import Database
from tests.flows.activities.world import DIRECTORY
from tests.flows.dialogue import CATALOGUE, CRISIS

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
WALK = DIRECTORY[0]  # Tuesdays 10:00, EH6
URGENT = (LanguageSignal(RiskTier.URGENT, "lexicon", "words of intent"),)
AT_THE_NOTE = ConversationPosition("ci", "note", {})


def listings(prefix: str, count: int, areas: tuple[str, ...] = ()) -> list[Activity]:
    return [replace(WALK, id=f"{prefix}-{n:05d}", name=f"{prefix} walk {n}", areas=areas) for n in range(count)]


def limited(database: Database, most: int) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(database.units.sessions, database.units.cipher, most)


async def seeded(database: Database, everywhere: int = 300) -> tuple[int, int, int]:
    """Hillside with `everywhere` listings for no area and one for EH6; Riverside's; a Hillside member in EH6."""
    async with database.units() as uow:
        hillside = await uow.organisations.add("hillside", "Hillside", NOW)
        riverside = await uow.organisations.add("riverside", "Riverside", NOW)
        await uow.activities.upsert_many(hillside.id, [*listings("all", everywhere), WALK], NOW)
        await uow.activities.upsert_many(riverside.id, listings("river", 50), NOW)
        member = await uow.members.add(7001, 7001, hillside.id, NOW)
        await uow.activity_choices.save_preference(member.id, "EH6", ("walking",), NOW)
        await uow.commit()
    return hillside.id, riverside.id, member.id


def facts(
    organisation_id: int,
    position: ConversationPosition | None = None,
    language: tuple[LanguageSignal, ...] = (),
    staff: bool = False,
) -> Facts:
    member = MemberSnapshot(
        registered=True, organisation=OrganisationInfo(organisation_id, "Hillside", "hillside"), conversation=position
    )
    role = StaffInfo(organisation_id, "coordinator", "Cat", True) if staff else None
    return Facts(member, CATALOGUE, CRISIS, NOW, language=language, staff=role)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement sent while inside (lower case)."""
    seen: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement.lower())

    event.listen(database.engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", keep)


def touching_listings(seen: list[str]) -> list[str]:
    return [s for s in seen if "from activities" in s or "activity_schedules" in s]


async def test_a_crisis_message_reads_no_listings_at_a_check_in_note_or_anywhere(database: Database) -> None:
    hillside, _, member = await seeded(database)
    loader = ActivityFactsLoader()
    for position in (AT_THE_NOTE, ConversationPosition("ac", "area", {}), None):
        async with database.units() as uow:
            with statements(database) as seen:
                after = await loader.add(uow, facts(hillside, position, URGENT), member, TextMessage("crisis words"))
        assert after.activities is None and touching_listings(seen) == [], position


async def test_an_ordinary_note_reads_the_members_area_only_and_at_most_member_most(database: Database) -> None:
    hillside, _, member = await seeded(database, everywhere=MEMBER_MOST + 50)
    async with database.units() as uow:
        with statements(database) as seen:
            after = await ActivityFactsLoader().add(uow, facts(hillside, AT_THE_NOTE), member, TextMessage("fine"))
    assert after.activities is not None
    assert 0 < len(after.activities.activities) <= MEMBER_MOST
    assert WALK.id in {a.id for a in after.activities.activities}, "listings for the member's own area come first"
    read = [s for s in seen if "from activities" in s]
    chosen = [s for s in read if "activities.areas" in s and "like" in s]
    assert len(chosen) == 1 and " limit " in chosen[0], "the area and the limit are in SQL"
    assert all(s in chosen or "activities.oruk_id in" in s for s in read), "then whole listings by id, no more"


async def test_areas_are_matched_exactly_in_sql_whatever_they_hold(database: Database) -> None:
    async with database.units() as uow:
        org = (await uow.organisations.add("hillside", "Hillside", NOW)).id
        odd = ["EH6", "EH61", "north_leith", "northXleith", "50%", "5", 'quote"d', "Łódź"]
        await uow.activities.upsert_many(
            org, [replace(WALK, id=f"a-{n}", areas=(area,)) for n, area in enumerate(odd)], NOW
        )
        await uow.activities.upsert_many(org, listings("any", 3), NOW)
        await uow.commit()
    async with database.units() as uow:
        for n, area in enumerate(odd):
            near = await uow.activity_choices.activity_ids_near(org, area)
            assert near == [f"a-{n}", "any-00000", "any-00001", "any-00002"], area
        assert await uow.activity_choices.activity_ids_near(org, "EH6", most=2) == ["a-0", "any-00000"]


async def test_an_organisation_lists_at_most_its_limit_and_a_refusal_writes_nothing(database: Database) -> None:
    hillside, riverside, _ = await seeded(database, everywhere=3)  # 4 listed
    units = limited(database, 6)
    async with units() as uow:
        refused = await uow.activities.upsert_many(hillside, listings("new", 3), NOW)
        assert refused.refused_for_limit and refused.limit == 6 and len(refused.over_limit) == 3
        assert not refused.added and await uow.activities.count(hillside) == 4
        fits = await uow.activities.upsert_many(hillside, [*listings("new", 2), replace(WALK, name="Renamed")], NOW)
        assert len(fits.added) == 2 and fits.updated == (WALK.id,)
        full = await ActivityEffects(CATALOGUE).save_listing(uow, replace(WALK, id=""), hillside, NOW)
        assert full is not None and full.refused_for_limit, "the dashboard and /listings save through this"
        changed = await ActivityEffects(CATALOGUE).save_listing(uow, replace(WALK, name="Again"), hillside, NOW)
        assert changed is not None and changed.updated, "a listing already held can still be changed"
        await uow.commit()
    async with units() as uow:
        assert await uow.activities.count(hillside) == 6
        assert await uow.activities.count(riverside) == 50, "another organisation's listings are theirs"


async def test_an_import_over_either_limit_is_refused_whole(database: Database) -> None:
    hillside, _, _ = await seeded(database, everywhere=3)
    units = limited(database, 10)
    services = [{"id": f"svc-{n}", "name": f"Service {n}"} for n in range(8)]
    too_many = await import_document(units, json.dumps(services), "big.json", hillside, NOW, most_records=5)
    assert not too_many.readable and too_many.refused
    assert "holds 8 services" in too_many.lines[0] and "at most 5" in too_many.lines[0]
    assert report_lines(too_many, "big.json")[0] == "Not imported: big.json is over a limit."
    over = await import_document(units, json.dumps(services), "big.json", hillside, NOW, most_records=1000)
    assert over.refused and "would add 8 new activities to the 4" in over.lines[0] and "at most 10" in over.lines[0]
    async with units() as uow:
        assert await uow.activities.count(hillside) == 4, "nothing was imported"
    fits = await import_document(units, json.dumps(services[:6]), "ok.json", hillside, NOW, most_records=1000)
    assert fits.readable and fits.added == 6


async def test_the_bots_listings_flow_is_told_the_limit_and_reads_one_listing_while_writing(database: Database) -> None:
    hillside, _, member = await seeded(database, everywhere=3)
    loader = ActivityFactsLoader()
    async with limited(database, 4)() as uow:
        menu = await loader.add(uow, facts(hillside, staff=True), member, Command("listings"))
        assert menu.activities is not None and menu.activities.full and menu.activities.listed == 4
        writing = ConversationPosition("lm", "name", {"mode": "edit", "id": WALK.id, "draft": {}})
        with statements(database) as seen:
            typed = await loader.add(uow, facts(hillside, writing, URGENT, staff=True), member, TextMessage("x"))
        assert typed.activities is not None and [a.id for a in typed.activities.activities] == [WALK.id]
        assert len([s for s in seen if "from activities" in s and "oruk_id" in s]) == 1
        pressed = await loader.add(uow, facts(hillside, writing, staff=True), member, ButtonPress("lm:save:yes"))
        assert pressed.activities is not None and len(pressed.activities.activities) == 1


async def test_the_dashboard_list_is_a_page_read_in_sql_and_a_listing_is_found_by_key(database: Database) -> None:
    hillside, riverside, _ = await seeded(database, everywhere=120)
    async with database.units() as uow:
        first, total = await uow.activities.organisation_page(hillside, 0, 50)
        last, _ = await uow.activities.organisation_page(hillside, 100, 50)
        assert total == 121 and len(first) == 50 and len(last) == 21
        assert [a.name for a in first] == sorted(a.name for a in first)
        assert await uow.activities.by_key(hillside, activity_key(WALK.id)) is not None
        assert await uow.activities.by_key(riverside, activity_key(WALK.id)) is None, "another organisation's: none"


async def test_the_bots_listings_reads_a_page_or_the_one_picked_never_the_whole_directory(database: Database) -> None:
    hillside, _, member = await seeded(database, everywhere=120)  # 121 listed, all with sessions every week
    loader = ActivityFactsLoader()
    coordinator = facts(hillside, staff=True)
    async with database.units() as uow:
        with statements(database) as seen:
            menu = await loader.add(uow, coordinator, member, Command("listings"))
        assert menu.activities is not None and menu.activities.activities == () and menu.activities.listed == 121
        assert [s for s in touching_listings(seen) if "count(" not in s] == [], "the menu counts, nothing more"
        edit = await loader.add(uow, coordinator, member, ButtonPress("lm:epage:3"))
        assert edit.activities is not None and edit.activities.list_total == 121
        names = sorted([WALK.name, *(f"all walk {n}" for n in range(120))])
        assert [a.name for a in edit.activities.activities] == names[15:20], "the fourth page of five, by name"
        cancel = await loader.add(uow, coordinator, member, ButtonPress("lm:cpage:24"))
        assert cancel.activities is not None and cancel.activities.list_total == 121
        assert len(cancel.activities.activities) == 1, "the last page of those with a session in the next 4 weeks"
        picked = await loader.add(uow, coordinator, member, ButtonPress(f"lm:cpick:{activity_key(WALK.id)}"))
        assert picked.activities is not None and [a.id for a in picked.activities.activities] == [WALK.id]


async def test_a_large_import_is_written_a_batch_at_a_time_and_audited_once(database: Database) -> None:
    from bot.activity_files import IMPORT_BATCH
    from models.tables import AuditEvent

    hillside, _, member = await seeded(database, everywhere=3)
    services = [{"id": f"svc-{n}", "name": f"Service {n}"} for n in range(IMPORT_BATCH * 2 + 50)]
    with statements(database) as seen:
        done = await import_document(
            limited(database, 1000), json.dumps(services), "big.json", hillside, NOW, actor_member_id=member
        )
    assert done.readable and done.added == IMPORT_BATCH * 2 + 50
    assert sum(s.startswith("commit") for s in seen) >= 3 or sum("insert into activities " in s for s in seen) >= 3
    async with database.units() as uow:
        audits = list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "activities_imported")))
    assert len(audits) == 1
