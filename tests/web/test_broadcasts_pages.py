"""Broadcast pages over HTTP, on SQLite and PostgreSQL: the audience with the small-number rule, the preview,
one broadcast per form however often Send is pressed, its deliveries in the same transaction, and progress."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from sqlalchemy import func, select, update

from models.broadcast_tables import Broadcast, BroadcastDelivery
from models.member_activity_tables import ActivityPreference
from models.tables import AuditEvent
from tests.conftest import NOW
from tests.models.test_broadcasts import consent
from tests.web.conftest import DashboardSite, StaffClient

REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')
NEWS = "Spring walk on Saturday, meet at the Links at ten"


async def news_members(
    site: DashboardSite, organisation_id: int, base: int, people: Sequence[tuple[str, str]]
) -> list[int]:
    """Members who said yes to news, each with an area and interests; returns their ids."""
    ids = []
    async with site.units() as uow:
        for offset, (area, interests) in enumerate(people):
            member = await uow.members.add(base + offset, base + offset, organisation_id, NOW)
            await consent(uow, member.id, "given")
            uow.session.add(ActivityPreference(member_id=member.id, area=area, interests=interests, updated_at=NOW))
            ids.append(member.id)
        await uow.commit()
    return ids


async def audience(site: DashboardSite) -> dict[str, list[int]]:
    """Org A: 12 walkers in EH6, 6 artists in EH7, 3 cyclists in EH8; org B: 5 in EH6."""
    return {
        "eh6": await news_members(site, site.org_a.id, 5000, [("EH6", "walking")] * 12),
        "eh7": await news_members(site, site.org_a.id, 5100, [("EH7", "art")] * 6),
        "eh8": await news_members(site, site.org_a.id, 5150, [("EH8", "cycling")] * 3),
        "other": await news_members(site, site.org_b.id, 5200, [("EH6", "walking")] * 5),
    }


async def compose(client: StaffClient) -> str:
    page = await client.get("/dashboard/broadcasts/new")
    assert page.status == 200
    found = REQUEST_KEY.search(page.text)
    assert found is not None
    return found[1]


async def get_json(client: StaffClient, path: str) -> dict[str, object]:
    async with client.http.get(client.base_url + path, allow_redirects=False) as response:
        assert response.status == 200 and response.content_type == "application/json"
        found: dict[str, object] = await response.json()
    return found


async def broadcasts(site: DashboardSite) -> list[tuple[int, int, int]]:
    """(organisation, recipients, deliveries written) of every broadcast."""
    async with site.units() as uow:
        rows = (await uow.session.execute(select(Broadcast.id, Broadcast.organisation_id, Broadcast.recipients))).all()
        found = []
        for broadcast_id, organisation_id, recipients in rows:
            written = await uow.session.scalar(
                select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast_id)
            )
            found.append((organisation_id, recipients, int(written or 0)))
    return found


async def test_the_compose_page_counts_the_audience_and_hides_small_numbers(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    page = await client.get("/dashboard/broadcasts/new")
    assert "<strong>21 people</strong>" in page.text, "everyone in org A who said yes to news, not org B"
    # 21 - 12 would give away the 9 who live elsewhere: EH6 is shown only to the ten below, as every interest is
    assert (
        "EH6 (at least 10)" in page.text and "EH7 (fewer than 10)" in page.text and "EH8 (fewer than 10)" in page.text
    )
    assert "(12)" not in page.text and "Walking (at least 10)" in page.text
    assert "(6)" not in page.text and "(3)" not in page.text
    assert "This will go to 21 people." in page.text
    key = REQUEST_KEY.search(page.text)
    assert key is not None
    narrowed = await client.post("/dashboard/broadcasts/new", {"request_key": key[1], "area": "EH8", "text": NEWS})
    assert "That is fewer than 5 people." in narrowed.text and NEWS in narrowed.text


async def test_counts_from_five_to_nine_read_fewer_than_ten_and_may_still_be_sent_to(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    people = await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    form = {"request_key": await compose(client), "text": NEWS, "area": "EH7"}
    again = await client.post("/dashboard/broadcasts/new", form)
    assert "This will go to fewer than 10 people." in again.text and "6 people" not in again.text
    assert "art (fewer than 10)" in again.text, "an interest within the area, its count hidden too"
    preview = await client.post("/dashboard/broadcasts/preview", form)
    assert preview.status == 200 and "This will go to fewer than 10 people." in preview.text
    assert 'id="send"' in preview.text, "the send rule stays the bot's: a narrowed group of 5 or more may be sent to"
    sent = await client.post("/dashboard/broadcasts/send", form)
    assert sent.status == 303 and await broadcasts(site) == [(site.org_a.id, 6, 6)]
    shown = await client.get(sent.location)
    assert "Your news is on its way to fewer than 10 people." in shown.text and "To fewer than 10 people." in shown.text
    assert 'data-field="left">fewer than 10<' in shown.text
    listed = await client.get("/dashboard/broadcasts")
    assert "fewer than 10 people" in listed.text and "6 people" not in listed.text
    assert len(people["eh7"]) == 6


async def test_preview_then_send_writes_one_broadcast_with_its_deliveries_however_often_send_is_pressed(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    people = await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    key = await compose(client)
    form = {"request_key": key, "text": NEWS, "area": "EH6", "interests": "walking", "card": ""}
    preview = await client.post("/dashboard/broadcasts/preview", form)
    assert (
        preview.status == 200 and "This will go to at least 10 people." in preview.text and 'id="send"' in preview.text
    )
    assert NEWS in preview.text and "News from Hillside Community Hub" in preview.text
    assert "Stop these messages" in preview.text

    first, second = await asyncio.gather(
        client.post("/dashboard/broadcasts/send", form), client.post("/dashboard/broadcasts/send", form)
    )
    third = await client.post("/dashboard/broadcasts/send", form)
    assert {first.status, second.status, third.status} == {303}
    assert first.location == second.location == third.location
    assert await broadcasts(site) == [(site.org_a.id, 12, 12)], "one broadcast, its 12 deliveries written with it"
    async with site.units() as uow:
        delivered_to = set(await uow.session.scalars(select(BroadcastDelivery.member_id)))
        actions = [e.action for e in await uow.session.scalars(select(AuditEvent))]
    assert delivered_to == set(people["eh6"])
    assert actions.count("broadcast_created") == 1

    shown = await client.get(first.location)
    assert shown.status == 200 and NEWS in shown.text and "To at least 10 people." in shown.text
    assert "This news was sent already, once" in shown.text, "a second Send says so rather than sending again"
    listed = await client.get("/dashboard/broadcasts")
    assert f'href="{first.location}"' in listed.text


async def test_a_narrowed_audience_under_five_cannot_be_sent_to_even_by_posting_send(
    dashboard_site: DashboardSite,
) -> None:
    site = dashboard_site
    await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    form = {"request_key": await compose(client), "text": NEWS, "area": "EH8"}
    preview = await client.post("/dashboard/broadcasts/preview", form)
    assert preview.status == 200 and "That is fewer than 5 people." in preview.text and 'id="send"' not in preview.text
    refused = await client.post("/dashboard/broadcasts/send", form)
    assert refused.status == 422 and "That is fewer than 5 people." in refused.text
    assert await broadcasts(site) == []


async def test_mistakes_and_stale_choices_are_explained_and_nothing_is_sent(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    key = await compose(client)
    empty = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": "  "})
    assert empty.status == 422 and "Write your news first." in empty.text
    long = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": "a" * 3001})
    assert long.status == 422 and "That message has 3,001 characters." in long.text
    nowhere = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": NEWS, "area": "ZZ9"})
    assert nowhere.status == 422 and "Nobody who asked for news gave that area" in nowhere.text
    card = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": NEWS, "card": "x"})
    assert card.status == 422 and "no session coming up" in card.text
    forged = await client.post("/dashboard/broadcasts/send", {"request_key": "short", "text": NEWS})
    assert forged.status == 400
    assert await broadcasts(site) == []


async def test_words_that_read_as_a_crisis_are_signposted_and_still_sendable(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    key = await compose(client)
    plain = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": NEWS})
    assert "you are not alone" not in plain.text
    topic = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": "Suicide prevention talk"})
    assert "you are not alone" not in topic.text, "a topic is not a crisis"
    own = await client.post("/dashboard/broadcasts/preview", {"request_key": key, "text": "I want to kill myself"})
    assert own.status == 200 and "If those words are about you, you are not alone" in own.text
    assert "Samaritans: call 116 123" in own.text and 'id="send"' in own.text


async def test_progress_counts_follow_the_deliveries_with_small_numbers_hidden(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    await audience(site)
    client = await site.login(site.org_a.coordinator_id)
    form = {"request_key": await compose(client), "text": NEWS}
    sent = await client.post("/dashboard/broadcasts/send", form)
    assert sent.status == 303
    progress = sent.location + "/progress"
    numbers = await get_json(client, progress)
    assert numbers == {
        "status": "queued",
        "status_words": "Waiting to start",
        "done": False,
        "sent": "0",
        "left": "21",
        "failed": "0",
        "uncertain": "0",
        "skipped": "0",
    }
    async with site.units() as uow:
        ids = list(await uow.session.scalars(select(BroadcastDelivery.id).order_by(BroadcastDelivery.id)))
        await uow.session.execute(
            update(BroadcastDelivery).where(BroadcastDelivery.id.in_(ids[:12])).values(status="sent")
        )
        await uow.session.execute(
            update(BroadcastDelivery).where(BroadcastDelivery.id.in_(ids[12:18])).values(status="failed")
        )
        await uow.session.execute(update(Broadcast).values(status="sending"))
        await uow.commit()
    numbers = await get_json(client, progress)
    assert (numbers["sent"], numbers["left"], numbers["failed"]) == ("12", "fewer than 10", "fewer than 10")
    assert numbers["status_words"] == "Sending" and not numbers["done"]
    page = await client.get(sent.location)
    assert 'data-field="sent">12<' in page.text and 'data-field="failed">fewer than 10<' in page.text
    assert "fewer than 5" not in page.text
