"""Fair sharing: a member's crisis reply while another organisation holds the most listings it may and its
coordinator reloads the dashboard's activities page in a loop, or imports the largest file allowed again and again.

The bot (polling the sandbox), its web app (dashboard) and the simulated people share one process and one event
loop, as in `bench/alert_latency.py`: anything the dashboard does on that loop is felt by the crisis reply. Both
organisations hold `CAIRN_MAX_LISTINGS_PER_ORGANISATION` listings, all listed for no area (so every one is "near"
every member), and each member in crisis has an area and writes at the note step of a check-in: the path that used
to read every listing before the crisis reply. Timed: the crisis message sent to the crisis reply received (the
first message, which carries the crisis numbers). Lexicon only (no language model): the figure is the bot's own
work, not the model's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import time as clock_time
from functools import partial
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from bench.fanout import _free_port
from bot.operator import create_organisation
from bot.runtime import utc_now
from bot.web.dashboard.links import mint_login_link
from flows.activities.model import Activity, CostOption, Location, Schedule
from models.database import create_engine
from models.migrate import upgrade_to_head
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.harness import Member, RunningBot, start_bot

NEIGHBOUR = ("riverside", "Riverside Trust")
LISTING = Activity(
    id="",
    organisation_id=0,
    name="Walk",
    description="A gentle walk and a cup of tea afterwards.",
    schedules=(Schedule("s", freq="WEEKLY", byday=("TU", "TH"), opens_at=clock_time(10), closes_at=clock_time(11)),),
    locations=(Location("l", "Community hall", "1 Quay Street", "EH6 5QG"),),
    cost_options=(CostOption("c", "Everyone", 0.0, "free"),),
    interests=("walking", "social"),
)


@dataclass(frozen=True)
class Phase:
    """Crisis reply times (ms) while the neighbour did one thing, and how often it did it."""

    load: str
    crisis_ms: tuple[float, ...]
    actions: int = 0
    seconds: float = 0.0
    action_ms: tuple[float, ...] = ()

    @property
    def per_second(self) -> float:
        """The neighbour's page loads or imports a second while the crisis messages were timed."""
        return self.actions / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class FairResult:
    """The phases of one run on one backend."""

    backend: str
    listings: int
    phases: tuple[Phase, ...]


def percentile(values: tuple[float, ...] | list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))] if ordered else 0.0


async def _seed(units: UnitOfWorkFactory, slug: str, count: int) -> None:
    """Give an organisation `count` listings for no area, in batches (as imports of the largest file allowed)."""
    async with units() as uow:
        organisation = await uow.organisations.by_slug(slug)
        assert organisation is not None
    for start in range(0, count, 1000):
        batch = [
            replace(LISTING, id=f"{slug}-{n:05d}", name=f"{slug.title()} walk {n:05d}")
            for n in range(start, min(count, start + 1000))
        ]
        async with units() as uow:
            done = await uow.activities.upsert_many(organisation.id, batch, utc_now())
            assert not done.refused_for_limit, "the benchmark seeds up to the limit, not past it"
            await uow.commit()


async def _ready_in_crisis(bot: RunningBot, user_id: int) -> Member:
    """A member with an area, at the note step of a check-in: where a crisis message used to read listings."""
    person = bot.member(user_id)
    await person.onboard(store=True, share="flag_only", news=True)
    await person.say("/activities")
    await person.say("EH6", expect=2)  # the page of what is on, and its footer
    await person.say("/checkin")
    await person.tap("Good")
    return person


async def _crisis(person: Member) -> float:
    begin = time.perf_counter()
    await person.user.send("I want to kill myself")
    (first, *_) = await person.user.wait_for_messages(1, timeout=60)
    elapsed = (time.perf_counter() - begin) * 1000
    assert "116 123" in (first.text or ""), "the first reply is the crisis reply, with the numbers"
    return elapsed


async def _login(bot: RunningBot, base_url: str, coordinator: int) -> aiohttp.ClientSession:
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        member = await uow.members.by_telegram_user(coordinator)
        assert member is not None
        link = await mint_login_link(uow, base_url, member.id, utc_now())
        await uow.commit()
    assert link is not None
    client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with client.get(link) as page:
        text = await page.text()
    csrf = text.partition('name="csrf_token" value="')[2].partition('"')[0]
    token = link.partition("token=")[2]
    async with client.post(
        f"{base_url}/dashboard/login", data={"token": token, "csrf_token": csrf}, allow_redirects=False
    ) as answer:
        assert answer.status == 303, answer.status
    return client


async def _reload(client: aiohttp.ClientSession, url: str, stop: asyncio.Event, page_ms: list[float]) -> None:
    """Reload the activities page back to back, as a coordinator holding F5 would."""
    while not stop.is_set():
        begin = time.perf_counter()
        async with client.get(url) as page:
            await page.read()
            assert page.status == 200, page.status
        page_ms.append((time.perf_counter() - begin) * 1000)


def _services(slug: str, count: int, round_: int) -> bytes:
    """The neighbour's largest file allowed: its own listings again, renamed, so that each import changes them all."""
    services = [
        {
            "id": f"{slug}-{n:05d}",
            "name": f"{slug.title()} walk {n:05d} ({round_})",
            "description": "A gentle walk and a cup of tea afterwards.",
            "schedules": [{"freq": "WEEKLY", "byday": "TU,TH", "opens_at": "10:00", "closes_at": "11:00"}],
        }
        for n in range(count)
    ]
    return json.dumps(services).encode()


async def _import(
    client: aiohttp.ClientSession, base_url: str, stop: asyncio.Event, action_ms: list[float], count: int
) -> None:
    """Import the largest file allowed through the dashboard, again and again, each changing every listing in it."""
    round_ = 0
    while not stop.is_set():
        async with client.get(f"{base_url}/dashboard/activities/import") as page:
            csrf = (await page.text()).partition('name="csrf_token" value="')[2].partition('"')[0]
        form = aiohttp.FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("file", _services(NEIGHBOUR[0], count, round_), filename="directory.json")
        begin = time.perf_counter()
        async with client.post(f"{base_url}/dashboard/activities/import", data=form) as answer:
            await answer.read()
            assert answer.status == 200, answer.status
        action_ms.append((time.perf_counter() - begin) * 1000)
        round_ += 1


async def _phase(
    people: list[Member], load: str, work: Callable[[asyncio.Event, list[float]], Coroutine[Any, Any, None]] | None
) -> Phase:
    """Time each person's crisis message, one after another, while the neighbour's work (if any) goes on."""
    if work is None:
        return Phase(load, tuple([await _crisis(person) for person in people]))
    stop, action_ms = asyncio.Event(), list[float]()
    task: asyncio.Task[None] = asyncio.create_task(work(stop, action_ms))
    await asyncio.sleep(1.0)  # the neighbour is at it before the first crisis message
    began, before = time.perf_counter(), len(action_ms)
    crisis = [await _crisis(person) for person in people]
    seconds, actions = time.perf_counter() - began, len(action_ms) - before
    stop.set()
    await task
    return Phase(load, tuple(crisis), actions, seconds, tuple(action_ms))


async def run_fair(backend: str = "sqlite", samples: int = 40, listings: int | None = None) -> FairResult:
    """Time `samples` crisis replies on a quiet bot, then `samples` more while the neighbour reloads its page."""
    for name in ("cairn", "aiohttp.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    folder = tempfile.TemporaryDirectory(prefix="cairn-fair-")
    url = await create_postgres_database() if backend == "postgresql" else f"sqlite+aiosqlite:///{folder.name}/f.db"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    await engine.dispose()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    changes: dict[str, object] = {"web_port": port, "dashboard_url": base_url}
    if listings is not None:
        changes["max_listings_per_organisation"] = listings
    try:
        bot = await start_bot(url, (Fernet.generate_key().decode(),), settings_changes=changes)
        try:
            assert bot.cairn is not None
            units = bot.cairn.units
            most = bot.settings.max_listings_per_organisation
            await create_organisation(units, NEIGHBOUR[0], NEIGHBOUR[1], utc_now())
            await bot.staff(8_000_001, "Cora", role="coordinator", organisation=NEIGHBOUR[0], on_duty=False)
            await bot.staff(8_000_002, "Ash")  # on duty in the members' organisation: each crisis raises an alert
            await _seed(units, NEIGHBOUR[0], most)
            await _seed(units, bot.settings.default_organisation, most)  # the member's own organisation too
            people = [[await _ready_in_crisis(bot, 8_100_000 + 1000 * p + n) for n in range(samples)] for p in range(3)]
            client = await _login(bot, base_url, 8_000_001)
            records = min(bot.settings.max_import_records, most)  # its own ids: an update, never over the limit
            page = f"{base_url}/dashboard/activities"
            phases = (
                await _phase(people[0], "idle", None),
                await _phase(
                    people[1], "reloading `/dashboard/activities` back to back", partial(_reload, client, page)
                ),
                await _phase(
                    people[2],
                    f"importing a {records:,}-service file through the dashboard, again and again",
                    partial(_import, client, base_url, count=records),
                ),
            )
            await client.close()
        finally:
            with contextlib.suppress(Exception):
                await bot.stop()
            await bot.server.stop()
    finally:
        if backend == "postgresql":
            await drop_postgres_database(url)
        folder.cleanup()
    return FairResult(backend, most, phases)


def fair_lines(results: list[FairResult]) -> list[str]:
    """The section for bench/results.md: one row per backend and load."""
    first = results[0]
    lines = [
        "## Fair sharing: crisis replies while another organisation works on its activities",
        "",
        f"Both organisations hold the most listings one may ({first.listings:,}, all for no area); each member in "
        "crisis has an area and writes at a check-in's note step (a volunteer is on duty: each raises an alert). "
        "One process: bot (polling the sandbox), dashboard and simulated people on one event loop; language "
        "model off (lexicon). Timed: the crisis message sent to the crisis reply received; "
        f"{len(first.phases[0].crisis_ms)} messages one after another per row, different members in each row. "
        "Target: p99 under 1 s.",
        "",
        "| backend | the neighbour's coordinator is | crisis reply p50 (ms) | p99 (ms) | max (ms) | their pages or "
        "imports a second | each (p50, ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for phase in r.phases:
            busy = phase.action_ms
            lines.append(
                f"| {r.backend} | {phase.load} | {statistics.median(phase.crisis_ms):.0f} | "
                f"**{percentile(phase.crisis_ms, 0.99):.0f}** | {max(phase.crisis_ms):.0f} | "
                f"{f'{phase.per_second:.1f}' if busy else '-'} | {f'{statistics.median(busy):.0f}' if busy else '-'} |"
            )
    worst = max(percentile(p.crisis_ms, 0.99) for r in results for p in r.phases)
    verdict = "met" if worst < 1000 else "NOT met"
    return [*lines, "", f"Worst p99: **{worst:.0f} ms** (target under 1,000 ms: {verdict}).", ""]


def fair_section(samples: int) -> list[str]:
    """Both backends, one after another."""
    return fair_lines([asyncio.run(run_fair(backend, samples)) for backend in ("sqlite", "postgresql")])


if __name__ == "__main__":  # pragma: no cover - `python -m bench fair` is the way in
    print("\n".join(fair_section(40)))
