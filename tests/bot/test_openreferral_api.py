"""The read-only Open Referral UK API, over HTTP, on SQLite and PostgreSQL; and the bot serving it beside polling."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from datetime import time

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.web.app import build_web_app
from flows.activities.model import Activity, Schedule, ServiceStatus
from tests.conftest import NOW, Database
from tests.e2e.harness import CANARY_TOKEN, RunningBot, e2e_settings
from tests.flows.activities.schema import problems


def uuid_for(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


async def seed(database: Database, count: int) -> list[str]:
    """Two organisations' activities: every tenth defunct, every seventh temporarily closed."""
    async with database.units() as uow:
        hillside = await uow.organisations.add("hillside", "Hillside Community Hub", NOW)
        riverside = await uow.organisations.add("riverside", "Riverside Trust", NOW)
        for n in range(count):
            status = ServiceStatus.DEFUNCT if n % 10 == 9 else ServiceStatus.TEMPORARILY_CLOSED if n % 7 == 6 else None
            activity = Activity(
                id=uuid_for(n),
                organisation_id=0,
                name=f"Activity {n}",
                url=f"https://example.org/{n}",
                status=status or ServiceStatus.ACTIVE,
                schedules=(Schedule(uuid_for(100000 + n), "WEEKLY", byday=("MO",), opens_at=time(10)),),
                interests=("walking",),
            )
            await uow.activities.upsert(hillside.id if n % 2 else riverside.id, activity, NOW)
        await uow.commit()
    return [uuid_for(n) for n in range(count) if n % 10 != 9]


async def client_for(database: Database) -> TestClient:
    client = TestClient(TestServer(build_web_app(database.units, Settings())))
    await client.start_server()
    return client


async def test_services_are_paged_in_the_open_referral_shape_without_defunct_ones(database: Database) -> None:
    listed = await seed(database, 123)
    client = await client_for(database)
    try:
        first = await client.get("/openreferral/services", params={"per_page": "50"})
        assert first.status == 200 and first.content_type == "application/json"
        page = await first.json()
        assert {key: page[key] for key in ("total_items", "total_pages", "page_number", "size", "first_page")} == {
            "total_items": len(listed),
            "total_pages": 3,
            "page_number": 1,
            "size": 50,
            "first_page": True,
        }
        assert not page["last_page"] and not page["empty"] and len(page["contents"]) == 50
        seen = [service["id"] for service in page["contents"]]
        for number in (2, 3):
            more = await (
                await client.get("/openreferral/services", params={"page": str(number), "per_page": "50"})
            ).json()
            seen += [service["id"] for service in more["contents"]]
        assert more["last_page"] and seen == sorted(listed)
        assert all(problems(service) == [] for service in page["contents"])
        assert {s["organization"]["name"] for s in page["contents"]} == {"Hillside Community Hub", "Riverside Trust"}
        assert {s["status"] for s in page["contents"]} == {"active", "temporarily closed"}
        beyond = await (await client.get("/openreferral/services", params={"page": "9"})).json()
        assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == len(listed)
        default = await (await client.get("/openreferral/services")).json()
        assert default["size"] == 50 and default["page_number"] == 1
    finally:
        await client.close()


async def test_one_service_by_id_and_unknown_or_defunct_ids_are_404(database: Database) -> None:
    await seed(database, 12)
    client = await client_for(database)
    try:
        found = await client.get(f"/openreferral/services/{uuid_for(3)}")
        service = await found.json()
        assert found.status == 200 and service["id"] == uuid_for(3) and service["name"] == "Activity 3"
        assert problems(service) == []
        assert service["attributes"][0]["taxonomy_term"]["name"] == "Walking"
        for missing in (uuid_for(999), uuid_for(9), "x" * 300, "%00"):
            answer = await client.get(f"/openreferral/services/{missing}")
            assert answer.status == 404 and (await answer.json())["error"] == "no such service"
        nowhere = await client.get("/openreferral/nothing")
        assert nowhere.status == 404 and (await nowhere.json())["status"] == 404
    finally:
        await client.close()


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "-1"},
        {"page": "two"},
        {"page": "1.5"},
        {"page": "99999999999999999999"},
        {"per_page": "0"},
        {"per_page": "501"},
        {"per_page": "abc"},
        {"per_page": "٣"},
    ],
)
async def test_bad_paging_values_are_a_400_with_a_reason(database: Database, params: dict[str, str]) -> None:
    client = await client_for(database)
    try:
        answer = await client.get("/openreferral/services", params=params)
        assert answer.status == 400
        body = await answer.json()
        assert body["status"] == 400 and ("page" in body["error"])
    finally:
        await client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_running_bot_serves_the_api_beside_polling_and_stops_it_cleanly(database: Database) -> None:
    from bot.sandbox import Sandbox, start_sandbox

    await seed(database, 3)
    sandbox = Sandbox(token=CANARY_TOKEN)
    server = await start_sandbox(sandbox, "127.0.0.1", 0)
    port = free_port()
    settings = replace(e2e_settings(database.url, database.keys, server.bot_base_url), web_port=port)
    bot = RunningBot(sandbox, server, settings)
    await bot.start()
    url = f"http://127.0.0.1:{port}/openreferral/services"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(50):
                try:
                    async with session.get(url) as answer:
                        assert answer.status == 200 and (await answer.json())["total_items"] == 3
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("the web app never answered")
    finally:
        await bot.stop()
        await server.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(url)


def test_web_settings_come_from_the_environment() -> None:
    from bot.settings import SettingsError

    assert (Settings.from_env({}).web_host, Settings.from_env({}).web_port) == ("127.0.0.1", 8080)
    chosen = Settings.from_env({"CAIRN_WEB_HOST": "0.0.0.0", "CAIRN_WEB_PORT": "0"})
    assert (chosen.web_host, chosen.web_port) == ("0.0.0.0", 0)
    for bad in ("eighty", "70000", "-1"):
        with pytest.raises(SettingsError):
            Settings.from_env({"CAIRN_WEB_PORT": bad})
