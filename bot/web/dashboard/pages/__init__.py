"""The dashboard's page modules: each exposes `routes: web.RouteTableDef`; append one line per page module."""

PAGE_MODULES: tuple[str, ...] = (
    "bot.web.dashboard.pages.alerts",
    "bot.web.dashboard.pages.volunteers",
    "bot.web.dashboard.pages.activities",
    "bot.web.dashboard.pages.broadcasts",
    "bot.web.dashboard.pages.insight",
    "bot.web.dashboard.pages.report",
)
