"""Dashboard security over every route the app serves: no session, CSRF, roles, HTML errors, headers.

Routes are read from the running app's router, so pages added later are covered without editing this file.
"""

from __future__ import annotations

import itertools
import re

import pytest

from tests.web.conftest import DashboardSite

PUBLIC = {"/dashboard/how-to-log-in", "/dashboard/login"}
VOLUNTEER_PAGES = re.compile(r"^/dashboard(/alerts(/.*)?)?$")


SAMPLES = ("1", "000001", "0000000001", "00000000-0000-4000-8000-000000000001", "a1")


def _sample_path(info: dict[str, object]) -> str | None:
    """A concrete path for a route: its placeholders filled with the first sample values the route accepts."""
    path = info.get("path")
    if isinstance(path, str):
        return path
    formatter, pattern = info.get("formatter"), info.get("pattern")
    if not isinstance(formatter, str) or not isinstance(pattern, re.Pattern):
        return None
    names = re.findall(r"\{([^}]+)\}", formatter)
    for values in itertools.product(SAMPLES, repeat=len(names)):
        filled = formatter.format(**dict(zip(names, values, strict=True)))
        if pattern.fullmatch(filled):
            return filled
    return None


def dashboard_routes(site: DashboardSite) -> list[tuple[str, str]]:
    """(method, path) of every dashboard route, placeholders filled with values the route accepts."""
    found = set()
    for route in site.app.router.routes():
        if route.resource is None or route.method not in ("GET", "POST"):
            continue
        path = _sample_path(route.resource.get_info())
        if path is None or not path.startswith("/dashboard") or path.startswith("/dashboard/static"):
            continue
        if path not in PUBLIC:
            found.add((route.method, path))
    return sorted(found)


async def test_the_dashboard_has_the_core_routes(dashboard_site: DashboardSite) -> None:
    routes = dashboard_routes(dashboard_site)
    assert ("GET", "/dashboard/alerts") in routes and ("POST", "/dashboard/alerts/1/claim") in routes
    assert ("GET", "/dashboard/volunteers") in routes and ("POST", "/dashboard/logout") in routes
    for route in dashboard_site.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        address = str(info.get("path") or info.get("formatter") or "")
        if address.startswith("/dashboard") and not address.startswith("/dashboard/static"):
            assert _sample_path(info) is not None, f"no sample value fits {address}: add one to SAMPLES"


async def test_without_a_session_pages_redirect_and_actions_are_refused(dashboard_site: DashboardSite) -> None:
    client = await dashboard_site.anonymous()
    for method, path in dashboard_routes(dashboard_site):
        if method == "GET":
            answer = await client.get(path)
            assert (answer.status, answer.location) == (303, "/dashboard/how-to-log-in"), path
        else:
            answer = await client.post(path, {}, csrf=None)
            assert answer.status == 403, path
            assert "text/html" in answer.headers["Content-Type"]


@pytest.mark.parametrize("csrf", [None, "", "wrong"], ids=["missing", "empty", "wrong"])
async def test_every_action_without_the_right_csrf_token_is_refused(
    dashboard_site: DashboardSite, csrf: str | None
) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.coordinator_id)
    client.csrf = "" if csrf == "" else client.csrf
    sent = None if csrf is None else ("x" if csrf == "" else "0" * 64)
    for method, path in dashboard_routes(site):
        if method == "POST":
            real = path.replace("/1/", f"/{org.alert_id}/") if "/alerts/" in path else path
            answer = await client.post(real, {"outcome": "ok"}, csrf=sent)
            assert answer.status == 403, path
    async with site.units() as uow:
        alert = await uow.alerts.get(org.alert_id)
        assert alert is not None and alert.status == "open"
    assert (await client.get("/dashboard/alerts")).status == 200, "still logged in: logout was refused too"


async def test_the_csrf_header_works_for_scripts(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.volunteer_id)
    url = f"{site.url}/dashboard/alerts/{org.alert_id}/claim"
    async with client.http.post(url, headers={"X-CSRF-Token": client.csrf}, allow_redirects=False) as answer:
        assert answer.status == 303
    async with client.http.post(url, headers={"X-CSRF-Token": "nope"}, allow_redirects=False) as answer:
        assert answer.status == 403


async def test_a_session_of_another_browser_has_another_csrf_token(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    first = await site.login(org.volunteer_id)
    second = await site.login(org.volunteer_id)
    assert first.csrf != second.csrf
    assert (await first.post(f"/dashboard/alerts/{org.alert_id}/claim", csrf=second.csrf)).status == 403


async def test_a_volunteer_sees_only_the_alerts_pages(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    client = await site.login(org.volunteer_id)
    checked = 0
    for method, path in dashboard_routes(site):
        if method == "GET" and not VOLUNTEER_PAGES.match(path):
            answer = await client.get(path)
            assert answer.status == 403, path
            assert "This page is for coordinators." in answer.text
            checked += 1
        elif method == "POST" and not VOLUNTEER_PAGES.match(path.rsplit("/", 1)[0]) and path != "/dashboard/logout":
            assert (await client.post(path)).status == 403, path
            checked += 1
    assert checked >= 3
    page = await client.get("/dashboard/alerts")
    assert 'href="/dashboard/volunteers"' not in page.text, "the menu offers a volunteer only what they may open"


async def test_dashboard_errors_are_html_pages_and_the_api_still_answers_json(dashboard_site: DashboardSite) -> None:
    client = await dashboard_site.login(dashboard_site.org_a.coordinator_id)
    missing = await client.get("/dashboard/no-such-page")
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text and "Log out" in missing.text
    wrong_method = await client.post("/dashboard/alerts")
    assert wrong_method.status == 405 and wrong_method.headers["Content-Type"].startswith("text/html")
    api = await client.get("/openreferral/no-such-thing")
    assert api.status == 404 and api.headers["Content-Type"].startswith("application/json")


async def test_pages_carry_security_headers(dashboard_site: DashboardSite) -> None:
    client = await dashboard_site.anonymous()
    page = await client.get("/dashboard/how-to-log-in")
    assert page.status == 200
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"


async def test_templates_escape_what_they_show(dashboard_site: DashboardSite) -> None:
    site, org = dashboard_site, dashboard_site.org_a
    async with site.units() as uow:
        await uow.team.set_display_name(org.volunteer_id, "<script>alert(1)</script>")
        await uow.commit()
    client = await site.login(org.coordinator_id)
    page = await client.get("/dashboard/volunteers")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
