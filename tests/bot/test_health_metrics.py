"""/healthz, /readyz and /metrics: what each says, when readiness fails, and that no label names a member."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.detect.base import DetectorStatus
from bot.detect.lexicon import LexiconDetector
from bot.detect.service import LanguageRiskService
from bot.metrics import (
    DELIVERY_JOBS,
    DELIVERY_RESULTS,
    INBOX_PROBLEMS,
    THROTTLED_ENDPOINTS,
    TICKING_JOBS,
    UPDATE_KINDS,
    WEBHOOK_RESULTS,
    Metrics,
)
from bot.web.app import start_web
from bot.web.health import Health, add_health_routes
from flows.schedule import CheckInPlan
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.tables import Alert, OutboxMessage
from models.unit_of_work import UnitOfWorkFactory
from tests.bot.webhook_harness import start_webhook_bot
from tests.conftest import Database
from tests.e2e.harness import CANARY_TEXT

EXPECTED = {
    "cairn_updates_handled": {("kind",)},
    "cairn_update_handling_seconds": {("kind",), ("kind", "le")},
    "cairn_deliveries": {("job", "result")},
    "cairn_webhook_requests": {("result",)},
    "cairn_throttled_requests": {("endpoint",)},
    "cairn_alerts_open": {()},
    "cairn_alerts_escalated": {()},
    "cairn_alerts_waiting_for_staff": {()},
    "cairn_outbox_depth": {()},
    "cairn_inbox_depth": {()},
    "cairn_inbox_oldest_age_seconds": {()},
    "cairn_inbox_problems": {("problem",)},
    "cairn_job_lag_seconds": {("job",)},
    "cairn_job_failures": {("job",)},
    "cairn_telegram_last_answer_age_seconds": {()},
}
ALLOWED_VALUES = {
    "kind": set(UPDATE_KINDS),
    "job": set(DELIVERY_JOBS) | set(TICKING_JOBS),
    "result": set(DELIVERY_RESULTS) | set(WEBHOOK_RESULTS),
    "problem": set(INBOX_PROBLEMS),
    "endpoint": set(THROTTLED_ENDPOINTS),
}


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        return response.status, await response.text()


def samples(text: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    return {
        family.name: [(sample.name, sample.labels, sample.value) for sample in family.samples]
        for family in text_string_to_metric_families(text)
    }


def value(parsed: dict[str, list[tuple[str, dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for sample, found, v in parsed[name] if found == labels and not sample.endswith(("_sum", "_bucket")))


async def test_health_ready_and_metrics_on_a_running_bot_and_no_label_names_a_member(database: Database) -> None:
    bot = await start_webhook_bot(database.url, database.keys)
    base = f"http://127.0.0.1:{bot.settings.web_port}"
    try:
        before = samples((await get(f"{base}/metrics"))[1])
        member = bot.member(8801)
        await member.onboard(store=True, share="flag_only", news=False)
        await member.say(f"I want to end my life {CANARY_TEXT}", expect=1, timeout=15)
        async with database.units() as uow:
            row = await uow.members.by_telegram_user(8801)
            now = datetime.now(UTC)
            await uow.plans.save(row.id, CheckInPlan(time_of_day=time(10, 0)), now - timedelta(seconds=1), now)
            await uow.commit()
        await member.user.wait_until(lambda u: any("check-in" in (m.text or "") for m in u.messages), timeout=15)
        await bot.settled()
        await asyncio.sleep(1.2)  # one more tick of every job

        assert await get(f"{base}/healthz") == (200, '{"status": "alive"}')
        status, body = await get(f"{base}/readyz")
        assert status == 200, body
        assert '"database": "ok"' in body and '"language_model": "off"' in body and '"telegram": "ok"' in body

        status, text = await get(f"{base}/metrics")
        assert status == 200
        after = samples(text)
        ours = {name: found for name, found in after.items() if name.startswith("cairn_")}
        assert set(ours) == set(EXPECTED), "every metric, and no other"
        for name, found in ours.items():
            assert {tuple(sorted(labels)) for _, labels, _ in found} == EXPECTED[name], name
            for _, labels, _ in found:
                for key, label in labels.items():
                    assert key == "le" or label in ALLOWED_VALUES[key], (name, key, label)
        every_label = " ".join(label for found in after.values() for _, labels, _ in found for label in labels.values())
        assert "8801" not in every_label and CANARY_TEXT not in every_label and "life" not in every_label

        def grown(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        grew = {kind: grown("cairn_updates_handled", kind=kind) for kind in UPDATE_KINDS}
        assert grew["command"] >= 1 and grew["callback"] >= 4 and grew["message"] >= 1, grew
        assert grown("cairn_update_handling_seconds", kind="command") == grew["command"], "each update is timed"
        assert grown("cairn_webhook_requests", result="accepted") == sum(grew.values())
        assert grown("cairn_deliveries", job="prompts", result="sent") >= 1
        async with database.units() as uow:
            open_alerts = await uow.session.scalar(select(func.count()).where(Alert.status.in_(("open", "escalated"))))
            pending = await uow.session.scalar(select(func.count()).where(OutboxMessage.status == "pending"))
        assert open_alerts == 1 and value(after, "cairn_alerts_open") == 1
        assert value(after, "cairn_outbox_depth") == pending and value(after, "cairn_inbox_depth") == 0
        assert value(after, "cairn_inbox_oldest_age_seconds") == 0
        lags = {labels["job"]: v for _, labels, v in after["cairn_job_lag_seconds"]}
        assert {"prompts", "safeguarding", "inbox"} <= set(lags) and all(0 <= lag < 30 for lag in lags.values())
        assert 0 <= value(after, "cairn_telegram_last_answer_age_seconds") < 30
    finally:
        await bot.close()


async def serve(health: Health) -> tuple[str, Callable[[], Awaitable[None]]]:
    app = web.Application()
    add_health_routes(app, health)
    running = await start_web(app, "127.0.0.1", 0)
    return running.url, running.stop


async def test_readyz_names_each_failed_check_and_no_secret(tmp_path: object) -> None:
    password = "pg-SECRET-password"
    engine = create_engine(f"postgresql+asyncpg://cairn:{password}@127.0.0.1:1/cairn", pool_pre_ping=False)
    units = UnitOfWorkFactory(session_factory(engine), DataCipher((DataCipher.new_key(),)))

    async def unreachable() -> object:
        raise OSError("Telegram is far away CANARY-TOKEN")

    failed_model = LanguageRiskService([LexiconDetector()], DetectorStatus(("lexicon",), {"semantic": "OSError"}))
    url, stop = await serve(Health(units, failed_model, True, unreachable, Metrics()))
    try:
        status, body = await get(f"{url}/readyz")
        assert status == 503
        assert '"failed": ["database", "language_model", "telegram"]' in body
        assert password not in body and "CANARY" not in body and "127.0.0.1" not in body
        assert (await get(f"{url}/healthz"))[0] == 200, "alive even when not ready"
        assert (await get(f"{url}/metrics"))[0] == 200, "metrics still answer without the database"
    finally:
        await stop()
        await failed_model.close()
        await engine.dispose()


@pytest.mark.parametrize(
    ("model_on", "failed", "expected"),
    [(False, {}, "off"), (True, {}, "ok"), (True, {"semantic": "OSError"}, "failed")],
)
async def test_the_language_check_passes_when_loaded_or_deliberately_off(
    database: Database, model_on: bool, failed: dict[str, str], expected: str
) -> None:
    language = LanguageRiskService([LexiconDetector()], DetectorStatus(("lexicon",), failed))

    async def answers() -> object:
        return True

    metrics = Metrics()
    url, stop = await serve(Health(database.units, language, model_on, answers, metrics))
    try:
        status, body = await get(f"{url}/readyz")
        assert f'"language_model": "{expected}"' in body and (status == 503) == (expected == "failed")
        assert '"telegram": "ok"' in body and '"database": "ok"' in body
    finally:
        await stop()
        await language.close()


async def test_the_age_of_the_oldest_waiting_update_is_reported(database: Database) -> None:
    received = datetime.now(UTC) - timedelta(seconds=90)
    async with database.units() as uow:
        for update_id, at in ((5, received), (6, received + timedelta(seconds=60))):
            await uow.inbox.add(update_id, f"member-{update_id}", {"update_id": update_id}, at)
        await uow.commit()
    parsed = samples((await Metrics().render(database.units)).decode())
    assert 90 <= value(parsed, "cairn_inbox_oldest_age_seconds") < 150
    assert value(parsed, "cairn_inbox_depth") == 2


async def test_metrics_need_the_bearer_token_when_one_is_set(database: Database) -> None:
    token = "metrics-TOKEN-0123456789-abcdefghijkl"

    async def answers() -> object:
        return True

    url, stop = await serve(Health(database.units, None, False, answers, Metrics(), metrics_token=token))
    try:
        async with aiohttp.ClientSession() as client:
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": token},
                {"Authorization": "Bearer"},
            ):
                async with client.get(f"{url}/metrics", headers=headers) as response:
                    assert response.status == 401, headers
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
                    assert "cairn_" not in await response.text()
            async with client.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == 200 and "cairn_inbox_depth" in await response.text()
        assert (await get(f"{url}/healthz"))[0] == 200, "the probes stay open: they say nothing about anyone"
    finally:
        await stop()
    open_url, stop = await serve(Health(database.units, None, False, answers, Metrics()))
    try:
        assert (await get(f"{open_url}/metrics"))[0] == 200, "no token set: open, as before"
    finally:
        await stop()


def test_a_metrics_token_is_a_setting_and_a_short_one_is_refused() -> None:
    from bot.settings import Settings, SettingsError

    assert Settings.from_env({"CAIRN_METRICS_TOKEN": "m" * 32}).metrics_token == "m" * 32
    assert Settings.from_env({}).metrics_token == ""
    with pytest.raises(SettingsError, match="CAIRN_METRICS_TOKEN"):
        Settings.from_env({"CAIRN_METRICS_TOKEN": "short"})
