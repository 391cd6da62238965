"""Dashboard fixtures: the real web app on 127.0.0.1 over a real database (SQLite and PostgreSQL), two seeded
organisations, staff clients logged in through a real login link, and a Playwright browser on Debian's Chromium.

For other dashboard tests:
- `dashboard_site` (fixture) -> `DashboardSite`: `.url`, `.units`, `.clock` (`.now`, `.advance(...)`),
  `.settings`, `.org_a` / `.org_b` (`SeededOrg`: ids of the organisation, its coordinator, volunteer, a member
  and two alerts), `await .login(member_id)` -> `StaffClient`, `await .anonymous()` -> `StaffClient`.
- `login(site, member_id)` does the same as `site.login`; `await set_duty(site, member_id, on)` switches duty (seeded
  staff are off duty; a volunteer sees an unclaimed alert's details only on duty); `share_consent(uow, ...)` records a
  SHARE_FLAGS choice (the seeded members share: the first "with_answers", the second "flag_only").
- `StaffClient`: `.http` (an aiohttp ClientSession holding the cookie), `.csrf` (the token read from a page),
  `await .get(path)`, `await .post(path, data)` (adds the CSRF token unless `csrf=None`/another value is given);
  both answer an `Answer` (`.status`, `.text`, `.headers`, `.url`), redirects not followed.
- `browser` (fixture): a Playwright async `Browser` on /usr/bin/chromium; `screenshot(page, name)` saves
  tests/artefacts/screenshots/<name>.png.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

from bot.settings import Settings
from bot.web.app import RunningWeb, build_web_app, start_web
from bot.web.dashboard.links import mint_login_link
from models.unit_of_work import UnitOfWorkFactory
from tests.conftest import NOW, Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
SCREENSHOTS = ARTEFACTS / "screenshots"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(frozen=True)
class SeededOrg:
    """One seeded organisation: its staff, a member who shares answers, one who shares only a flag."""

    slug: str
    name: str
    id: int
    coordinator_id: int
    volunteer_id: int
    member_id: int
    alert_id: int  # CONCERN, share level "with_answers", reason text `reason`
    flag_only_alert_id: int  # URGENT, share level "flag_only", reason text `hidden_reason`
    reason: str
    hidden_reason: str


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read in full."""

    status: int
    text: str
    headers: CIMultiDictProxy[str]
    url: str

    @property
    def location(self) -> str:
        """Where a redirect points."""
        return self.headers.get("Location", "")


class StaffClient:
    """A browser-like HTTP client for the dashboard: a cookie jar, and the CSRF token of its session."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def get(self, path: str, **params: str) -> Answer:
        """GET a path (redirects not followed); remembers the CSRF token if the page has a form."""
        async with self.http.get(self.base_url + path, params=params, allow_redirects=False) as response:
            text = await response.text(errors="replace")  # a PDF download is read too, not decoded as text
            answer = Answer(response.status, text, response.headers, str(response.url))
        found = CSRF_FIELD.search(answer.text)
        if found and found.group(1):
            self.csrf = found.group(1)
        return answer

    async def post(self, path: str, data: Mapping[str, str] | None = None, csrf: str | None = "") -> Answer:
        """POST a form; `csrf=""` sends this session's token, `None` sends none, anything else is sent as is."""
        form = dict(data or {})
        if csrf is not None:
            form["csrf_token"] = csrf or self.csrf
        async with self.http.post(self.base_url + path, data=form, allow_redirects=False) as response:
            return Answer(response.status, await response.text(), response.headers, str(response.url))

    def cookie(self, name: str) -> str | None:
        """The value of a cookie this client holds."""
        for morsel in self.http.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    async def close(self) -> None:
        await self.http.close()


@dataclass
class DashboardSite:
    """The running web app and what was seeded in it."""

    url: str
    database: Database
    clock: Clock
    settings: Settings
    org_a: SeededOrg
    org_b: SeededOrg
    running: RunningWeb | None = None
    clients: list[StaffClient] = field(default_factory=list)

    @property
    def units(self) -> UnitOfWorkFactory:
        return self.database.units

    @property
    def app(self) -> web.Application:
        """The running web app (its router lists every dashboard route)."""
        assert self.running is not None
        app = self.running.runner.app
        assert isinstance(app, web.Application)
        return app

    def org(self, which: str) -> SeededOrg:
        """`"a"` or `"b"`."""
        return self.org_a if which == "a" else self.org_b

    async def login_link(self, member_id: int) -> str:
        """Mint a login link the way `/dashboard` in the bot does."""
        async with self.units() as uow:
            link = await mint_login_link(uow, self.url, member_id, self.clock())
            await uow.commit()
        assert link is not None, "only staff get a login link"
        return link

    async def anonymous(self) -> StaffClient:
        """A client without a session."""
        client = StaffClient(self.url)
        self.clients.append(client)
        return client

    async def login(self, member_id: int) -> StaffClient:
        """Follow a fresh login link: open it, press "Log in", land on the alerts page with a session cookie."""
        client = await self.anonymous()
        link = await self.login_link(member_id)
        page = await client.get(link.removeprefix(self.url))
        assert page.status == 200, page.text
        token = link.partition("token=")[2]
        answer = await client.post("/dashboard/login", {"token": token})
        assert answer.status == 303 and answer.location == "/dashboard/alerts", (answer.status, answer.text[:500])
        landing = await client.get("/dashboard/alerts")
        assert landing.status == 200 and client.csrf, "a logged-in page carries a CSRF token"
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        if self.running is not None:
            await self.running.stop()


async def login(site: DashboardSite, member_id: int) -> StaffClient:
    """Log a staff member in through a real login link; returns a client holding the session cookie."""
    return await site.login(member_id)


async def _staff(uow: Any, organisation_id: int, member_id: int, role: str, name: str, tag: str) -> None:
    token = f"seed-invite-{tag}"
    await uow.staff.add_invite(organisation_id, role, token, NOW, NOW + timedelta(days=1))
    invite = await uow.staff.invite_by_token(token)
    assert await uow.staff.redeem(invite.id, member_id, organisation_id, role, NOW)
    await uow.team.set_display_name(member_id, name)


async def seed_organisation(units: UnitOfWorkFactory, slug: str, name: str, base: int) -> SeededOrg:
    """An organisation with a coordinator, a volunteer and a member with two alerts."""
    async with units() as uow:
        organisation = await uow.organisations.add(slug, name, NOW)
        coordinator = await uow.members.add(base + 1, base + 1, organisation.id, NOW)
        volunteer = await uow.members.add(base + 2, base + 2, organisation.id, NOW)
        member = await uow.members.add(base + 3, base + 3, organisation.id, NOW)
        await _staff(uow, organisation.id, coordinator.id, "coordinator", f"Cora {slug}", f"{slug}-c")
        await _staff(uow, organisation.id, volunteer.id, "volunteer", f"Vic {slug}", f"{slug}-v")
        reason = f"Low mood at several check-ins ({slug})"
        hidden = f"Words about self-harm ({slug})"
        alert_id = await uow.alerts.raise_alert(
            member.id, organisation.id, "CONCERN", "with_answers", [reason], NOW - timedelta(minutes=40)
        )
        other = await uow.members.add(base + 4, base + 4, organisation.id, NOW)
        flag_only_id = await uow.alerts.raise_alert(
            other.id, organisation.id, "URGENT", "flag_only", [hidden], NOW - timedelta(minutes=5)
        )
        await share_consent(uow, member.id, "given", "with_answers", NOW - timedelta(days=1))
        await share_consent(uow, other.id, "given", "flag_only", NOW - timedelta(days=1))
        await uow.commit()
    return SeededOrg(
        slug, name, organisation.id, coordinator.id, volunteer.id, member.id, alert_id, flag_only_id, reason, hidden
    )


async def share_consent(uow: Any, member_id: int, action: str, level: str | None, when: datetime = NOW) -> None:
    """Record a member's choice about sharing with the team (scope SHARE_FLAGS), as onboarding or /stop does."""
    record = {
        "scope": "share_flags",
        "action": action,
        "share_level": level if action == "given" else None,
        "text_version": "v1",
        "text_hash": "s" * 64,
        "method": "test",
    }
    await uow.consents.append(member_id, record, None, when)


async def set_duty(site: DashboardSite, member_id: int, on: bool = True) -> None:
    """Switch a staff member's duty on or off, as /duty does."""
    async with site.units() as uow:
        await uow.team.set_duty(member_id, on)
        await uow.commit()


def dashboard_settings(database: Database, **changes: Any) -> Settings:
    """Settings for a dashboard test: the database's keys, no web port of its own (the fixture picks one)."""
    base = Settings(
        database_url=database.url,
        data_keys=database.keys,
        telegram_bot_username="cairn_test_bot",
        web_host="127.0.0.1",
    )
    return replace(base, **changes)


async def start_site(database: Database, settings: Settings | None = None, clock: Clock | None = None) -> DashboardSite:
    """Seed two organisations and serve the web app (with the dashboard) on 127.0.0.1, a free port."""
    settings = settings or dashboard_settings(database)
    clock = clock or Clock()
    org_a = await seed_organisation(database.units, "hillside", "Hillside Community Hub", 1000)
    org_b = await seed_organisation(database.units, "riverside", "Riverside Trust", 2000)
    running = await start_web(build_web_app(database.units, settings, clock), "127.0.0.1", 0)
    return DashboardSite(running.url, database, clock, settings, org_a, org_b, running)


@pytest.fixture
async def dashboard_site(database: Database) -> AsyncIterator[DashboardSite]:
    """The dashboard over a real database (both backends), two organisations seeded."""
    site = await start_site(database)
    try:
        yield site
    finally:
        await site.close()


# --- Browser ---


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Playwright (async API) driving Debian's Chromium, headless; never downloads a browser."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield launched
        finally:
            await launched.close()


async def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG under tests/artefacts/screenshots/ (gitignored) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def chromium_available() -> bool:
    """Say whether Debian's Chromium is installed."""
    return CHROMIUM.exists() or shutil.which("chromium") is not None
