"""Fair sharing on the dashboard, on SQLite and PostgreSQL: the list is read a page at a time, and an organisation at
its listing limit, or a file over the import limit, gets a plain refusal and changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.web.app import build_web_app, start_web
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import NOW, Database
from tests.web.conftest import Clock, DashboardSite, dashboard_settings, seed_organisation
from tests.web.test_activities_pages import FORM_ID, WEEKLY, post_form, upload, walk_form

MOST = 120
LISTING = re.compile(r'href="/dashboard/activities/[0-9a-f]{10}"')


@pytest.fixture
async def site(database: Database) -> AsyncIterator[DashboardSite]:
    """The dashboard with a listing limit of 120 and an import limit of 5; Hillside lists 120, Riverside 3."""
    settings = replace(dashboard_settings(database), max_listings_per_organisation=MOST, max_import_records=5)
    org_a = await seed_organisation(database.units, "hillside", "Hillside Community Hub", 1000)
    org_b = await seed_organisation(database.units, "riverside", "Riverside Trust", 2000)
    async with database.units() as uow:
        many = [replace(WEEKLY, id=f"walk-{n:03d}", name=f"Walk {n:03d}") for n in range(MOST)]
        await uow.activities.upsert_many(org_a.id, many, NOW)
        await uow.activities.upsert_many(org_b.id, [replace(WEEKLY, id=f"river-{n}") for n in range(3)], NOW)
        await uow.commit()
    units = UnitOfWorkFactory(database.units.sessions, database.units.cipher, MOST)
    clock = Clock()
    running = await start_web(build_web_app(units, settings, clock), "127.0.0.1", 0)
    site = DashboardSite(running.url, database, clock, settings, org_a, org_b, running)
    try:
        yield site
    finally:
        await site.close()


async def listed(site: DashboardSite, organisation_id: int) -> int:
    async with site.units() as uow:
        return await uow.activities.count(organisation_id)


async def test_the_list_shows_one_page_at_a_time(site: DashboardSite) -> None:
    client = await site.login(site.org_a.coordinator_id)
    first = await client.get("/dashboard/activities")
    assert first.status == 200 and "120 activities, 1 to 50 shown" in first.text and "Page 1 of 3" in first.text
    assert len(LISTING.findall(first.text)) == 50
    assert (
        "Walk 000" in first.text
        and "Walk 050" not in first.text
        and 'href="/dashboard/activities?page=2"' in first.text
    )
    last = await client.get("/dashboard/activities", page="3")
    assert last.status == 200 and "101 to 120 shown" in last.text and "Walk 119" in last.text
    assert (await client.get("/dashboard/activities", page="4")).status == 404
    riverside = await site.login(site.org_b.coordinator_id)
    theirs = await riverside.get("/dashboard/activities")
    assert "3 activities" in theirs.text and "Walk 000" not in theirs.text


async def test_an_organisation_at_its_limit_is_refused_a_new_listing_plainly(site: DashboardSite) -> None:
    client = await site.login(site.org_a.coordinator_id)
    page = await client.get("/dashboard/activities")
    assert "the most one organisation may list" in page.text and "(120)" in page.text
    new = await client.get("/dashboard/activities/new")
    assert (
        new.status == 409 and "Your organisation lists 120 activities, the most one organisation may list" in new.text
    )
    form_id = FORM_ID.search(new.text)
    assert form_id is not None
    status, text, _ = await post_form(client, "/dashboard/activities/new", walk_form(form_id[1]))
    assert status == 409 and "the most one organisation may list (120)" in text
    assert await listed(site, site.org_a.id) == MOST
    riverside = await site.login(site.org_b.coordinator_id)
    assert (await riverside.get("/dashboard/activities/new")).status == 200, "the limit is per organisation"


async def test_a_file_over_the_import_limit_is_refused_whole(site: DashboardSite) -> None:
    client = await site.login(site.org_b.coordinator_id)
    await client.get("/dashboard/activities/import")
    services = [{"id": f"svc-{n}", "name": f"Service {n}"} for n in range(6)]
    status, text = await upload(client, "big.json", json.dumps(services).encode())
    assert status == 422 and "Nothing was imported" in text and "this file holds 6 services" in text
    assert "at most 5" in text and await listed(site, site.org_b.id) == 3
    status, text = await upload(client, "ok.json", json.dumps(services[:5]).encode())
    assert status == 200 and await listed(site, site.org_b.id) == 8
    full = await site.login(site.org_a.coordinator_id)
    await full.get("/dashboard/activities/import")
    status, text = await upload(full, "one.json", json.dumps([{"id": "hill-new", "name": "New"}]).encode())
    assert (
        status == 422 and "an organisation may list at most 120" in text and await listed(site, site.org_a.id) == MOST
    )
