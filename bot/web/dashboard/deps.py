"""What dashboard handlers need, stored once in the web app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Protocol

from aiohttp import web

from bot.settings import Settings
from bot.web.throttle import Network, Throttle, trusted_networks
from flows.risk import LanguageSignal
from flows.texts import Catalogue, load_catalogue
from models.unit_of_work import UnitOfWorkFactory

LOGIN_PER_SECOND = 0.5  # login-link requests (opening one, pressing "Log in") an address may make: 30 a minute,
LOGIN_BURST = 30.0  # after a first 30 at once (a real coordinator needs two per login)


def login_throttle() -> Throttle:
    """The throttle on /dashboard/login, per client address."""
    return Throttle(LOGIN_PER_SECOND, LOGIN_BURST)


class LanguageAssessor(Protocol):
    """The bot's language risk service (bot.detect.service.LanguageRiskService)."""

    async def assess(self, text: str) -> list[LanguageSignal]:
        """Return the signals that count for one message."""
        ...


@dataclass(frozen=True)
class DashboardDeps:
    """Storage, settings, the clock, the texts and the language detectors the dashboard shares with the bot."""

    units: UnitOfWorkFactory
    settings: Settings
    clock: Callable[[], datetime]
    catalogue: Catalogue = field(default_factory=lambda: load_catalogue("en"))
    language: LanguageAssessor | None = None  # None (tests, tools): staff text is read with the word list only
    login_throttle: Throttle = field(default_factory=login_throttle)

    @cached_property
    def trusted_proxies(self) -> tuple[Network, ...]:
        """The reverse proxies whose X-Forwarded-For names the client (CAIRN_TRUSTED_PROXIES)."""
        return trusted_networks(self.settings.trusted_proxies)

    @property
    def idle(self) -> timedelta:
        """How long a session may sit unused."""
        return timedelta(minutes=self.settings.dashboard_idle_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        """How long a session lasts at most."""
        return timedelta(hours=self.settings.dashboard_session_hours)

    @property
    def secure_cookies(self) -> bool:
        """Mark cookies Secure when the dashboard is served over HTTPS."""
        return self.settings.dashboard_base_url.startswith("https://")


DEPS = web.AppKey("dashboard_deps", DashboardDeps)


def deps_of(request: web.Request) -> DashboardDeps:
    """Return the dashboard's dependencies."""
    return request.app[DEPS]
