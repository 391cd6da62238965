"""`/dashboard` in the real bot (polling the sandbox) sends staff a login link to the dashboard the bot serves;
a claim made on the web tells the other volunteers in Telegram, as the Claim button does."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet

from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import RunningBot, start_bot
from tests.web.conftest import StaffClient

LINK = re.compile(r"(http://127\.0\.0\.1:\d+)(/dashboard/login\?token=[A-Za-z0-9_-]+)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=BACKENDS)
async def bot_with_dashboard(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[RunningBot]:
    """A real Cairn polling the sandbox, serving its web app (and the dashboard) on a local port."""
    url = await migrated_database_url(request.param, tmp_path)
    port = free_port()
    web = {"web_port": port, "dashboard_url": f"http://127.0.0.1:{port}", "telegram_bot_username": "cairn_test_bot"}
    running = await start_bot(url, (Fernet.generate_key().decode(),), settings_changes=web)
    try:
        yield running
    finally:
        await running.stop()
        await running.server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


async def test_staff_get_a_working_login_link_and_others_do_not(bot_with_dashboard: RunningBot) -> None:
    bot = bot_with_dashboard
    ash = await bot.staff(6101, "Ash")
    bo = await bot.staff(6102, "Bo")
    member = bot.member(6110)
    await member.onboard(store=False, share="with_answers", news=False)
    await member.say("I am going to kill myself", expect=2)
    (alert_for_ash,) = await ash.user.wait_for_messages(1)
    await bo.user.wait_for_messages(1)
    alert_id = int(re.search(r"#(\d+)", alert_for_ash.text or "").group(1))  # type: ignore[union-attr]

    (refused,) = await member.say("/dashboard")
    assert "don't know that command" in (refused.text or "") and "/dashboard/login" not in (refused.text or "")

    (sent,) = await ash.say("/dashboard")
    found = LINK.search(sent.text or "")
    assert found, "the bot sends a login link to the dashboard"
    base, path = found.groups()
    assert "works once" in (sent.text or "") and "10 minutes" in (sent.text or "")

    browser = StaffClient(base)
    try:
        assert (await browser.get(path)).status == 200
        logged_in = await browser.post("/dashboard/login", {"token": path.partition("token=")[2]})
        assert logged_in.status == 303
        alerts = await browser.get("/dashboard/alerts")
        assert alerts.status == 200 and f"Alert #{alert_id}<" in alerts.text
        claimed = await browser.post(f"/dashboard/alerts/{alert_id}/claim")
        assert claimed.status == 303
    finally:
        await browser.close()
    await bo.user.wait_until(
        lambda user: any(f"Alert #{alert_id} was claimed by Ash" in (m.text or "") for m in user.messages), timeout=15
    )
