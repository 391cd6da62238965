"""Every dashboard page and action, tried by organisation A's coordinator on organisation B's data.

Table-driven: to cover a new page or action, append a `Case` to `CASES` (with a `seed` if it needs objects of its
own in organisation B, and an `unchanged` check for actions). tests/web/test_cross_organisation.py runs them all,
on both backends, and also runs each request as B's own coordinator (`owner_status`) so that a 404 can only come
from the organisation check, never from a broken address.

Templates in `path`, `form` and `secrets` are filled from the `SeededOrg` fields of organisation B (`{id}`,
`{alert_id}`, `{volunteer_id}`, `{reason}`, `{name}` …) plus whatever `seed` returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.web.conftest import DashboardSite, SeededOrg

Ids = Mapping[str, Any]


@dataclass(frozen=True)
class Case:
    """One request by A's coordinator (or volunteer) on something of B's."""

    name: str
    method: str
    path: str
    form: Mapping[str, str] = field(default_factory=dict)
    expect_status: int = 404  # another organisation's id answers 404; a list page answers 200 without B's data
    secrets: tuple[str, ...] = ()  # B's data that must not appear in the answer
    owner_status: int = 200  # what B's own coordinator gets for the same request
    seed: Callable[[DashboardSite, SeededOrg], Awaitable[Ids]] | None = None
    unchanged: Callable[[DashboardSite, SeededOrg, Ids], Awaitable[None]] | None = None
    role: str = "coordinator"


async def alert_still_open(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
    assert alert is not None and alert.status == "open" and alert.claimed_by is None


async def claimed_by_b(site: DashboardSite, org: SeededOrg) -> Ids:
    async with site.units() as uow:
        assert await uow.alerts.claim(org.alert_id, org.coordinator_id, site.clock()) is None
        await uow.commit()
    return {}


async def alert_still_claimed(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
    assert alert is not None and alert.status == "claimed" and alert.outcome is None


async def volunteer_still_in_team(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        mate = await uow.team.of_member(org.volunteer_id)
    assert mate is not None and mate.organisation_id == org.id


async def no_invite_for_b(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        events = await uow.audit.all()
    assert not [e for e in events if e.action == "staff_invite_created" and e.organisation_id == org.id]


CASES: list[Case] = [
    Case("alerts list", "GET", "/dashboard/alerts", expect_status=200, secrets=("Alert #{alert_id}<", "{name}")),
    Case("alert page", "GET", "/dashboard/alerts/{alert_id}", secrets=("{reason}",)),
    Case("flag-only alert page", "GET", "/dashboard/alerts/{flag_only_alert_id}"),
    Case("alert page as volunteer", "GET", "/dashboard/alerts/{alert_id}", role="volunteer", secrets=("{reason}",)),
    Case("claim", "POST", "/dashboard/alerts/{alert_id}/claim", owner_status=303, unchanged=alert_still_open),
    Case(
        "claim as volunteer", "POST", "/dashboard/alerts/{alert_id}/claim", role="volunteer", owner_status=303,
        unchanged=alert_still_open,
    ),
    Case(
        "resolve", "POST", "/dashboard/alerts/{alert_id}/resolve", form={"outcome": "ok", "note": "x"},
        owner_status=303, seed=claimed_by_b, unchanged=alert_still_claimed,
    ),
    Case("volunteers list", "GET", "/dashboard/volunteers", expect_status=200, secrets=("Vic {slug}", "Cora {slug}")),
    Case("remove: confirmation", "GET", "/dashboard/volunteers/{volunteer_id}/remove", secrets=("Vic {slug}",)),
    Case(
        "remove", "POST", "/dashboard/volunteers/{volunteer_id}/remove", owner_status=303,
        unchanged=volunteer_still_in_team,
    ),
    Case(
        "invite", "POST", "/dashboard/volunteers/invite", expect_status=200, secrets=("Vic {slug}",),
        unchanged=no_invite_for_b,
    ),
]  # fmt: skip


# --- Activities and broadcasts ---

THEIR_ACTIVITY_NAME = "Riverside secret walk"
THEIR_NEWS = "Riverside secret news"


async def their_activity(site: DashboardSite, org: SeededOrg) -> Ids:
    """A weekly Tuesday 10:00 walk of B's (the site's clock is Sunday 22 November 2026: next session 261124)."""
    from datetime import time

    from flows.activities.facts import activity_key
    from flows.activities.model import Activity, Location, Schedule

    walk = Activity(
        id=f"walk-{org.slug}",
        organisation_id=org.id,
        name=THEIR_ACTIVITY_NAME,
        schedules=(Schedule(id="s", freq="WEEKLY", byday=("TU",), opens_at=time(10)),),
        locations=(Location(id="l", name="Riverside Park", postcode="G1 1AA"),),
    )
    async with site.units() as uow:
        await uow.activities.upsert(org.id, walk, site.clock())
        await uow.commit()
    return {"activity_id": walk.id, "activity_key": activity_key(walk.id), "activity_name": walk.name}


async def their_broadcast(site: DashboardSite, org: SeededOrg) -> Ids:
    """News B's coordinator sent to one member of B."""
    from flows.broadcast_model import AudienceFilter

    async with site.units() as uow:
        broadcast_id = await uow.broadcasts.create(
            org.id, org.coordinator_id, THEIR_NEWS, None, AudienceFilter(), [org.member_id], site.clock()
        )
        await uow.commit()
    return {"broadcast_id": broadcast_id}


async def activity_unchanged(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        walk = await uow.activities.get(str(ids["activity_id"]))
        events = await uow.audit.all()
    assert walk is not None and walk.organisation_id == org.id and walk.name == THEIR_ACTIVITY_NAME
    assert not walk.cancelled_dates
    assert not [e for e in events if e.action.startswith("activit")]


async def no_broadcast_from_a(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        sent = await uow.broadcasts.for_organisation(site.org_a.id)
    assert sent == []


WALK_FORM = {
    "name": "Changed by someone else",
    "when": "weekly",
    "days": "tue",
    "start": "10:00",
    "place": "Riverside Park",
    "postcode": "G1 1AA",
    "area": "",
    "cost": "free",
}
CASES += [
    Case("activities list", "GET", "/dashboard/activities", expect_status=200, secrets=("{activity_name}",),
         seed=their_activity),
    Case("activity page", "GET", "/dashboard/activities/{activity_key}", secrets=("{activity_name}",),
         seed=their_activity),
    Case("activity: change form", "GET", "/dashboard/activities/{activity_key}/edit", seed=their_activity),
    Case("activity: change", "POST", "/dashboard/activities/{activity_key}/edit", form=WALK_FORM, owner_status=303,
         seed=their_activity, unchanged=activity_unchanged),
    Case("session cancel: confirmation", "GET", "/dashboard/activities/{activity_key}/sessions/261124/cancel",
         seed=their_activity, secrets=("{activity_name}",)),
    Case("session cancel", "POST", "/dashboard/activities/{activity_key}/sessions/261124/cancel", owner_status=303,
         seed=their_activity, unchanged=activity_unchanged),
    Case("broadcast preview with their activity card", "POST", "/dashboard/broadcasts/preview",
         form={"request_key": "k" * 24, "text": "Hello", "card": "{activity_id}"}, expect_status=422,
         secrets=("{activity_name}",), seed=their_activity),
    Case("broadcast send with their activity card", "POST", "/dashboard/broadcasts/send",
         form={"request_key": "k" * 24, "text": "Hello", "card": "{activity_id}"}, expect_status=422,
         owner_status=422, secrets=("{activity_name}",), seed=their_activity, unchanged=no_broadcast_from_a),
    Case("broadcasts list", "GET", "/dashboard/broadcasts", expect_status=200, secrets=(THEIR_NEWS,),
         seed=their_broadcast),
    Case("broadcast page", "GET", "/dashboard/broadcasts/{broadcast_id}", secrets=(THEIR_NEWS,),
         seed=their_broadcast),
    Case("broadcast progress", "GET", "/dashboard/broadcasts/{broadcast_id}/progress", seed=their_broadcast),
]  # fmt: skip


# --- Insight and funder report ---


async def their_insight(site: DashboardSite, org: SeededOrg) -> Ids:
    """Twelve of B's members in area ZZ9 who keep check-ins and checked in this week: enough to be shown to B."""
    from tests.models.insight_seed import Seeder, at

    async with site.units() as uow:
        seeder = Seeder(uow, 70_000)
        for _ in range(12):
            member_id = await seeder.member(org.id, "ZZ9", at(11, 1))
            await seeder.consent(member_id, "given", at(11, 1))
            await seeder.checkin(member_id, at(11, 16), mood=4)
        await uow.commit()
    return {"their_area": "ZZ9"}


REPORT_PATHS = ("/dashboard/report", "/dashboard/report.csv", "/dashboard/report.pdf")  # August to October 2026
REPORT_SECRETS = ("{name}", "{their_first}", "{their_change}")


async def a_report(site: DashboardSite, path: str) -> str:
    """The report as A's coordinator reads it: the page's report, the CSV, or the PDF's text."""
    import io
    import re

    from pypdf import PdfReader

    client = await site.login(site.org_a.coordinator_id)
    async with client.http.get(site.url + path, allow_redirects=False) as response:
        assert response.status == 200, path
        body = await response.read()
    if path.endswith(".pdf"):
        return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(body)).pages)
    text = body.decode()
    article = re.search(r'<article class="report".*?</article>', text, re.S)
    return text if path.endswith(".csv") else article.group(0) if article else ""


async def their_report(site: DashboardSite, org: SeededOrg) -> Ids:
    """A's report, read first; then 14 of B's members in the report's months, whose own report shows them.

    They joined on 3 September, keep their check-ins, scored WHO-5 48 on 10 September and 60 on 12 October, and
    said "I'm interested" and "I'll go": B's report shows 10 to 14 members, 48.0, 60.0 and +12.0.
    """
    from tests.models.insight_seed import Seeder, at

    before = {path: await a_report(site, path) for path in REPORT_PATHS}
    assert all(before.values())
    async with site.units() as uow:
        seeder = Seeder(uow, 90_000)
        for _ in range(14):
            member_id = await seeder.member(org.id, "ZZ7", at(9, 3))
            await seeder.consent(member_id, "given", at(9, 3))
            await seeder.checkin(member_id, at(9, 10), mood=3, scores={"who5": 48})
            await seeder.checkin(member_id, at(10, 12), mood=4, scores={"who5": 60})
            await seeder.answer(member_id, "their-act", "interested", at(10, 13))
            await seeder.answer(member_id, "their-act-2", "going", at(10, 13))
        await uow.commit()
    return {"a_report_before": before, "their_first": "48.0", "their_change": "+12.0"}


def a_report_unchanged(path: str) -> Callable[[DashboardSite, SeededOrg, Ids], Awaitable[None]]:
    """A's report reads exactly as it did before B's members were added, and shows none of B's figures."""

    async def unchanged(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
        mine = await a_report(site, path)
        assert mine == ids["a_report_before"][path]
        for secret in (org.name, ids["their_first"], ids["their_change"]):
            assert secret not in mine
        theirs = await site.login(org.coordinator_id)  # and B's own report does show them: the check can fail
        async with theirs.http.get(site.url + "/dashboard/report.csv", allow_redirects=False) as response:
            assert "+12.0" in await response.text()

    return unchanged


CASES += [
    Case("insight", "GET", "/dashboard/insight", expect_status=200, secrets=("{their_area}", "{name}"),
         seed=their_insight),
    Case("insight as volunteer", "GET", "/dashboard/insight", role="volunteer", expect_status=403, owner_status=403,
         secrets=("{their_area}",), seed=their_insight),
    Case("funder report", "GET", "/dashboard/report", expect_status=200, secrets=REPORT_SECRETS,
         seed=their_report, unchanged=a_report_unchanged("/dashboard/report")),
    Case("funder report as CSV", "GET", "/dashboard/report.csv", expect_status=200, secrets=REPORT_SECRETS,
         seed=their_report, unchanged=a_report_unchanged("/dashboard/report.csv")),
    Case("funder report as PDF", "GET", "/dashboard/report.pdf", expect_status=200, secrets=REPORT_SECRETS,
         seed=their_report, unchanged=a_report_unchanged("/dashboard/report.pdf")),
]  # fmt: skip


# --- Writes that carry B's ids: a new listing's form id, B's area and interests in news ---

THEIR_NEWS_AREA = "ZZ8"
THEIR_INTEREST = "riverside-rowing"


async def their_dashboard_activity(site: DashboardSite, org: SeededOrg) -> Ids:
    """B's walk as the dashboard adds one: its id is a form's UUID, the id A's forged form carries."""
    from datetime import time

    from flows.activities.facts import activity_key
    from flows.activities.model import Activity, Location, Schedule

    walk = Activity(
        id="3f1c2b7a-8d4e-4f6a-9b2c-1d0e5f7a9c31",
        organisation_id=org.id,
        name=THEIR_ACTIVITY_NAME,
        schedules=(Schedule(id="s", freq="WEEKLY", byday=("TU",), opens_at=time(10)),),
        locations=(Location(id="l", name="Riverside Park", postcode="G1 1AA"),),
    )
    async with site.units() as uow:
        await uow.activities.upsert(org.id, walk, site.clock())
        await uow.commit()
    return {"activity_id": walk.id, "activity_key": activity_key(walk.id), "activity_name": walk.name}


async def their_news_audience(site: DashboardSite, org: SeededOrg) -> Ids:
    """Twelve of B's members who said yes to news, in an area and with an interest only B's members gave; B's walk."""
    from models.member_activity_tables import ActivityPreference
    from tests.models.test_broadcasts import consent

    ids = await their_activity(site, org)
    async with site.units() as uow:
        for offset in range(12):
            member = await uow.members.add(80_000 + offset, 80_000 + offset, org.id, site.clock())
            await consent(uow, member.id, "given")
            uow.session.add(ActivityPreference(member_id=member.id, area=THEIR_NEWS_AREA, interests=THEIR_INTEREST,
                                               updated_at=site.clock()))  # fmt: skip
        await uow.commit()
    return {**ids, "their_news_area": THEIR_NEWS_AREA, "their_interest": THEIR_INTEREST}


async def no_broadcast_at_all(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    async with site.units() as uow:
        assert await uow.broadcasts.for_organisation(site.org_a.id) == []
        assert await uow.broadcasts.for_organisation(org.id) == []


NEWS_FORM = {"request_key": "k" * 24, "text": "Hello"}
CASES += [
    Case("broadcast form again with their area, interest and card", "POST", "/dashboard/broadcasts/new",
         form={**NEWS_FORM, "area": "{their_news_area}", "interests": "{their_interest}", "card": "{activity_id}"},
         expect_status=200, secrets=("{their_news_area}", "{their_interest}", "{activity_name}", "12 people", "(12)"),
         seed=their_news_audience),
    Case("broadcast preview with their area", "POST", "/dashboard/broadcasts/preview",
         form={**NEWS_FORM, "area": "{their_news_area}"}, expect_status=422,
         secrets=("{their_news_area}", "12 people"), seed=their_news_audience),
    Case("broadcast send with their area and interest", "POST", "/dashboard/broadcasts/send",
         form={**NEWS_FORM, "area": "{their_news_area}", "interests": "{their_interest}"}, expect_status=422,
         owner_status=303, secrets=("12 people",), seed=their_news_audience, unchanged=no_broadcast_at_all),
    Case("activity: add with their listing's id as the form id", "POST", "/dashboard/activities/new",
         form={**WALK_FORM, "form_id": "{activity_id}"}, expect_status=409, owner_status=303,
         secrets=("{activity_name}",), seed=their_dashboard_activity, unchanged=activity_unchanged),
]  # fmt: skip


async def no_headcount_for_b(site: DashboardSite, org: SeededOrg, ids: Ids) -> None:
    from sqlalchemy import select

    from models.activity_count_tables import SessionAttendance

    async with site.units() as uow:
        assert list(await uow.session.scalars(select(SessionAttendance))) == []


CASES += [
    Case("activity: how many came to their session", "POST",
         "/dashboard/activities/{activity_key}/sessions/261117/headcount", form={"count": "12"}, owner_status=303,
         seed=their_dashboard_activity, unchanged=no_headcount_for_b),
]  # fmt: skip
