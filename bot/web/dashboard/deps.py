"""What dashboard handlers need, stored once in the web app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from aiohttp import web

from bot.settings import Settings
from flows.risk import LanguageSignal
from flows.texts import Catalogue, load_catalogue
from models.unit_of_work import UnitOfWorkFactory


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
