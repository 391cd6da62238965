"""GET /healthz (alive), /readyz (database, language model and identification, Telegram, inbox, polling), /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.detect.language_service import LanguageIdentificationService
from bot.detect.service import LanguageRiskService
from bot.metrics import METRICS, Metrics
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.web.health")

TELEGRAM_FRESH_SECONDS = 120.0  # a Bot API answer this recent counts; otherwise /readyz asks getMe
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass
class Health:
    """What the probes look at."""

    units: UnitOfWorkFactory
    language: LanguageRiskService | None
    language_model_on: bool
    get_me: Callable[[], Awaitable[object]]
    metrics: Metrics = METRICS
    inbox_healthy: Callable[[], bool] | None = None  # is the inbox processor running (not held)?
    polling_healthy: Callable[[], bool] | None = None  # polling mode: is the poller running, its last polls working?
    languages: LanguageIdentificationService | None = None  # which language a message is in (bot/detect/language_id)
    metrics_token: str = ""  # CAIRN_METRICS_TOKEN: when set, /metrics answers only "Authorization: Bearer <it>"

    async def database(self) -> str:
        """Run SELECT 1."""
        async with self.units() as uow:
            await uow.session.execute(text("SELECT 1"))
        return "ok"

    def language_model(self) -> str:
        """Say whether every configured detector loaded ("off" when the model was turned off on purpose)."""
        if self.language is None or not self.language.ready:
            return "failed"
        status = self.language.status()
        if status.failed_to_load:
            return "failed"
        return "ok" if self.language_model_on else "off"

    async def telegram(self) -> str:
        """A recent Bot API answer, or a getMe now."""
        age = self.metrics.telegram_answer_age()
        if age is not None and age < TELEGRAM_FRESH_SECONDS:
            return "ok"
        await self.get_me()
        return "ok"

    async def checks(self) -> dict[str, str]:
        """Run every check; a failure is named by its error class, never its message."""
        results = {"language_model": self.language_model()}
        if self.languages is not None:  # "degraded": lingua did not load, scripts and word lists only; "off" by choice
            results["language_identification"] = self.languages.state
        if self.inbox_healthy is not None:
            results["inbox"] = "ok" if self.inbox_healthy() else "failed"
        if self.polling_healthy is not None:
            results["polling"] = "ok" if self.polling_healthy() else "failed"
        for name, check in (("database", self.database), ("telegram", self.telegram)):
            try:
                results[name] = await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
            except Exception as error:
                log.warning("readiness_check_failed check=%s error=%s", name, type(error).__name__)
                results[name] = "failed"
        return results


HEALTH = web.AppKey("health", Health)


async def healthz(request: web.Request) -> web.Response:
    """Alive: the event loop answers."""
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """Ready: 200 when every check passes, else 503 naming the checks that failed."""
    checks = await request.app[HEALTH].checks()
    failed = sorted(name for name, result in checks.items() if result == "failed")
    body = {"status": "not ready" if failed else "ready", "checks": checks, "failed": failed}
    return web.json_response(body, status=503 if failed else 200)


def bearer_matches(header: str | None, token: str) -> bool:
    """Compare an Authorization header with "Bearer <token>" in constant time; no token set: anyone may read."""
    if not token:
        return True
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8"))


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; with CAIRN_METRICS_TOKEN set, only for a request bearing it (401 otherwise)."""
    health = request.app[HEALTH]
    if not bearer_matches(request.headers.get("Authorization"), health.metrics_token):
        log.warning("metrics_refused")
        return web.Response(status=401, text="Unauthorized", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = await health.metrics.render(health.units)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def add_health_routes(app: web.Application, health: Health) -> None:
    """Serve /healthz, /readyz and /metrics on the app."""
    app[HEALTH] = health
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
