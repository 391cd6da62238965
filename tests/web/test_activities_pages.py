"""Activities pages over HTTP, on SQLite and PostgreSQL: add, change, cancel a session, import, and who may."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import aiohttp
from sqlalchemy import select

from flows.activities.facts import activity_key
from flows.activities.model import Activity, CostOption, Location, Schedule
from models.tables import AuditEvent, OutboxMessage
from tests.conftest import NOW
from tests.web.conftest import DashboardSite, StaffClient

FORM_ID = re.compile(r'name="form_id" value="([^"]+)"')
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # NOW is Sunday 22 November 2026; London is on UTC then
MONTHLY = Activity(
    id="imported-lunch-club",
    organisation_id=0,
    name="Lunch club",
    description="Soup and company.",
    schedules=(
        Schedule(
            id="s1",
            freq="MONTHLY",
            byday=("-1FR",),
            opens_at=time(12),
            valid_to=date(2027, 6, 30),
            description="Last Friday of the month",
        ),
    ),
    locations=(Location(id="l1", name="Old Kirk Hall", postcode="EH6 5QG"),),
    cost_options=(CostOption(id="c1", amount=2.5, amount_description="£2.50, or what you can"),),
    areas=("EH6", "EH7"),
    interests=("food",),
)
WEEKLY = Activity(
    id="walk-1",
    organisation_id=0,
    name="Tuesday walk",
    schedules=(Schedule(id="s2", freq="WEEKLY", byday=("TU",), opens_at=time(10), closes_at=time(11)),),
    locations=(Location(id="l2", name="The Links", postcode="EH6 7AA"),),
)


def walk_form(form_id: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "form_id": form_id,
        "name": "Friday  health walk",
        "description": "A gentle walk.\r\nAll welcome.",
        "when": "weekly",
        "days": ["fri"],
        "start": "10:30",
        "end": "11:30",
        "place": "Leith Links",
        "postcode": "eh6 7aa",
        "area": "district",
        "cost": "free",
        "interests": ["walking", "social"],
    }
    form.update(changes)
    return form


async def post_form(client: StaffClient, path: str, form: dict[str, str | list[str]]) -> tuple[int, str, str]:
    """POST a form with repeated fields (days, interests) and the session's CSRF token."""
    data = aiohttp.FormData()
    for name, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            data.add_field(name, item)
    data.add_field("csrf_token", client.csrf)
    async with client.http.post(client.base_url + path, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def seed(site: DashboardSite, *activities: Activity, organisation_id: int | None = None) -> None:
    async with site.units() as uow:
        for activity in activities:
            await uow.activities.upsert(organisation_id or site.org_a.id, activity, NOW)
        await uow.commit()


async def test_a_coordinator_adds_an_activity_once_and_sees_the_card_members_see(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    page = await client.get("/dashboard/activities/new")
    assert page.status == 200 and "<h1>Add an activity</h1>" in page.text
    form_id = FORM_ID.search(page.text)
    assert form_id is not None

    status, _, location = await post_form(client, "/dashboard/activities/new", walk_form(form_id[1]))
    key = activity_key(form_id[1])
    assert (status, location) == (303, f"/dashboard/activities/{key}?saved=1")
    again = await post_form(client, "/dashboard/activities/new", walk_form(form_id[1]))
    assert again[0] == 303, "the same form sent twice adds the listing once"

    async with site.units() as uow:
        (saved,) = await uow.activities.for_organisation(site.org_a.id)
        assert await uow.activities.for_organisation(site.org_b.id) == []
        actions = [e.action for e in await uow.session.scalars(select(AuditEvent))]
    assert saved.id == form_id[1] and saved.name == "Friday health walk"
    assert saved.description == "A gentle walk.\nAll welcome."
    (schedule,) = saved.schedules
    assert (schedule.freq, schedule.byday, schedule.opens_at, schedule.closes_at) == (
        "WEEKLY",
        ("FR",),
        time(10, 30),
        time(11, 30),
    )
    assert saved.locations[0].postcode == "EH6 7AA" and saved.areas == ("EH6",) and saved.is_free
    assert saved.interests == ("walking", "social")
    assert actions.count("activity_added") == 1

    shown = await client.get(location)
    assert shown.status == 200
    for line in ("🗓 Friday 27 November, 10:30 to 11:30", "📍 Leith Links, EH6 7AA", "💷 Free", "People in EH6"):
        assert line in shown.text
    assert "you are not alone" not in shown.text
    listed = await client.get("/dashboard/activities")
    assert f'href="/dashboard/activities/{key}"' in listed.text and "Friday health walk" in listed.text


async def test_a_form_with_mistakes_is_shown_again_with_each_problem_and_nothing_is_saved(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    form_id = FORM_ID.search((await client.get("/dashboard/activities/new")).text)
    assert form_id is not None
    wrong = walk_form(form_id[1], name="x", days=[], start="25:00", postcode="nowhere", cost="paid", amount="lots")
    status, text, _ = await post_form(client, "/dashboard/activities/new", wrong)
    assert status == 422 and "There is a problem" in text
    for message in ("a name of 2 to 120", "at least one day", "the time it starts", "postcode", "cost in pounds"):
        assert message in text
    assert 'value="nowhere"' in text, "what was typed is kept"
    once = walk_form(form_id[1], when="once", date="2020-01-01")
    status, text, _ = await post_form(client, "/dashboard/activities/new", once)
    assert status == 422 and "a date from today on" in text
    async with site.units() as uow:
        assert await uow.activities.count() == 0


async def test_changing_one_part_keeps_what_the_form_cannot_show(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await seed(site, MONTHLY)
    client = await site.login(site.org_a.coordinator_id)
    key = activity_key(MONTHLY.id)
    page = await client.get(f"/dashboard/activities/{key}/edit")
    assert page.status == 200 and 'value="keep" checked' in page.text and "As listed now: EH6, EH7" in page.text
    form = {
        "name": "Lunch club for all",
        "description": "Soup and company.",
        "when": "keep",
        "start": "12:00",
        "place": "Old Kirk Hall",
        "postcode": "EH6 5QG",
        "area": "keep",
        "cost": "paid",
        "amount": "2.50",
        "interests": ["food"],
    }
    status, _, location = await post_form(client, f"/dashboard/activities/{key}/edit", form)
    assert (status, location) == (303, f"/dashboard/activities/{key}?saved=1")
    async with site.units() as uow:
        changed = await uow.activities.get(MONTHLY.id, site.org_a.id)
    assert changed is not None and changed.name == "Lunch club for all"
    assert changed.schedules == MONTHLY.schedules and changed.areas == MONTHLY.areas
    assert changed.cost_options == MONTHLY.cost_options, "an unchanged price keeps its own words"


async def test_cancelling_a_session_tells_who_said_they_would_go_and_withdraws_their_reminder(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    await seed(site, WEEKLY)
    async with site.units() as uow:
        member = await uow.members.by_id(site.org_a.member_id)
        assert member is not None
        await uow.activity_choices.respond(member.id, WEEKLY.id, "going", TUESDAY, NOW)
        reminder = await uow.outbox.enqueue(
            member.id, member.chat_id, "activity_reminder", "Reminder", [], NOW, not_before=TUESDAY - timedelta(hours=2)
        )
        await uow.activity_choices.set_reminder(member.id, WEEKLY.id, reminder, NOW)
        await uow.commit()
    client = await site.login(site.org_a.coordinator_id)
    key = activity_key(WEEKLY.id)
    detail = await client.get(f"/dashboard/activities/{key}")
    assert f"/dashboard/activities/{key}/sessions/261124/cancel" in detail.text
    confirm = await client.get(f"/dashboard/activities/{key}/sessions/261124/cancel")
    assert confirm.status == 200
    assert "Sorry, Tuesday walk on Tuesday 24 November, 10:00 to 11:00 is cancelled." in confirm.text

    answer = await client.post(f"/dashboard/activities/{key}/sessions/261124/cancel")
    assert (answer.status, answer.location) == (303, f"/dashboard/activities/{key}")
    async with site.units() as uow:
        listing = await uow.activities.get(WEEKLY.id)
        rows = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        texts = {row.kind: json.loads(uow.cipher.decrypt(row.payload_encrypted))["text"] for row in rows}
        statuses = {row.kind: row.status for row in rows}
        told = [row.chat_id for row in rows if row.kind == "activity_cancelled"]
        member_chat = (await uow.members.by_id(site.org_a.member_id)).chat_id  # type: ignore[union-attr]
    assert listing is not None and listing.cancelled_dates == {date(2026, 11, 24)}
    assert texts["activity_cancelled"].startswith("Sorry, Tuesday walk on Tuesday 24 November")
    assert told == [member_chat]
    assert statuses["activity_reminder"] != "pending", "the reminder is withdrawn"
    after = await client.get(f"/dashboard/activities/{key}")
    assert "/sessions/261124/cancel" not in after.text and "Tuesday 24 November" in after.text
    gone = await client.get(f"/dashboard/activities/{key}/sessions/261124/cancel")
    assert gone.status == 404, "a cancelled session cannot be cancelled again"


async def upload(client: StaffClient, name: str, content: bytes) -> tuple[int, str]:
    data = aiohttp.FormData()
    data.add_field("csrf_token", client.csrf)
    data.add_field("file", content, filename=name, content_type="application/octet-stream")
    async with client.http.post(client.base_url + "/dashboard/activities/import", data=data) as response:
        return response.status, await response.text()


async def test_importing_a_file_shows_the_plain_report_and_refuses_another_organisations_ids(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    await seed(site, WEEKLY, organisation_id=site.org_b.id)
    client = await site.login(site.org_a.coordinator_id)
    assert (await client.get("/dashboard/activities/import")).status == 200
    csv = (
        "id,name,freq,byday,opens_at,location_name,postcode,cost\n"
        "chat-1,Chatty café,WEEKLY,WE,14:00,Hub,EH6 8RG,free\n"
        ",No id here,WEEKLY,MO,10:00,Hub,EH6 8RG,free\n"
        "walk-1,Someone else's walk,WEEKLY,TU,10:00,Links,EH6 7AA,free\n"
    )
    status, text = await upload(client, "services.csv", csv.encode())
    assert status == 200
    assert "Activities: 1 added, 0 updated, 0 unchanged, 1 skipped, 1 refused (another organisation&#39;s id)." in text
    assert "belongs to another organisation" in text
    async with site.units() as uow:
        ours = [a.name for a in await uow.activities.for_organisation(site.org_a.id)]
        theirs = await uow.activities.get("walk-1")
        audited = [(e.action, e.organisation_id) for e in await uow.session.scalars(select(AuditEvent))]
    assert ours == ["Chatty café"] and theirs is not None and theirs.name == "Tuesday walk"
    assert ("activities_imported", site.org_a.id) in audited

    status, text = await upload(client, "broken.json", b"{not json")
    assert status == 422 and "Could not read broken.json" in text and "not valid JSON" in text
    page = await client.get("/dashboard/activities/import")
    limit = int(re.search(r"up to (\d+) MB", page.text)[1])  # type: ignore[index]
    status, _ = await upload(client, "huge.csv", csv.encode() + b"x" * (limit * 1024 * 1024))
    assert status == 413
    async with site.units() as uow:
        assert await uow.activities.count(site.org_a.id) == 1


async def test_volunteers_are_refused_and_nobody_without_a_session_gets_in(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await seed(site, WEEKLY)
    key = activity_key(WEEKLY.id)
    volunteer = await site.login(site.org_a.volunteer_id)
    anonymous = await site.anonymous()
    pages = [
        "/dashboard/activities",
        "/dashboard/activities/new",
        f"/dashboard/activities/{key}",
        f"/dashboard/activities/{key}/edit",
        "/dashboard/activities/import",
    ]
    for path in pages:
        assert (await volunteer.get(path)).status == 403, path
        answer = await anonymous.get(path)
        assert (answer.status, answer.location) == (303, "/dashboard/how-to-log-in"), path
    refused = await volunteer.post(f"/dashboard/activities/{key}/sessions/261124/cancel")
    assert refused.status == 403
    async with site.units() as uow:
        listing = await uow.activities.get(WEEKLY.id)
    assert listing is not None and not listing.cancelled_dates


async def test_a_coordinator_records_how_many_came_to_a_past_session_and_entering_again_replaces_it(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    await seed(site, WEEKLY)
    client = await site.login(site.org_a.coordinator_id)
    key = activity_key(WEEKLY.id)
    detail = await client.get(f"/dashboard/activities/{key}")
    path = f"/dashboard/activities/{key}/sessions/261117/headcount"  # Tuesday 17 November, last week
    assert f'action="{path}"' in detail.text and "/sessions/261027/headcount" in detail.text  # four weeks back
    assert "/sessions/261020/headcount" not in detail.text and "/sessions/261124/headcount" not in detail.text

    for count in ("12", "15"):
        answer = await client.post(path, {"count": count})
        assert (answer.status, answer.location) == (303, f"/dashboard/activities/{key}")
    for bad in ("-1", "10001", "many", ""):
        assert (await client.post(path, {"count": bad})).status == 303
    assert (await client.post(f"/dashboard/activities/{key}/sessions/261124/headcount", {"count": "3"})).status == 404
    assert (await client.post(path, {"count": "9"}, csrf=None)).status == 403
    async with site.units() as uow:
        from models.activity_count_tables import SessionAttendance

        rows = [(r.activity_id, r.session_day, r.count) for r in await uow.session.scalars(select(SessionAttendance))]
    assert rows == [(WEEKLY.id, date(2026, 11, 17), 15)]
    after = await client.get(f"/dashboard/activities/{key}")
    assert 'id="count-261117" name="count" min="0" max="10000" step="1" inputmode="numeric" required value="15"' in (
        after.text
    )
    volunteer = await site.login(site.org_a.volunteer_id)
    assert (await volunteer.post(path, {"count": "99"})).status in (403, 404)
