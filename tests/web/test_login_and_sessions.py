"""Passwordless login: single-use 10-minute links, hashed at rest, and sessions that expire and end at logout."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from bot.web.dashboard.links import mint_login_link
from models.tables import DashboardLoginToken, DashboardSession
from tests.conftest import Database
from tests.web.conftest import DashboardSite, dashboard_settings, start_site


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def test_opening_a_link_does_not_use_it_and_pressing_log_in_uses_it_once(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    link = await site.login_link(site.org_a.volunteer_id)
    token = link.partition("token=")[2]
    assert link.startswith(f"{site.url}/dashboard/login?token=")
    browser, second_device = await site.anonymous(), await site.anonymous()
    for _ in range(2):  # a link preview (or a second look) leaves it usable
        page = await browser.get(link.removeprefix(site.url))
        assert page.status == 200 and 'action="/dashboard/login"' in page.text and ">Log in</button>" in page.text
    await second_device.get(link.removeprefix(site.url))
    logged_in = await browser.post("/dashboard/login", {"token": token})
    assert logged_in.status == 303 and logged_in.location == "/dashboard/alerts"
    assert browser.cookie("cairn_session") is not None
    replay = await second_device.post("/dashboard/login", {"token": token})
    assert replay.status == 400 and "does not work" in replay.text and second_device.cookie("cairn_session") is None
    late = await site.anonymous()
    shown = await late.get(link.removeprefix(site.url))
    assert shown.status == 400 and late.csrf == "", "a used link shows no login form"


async def test_a_link_older_than_ten_minutes_no_longer_logs_in(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    link = await site.login_link(site.org_a.coordinator_id)
    browser = await site.anonymous()
    await browser.get(link.removeprefix(site.url))
    site.clock.advance(timedelta(minutes=10, seconds=1))
    expired = await browser.post("/dashboard/login", {"token": link.partition("token=")[2]})
    assert expired.status == 400 and browser.cookie("cairn_session") is None
    assert (await browser.get(link.removeprefix(site.url))).status == 400


async def test_only_hashes_of_tokens_and_session_ids_are_stored(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    link = await site.login_link(site.org_a.coordinator_id)
    token = link.partition("token=")[2]
    client = await site.login(site.org_a.volunteer_id)
    raw_session = client.cookie("cairn_session")
    assert raw_session
    async with site.units() as uow:
        tokens = (await uow.session.scalars(select(DashboardLoginToken.token_hash))).all()
        sessions = (await uow.session.scalars(select(DashboardSession.session_hash))).all()
        dumps = []
        for table in ("dashboard_login_tokens", "dashboard_sessions"):
            dumps += [str(tuple(row)) for row in (await uow.session.execute(text(f"SELECT * FROM {table}"))).all()]
    assert sha256(token) in tokens and sha256(raw_session) in sessions
    assert not any(token in dump or raw_session in dump for dump in dumps)


async def test_the_session_cookie_is_http_only_and_same_site_strict(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    browser = await site.anonymous()
    link = await site.login_link(site.org_a.coordinator_id)
    await browser.get(link.removeprefix(site.url))
    answer = await browser.post("/dashboard/login", {"token": link.partition("token=")[2]})
    cookie = next(value for value in answer.headers.getall("Set-Cookie") if value.startswith("cairn_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags, "served over plain http in this test"


async def test_over_https_the_cookie_is_secure_and_host_only(database: Database) -> None:
    site = await start_site(database, dashboard_settings(database, dashboard_url="https://dash.example.org"))
    try:
        browser = await site.anonymous()
        link = await site.login_link(site.org_a.coordinator_id)
        page = await browser.get(link.removeprefix(site.url))
        form_cookie = next(value for value in page.headers.getall("Set-Cookie") if "cairn_login_csrf=" in value)
        assert "secure" in form_cookie.lower()
        pair = form_cookie.split(";")[0]  # our plain-http test client would not send a Secure cookie back by itself
        async with browser.http.post(
            f"{site.url}/dashboard/login",
            data={"token": link.partition("token=")[2], "csrf_token": browser.csrf},
            headers={"Cookie": pair},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303
            cookies = answer.headers.getall("Set-Cookie")
        cookie = next(value for value in cookies if "cairn_session=" in value)
        assert cookie.startswith("__Host-cairn_session=")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "secure", "path=/"} <= flags
    finally:
        await site.close()


async def test_a_session_ends_after_thirty_idle_minutes(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    site.clock.advance(timedelta(minutes=29))
    assert (await client.get("/dashboard/alerts")).status == 200
    site.clock.advance(timedelta(minutes=29))  # 29 idle minutes again: still fine, activity renewed it
    assert (await client.get("/dashboard/alerts")).status == 200
    site.clock.advance(timedelta(minutes=30))
    expired = await client.get("/dashboard/alerts")
    assert expired.status == 303 and expired.location == "/dashboard/how-to-log-in"
    async with site.units() as uow:
        assert (await uow.session.scalars(select(DashboardSession))).all() == []


async def test_a_session_ends_after_twelve_hours_however_busy(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    for _ in range(35):  # every 20 minutes for 11 h 40 min
        site.clock.advance(timedelta(minutes=20))
        assert (await client.get("/dashboard/alerts")).status == 200
    site.clock.advance(timedelta(minutes=20))
    assert (await client.get("/dashboard/alerts")).status == 303


async def test_logging_out_deletes_the_session(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    raw = client.cookie("cairn_session")
    assert raw
    refused = await client.post("/dashboard/logout", csrf=None)
    assert refused.status == 403
    out = await client.post("/dashboard/logout")
    assert out.status == 303 and out.location.startswith("/dashboard/how-to-log-in")
    async with site.units() as uow:
        assert await uow.dashboard.live_session(raw, site.clock(), timedelta(hours=1)) is None
    stolen = await site.anonymous()
    stolen.http.cookie_jar.update_cookies({"cairn_session": raw})
    assert (await stolen.get("/dashboard/alerts")).status == 303


async def test_someone_removed_from_the_team_is_logged_out_at_once(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.volunteer_id)
    async with site.units() as uow:
        assert await uow.team.remove(site.org_a.volunteer_id, site.org_a.id)
        await uow.commit()
    assert (await client.get("/dashboard/alerts")).status == 303


async def test_only_staff_get_a_login_link(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    async with site.units() as uow:
        assert await mint_login_link(uow, site.url, site.org_a.member_id, site.clock()) is None


async def test_the_login_form_only_works_from_the_page_that_showed_it(dashboard_site: DashboardSite) -> None:
    """Login CSRF: a form posted from elsewhere lacks the page's cookie and is refused, and the link stays usable."""
    site = dashboard_site
    link = await site.login_link(site.org_a.coordinator_id)
    token = link.partition("token=")[2]
    elsewhere = await site.anonymous()
    refused = await elsewhere.post("/dashboard/login", {"token": token}, csrf="forged")
    assert refused.status == 403
    assert (await elsewhere.post("/dashboard/login", {"token": token}, csrf=None)).status == 403
    async with site.units() as uow:
        assert await uow.dashboard.login_token_usable(token, site.clock())


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/alerts", "/dashboard/volunteers"])
async def test_without_a_session_pages_send_you_to_how_to_log_in(dashboard_site: DashboardSite, path: str) -> None:
    client = await dashboard_site.anonymous()
    answer = await client.get(path)
    assert answer.status == 303 and answer.location == "/dashboard/how-to-log-in"
    explained = await client.get(answer.location)
    assert explained.status == 200 and "/dashboard" in explained.text and "@cairn_test_bot" in explained.text


async def test_logging_in_again_in_the_same_browser_replaces_the_old_session(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    old = client.cookie("cairn_session")
    link = await site.login_link(site.org_a.coordinator_id)
    await client.get(link.removeprefix(site.url))
    again = await client.post("/dashboard/login", {"token": link.partition("token=")[2]})
    assert again.status == 303
    new = client.cookie("cairn_session")
    assert old and new and new != old, "a fresh session id at every login"
    async with site.units() as uow:
        assert await uow.dashboard.live_session(old, site.clock(), timedelta(hours=1)) is None
    assert (await client.get("/dashboard/alerts")).status == 200


class Writes:
    """The INSERT, UPDATE and DELETE statements the database was sent while watching."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine.sync_engine
        self.seen: list[str] = []

    def _note(self, conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.seen.append(" ".join(statement.split())[:60])

    def __enter__(self) -> Writes:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)


async def test_static_files_are_served_without_touching_the_session(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    site.clock.advance(timedelta(minutes=5))
    with Writes(site.database) as writes:
        for _ in range(3):
            async with client.http.get(site.url + "/dashboard/static/dashboard.css") as answer:
                assert answer.status == 200 and "Set-Cookie" not in answer.headers
    assert writes.seen == []
    async with site.units() as uow:
        (seen,) = (await uow.session.scalars(select(DashboardSession.last_seen_at))).all()
    assert seen == site.clock.now - timedelta(minutes=5), "a stylesheet is not a sign of life"
    site.clock.advance(timedelta(minutes=30))
    async with client.http.get(site.url + "/dashboard/static/dashboard.css") as answer:
        assert answer.status == 200 and "Set-Cookie" not in answer.headers, "no session lookup, so none is ended"


async def test_a_session_notes_it_was_seen_at_most_once_a_minute(dashboard_site: DashboardSite) -> None:
    site = dashboard_site
    client = await site.login(site.org_a.coordinator_id)
    with Writes(site.database) as writes:
        for _ in range(3):
            assert (await client.get("/dashboard/how-to-log-in")).status == 200
            site.clock.advance(timedelta(seconds=20))
    assert writes.seen == [], "three requests in the first minute write nothing"
    with Writes(site.database) as writes:
        for _ in range(40):  # every 59 seconds for 39 minutes: the session stays alive past its 30 idle minutes
            site.clock.advance(timedelta(seconds=59))
            page = await client.get("/dashboard/how-to-log-in")
            assert page.status == 200 and "You are already logged in." in page.text
    updates = [statement for statement in writes.seen if statement.startswith("UPDATE dashboard_sessions")]
    assert 19 <= len(updates) <= 40 and len(updates) == len(writes.seen)
    async with site.units() as uow:
        (seen,) = (await uow.session.scalars(select(DashboardSession.last_seen_at))).all()
    assert site.clock.now - seen < timedelta(minutes=1), "idle time is known to within a minute"


async def test_login_links_are_throttled_per_client_address_and_counted(database: Database) -> None:
    """The review saw 306 login requests a second from one address; now each address gets a burst, then 30 a minute."""
    import aiohttp

    from bot.metrics import METRICS
    from bot.web.dashboard.deps import LOGIN_BURST
    from tests.web.conftest import StaffClient

    proxy = "127.0.0.1"  # as if a reverse proxy on this machine forwarded every request
    site = await start_site(database, dashboard_settings(database, trusted_proxies=(proxy,)))
    counted = METRICS.throttled.labels(endpoint="dashboard_login")._value.get()

    def client_at(address: str) -> StaffClient:
        client = StaffClient(site.url)
        client.http = aiohttp.ClientSession(  # the left part of the header is the client's to forge: not believed
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"X-Forwarded-For": f"6.6.6.6, {address}"}
        )
        return client

    crowded, elsewhere = client_at("203.0.113.9"), client_at("198.51.100.7")
    try:
        link = await site.login_link(site.org_a.coordinator_id)
        assert (await crowded.get(link.removeprefix(site.url))).status == 200 and crowded.csrf
        answers = [(await crowded.get("/dashboard/login", token="guess")).status for _ in range(int(LOGIN_BURST) - 1)]
        assert set(answers) == {400}, "a wrong token: 'this link does not work'"
        refused = await crowded.get("/dashboard/login", token="guess")
        assert refused.status == 429 and refused.headers["Retry-After"] == "60"
        pressed = await crowded.post("/dashboard/login", {"token": link.partition("token=")[2]})
        assert pressed.status == 429 and crowded.cookie("cairn_session") is None
        assert (await crowded.get("/dashboard/how-to-log-in")).status == 200, "only login links are throttled"
        assert (await elsewhere.get(link.removeprefix(site.url))).status == 200, "another address is not held"
        logged_in = await elsewhere.post("/dashboard/login", {"token": link.partition("token=")[2]})
        assert logged_in.status == 303, "and the link was not used up by the refused press"
    finally:
        await crowded.close()
        await elsewhere.close()
        await site.close()
    assert METRICS.throttled.labels(endpoint="dashboard_login")._value.get() == counted + 2


def test_the_client_address_is_the_peer_unless_a_trusted_proxy_names_it() -> None:
    from aiohttp.test_utils import make_mocked_request

    from bot.web.throttle import client_address, trusted_networks

    def request(peer: str, forwarded: str | None) -> object:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        made = make_mocked_request("GET", "/", headers=headers)
        made._transport_peername = (peer, 1234)  # type: ignore[attr-defined]
        return made

    proxies = trusted_networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address(request("203.0.113.9", "1.2.3.4"), proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_address(request("10.1.2.3", "1.2.3.4, 198.51.100.7"), proxies) == "198.51.100.7"
    assert client_address(request("10.1.2.3", "198.51.100.7, 10.9.9.9"), proxies) == "198.51.100.7"
    assert client_address(request("10.1.2.3", None), proxies) == "10.1.2.3"
    assert client_address(request("10.1.2.3", "1.2.3.4"), ()) == "10.1.2.3", "no proxy trusted: the peer"
