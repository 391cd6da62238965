"""The read-only Open Referral UK API: `GET /openreferral/services` (paged) and `/openreferral/services/{id}`.

Every organisation's activities are listed except defunct ones (inactive and temporarily closed services are
listed with their status, as other directories expect to see them).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.settings import Settings
from flows.activities.model import Activity, ServiceStatus
from flows.activities.oruk_export import ExportOrganisation, paged, service_object
from flows.activities.taxonomy import bundled_taxonomy
from flows.texts import load_catalogue
from models.activity_tables import ORUK_ID_LENGTH
from models.repositories import OrganisationRow
from models.unit_of_work import UnitOfWorkFactory

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


class BadQuery(ValueError):
    """A query value the API cannot use."""


def whole_number(request: web.Request, name: str, default: int, lowest: int, highest: int | None = None) -> int:
    """Read a whole-number query value within bounds, or raise BadQuery saying what is wrong."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise BadQuery(f"{name} must be a whole number")
    value = int(raw)
    if value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest}" + (f" to {highest}" if highest is not None else "")
        raise BadQuery(f"{name} must be {bounds}")
    return value


class OpenReferralApi:
    """Handlers of the Open Referral UK routes."""

    def __init__(self, units: UnitOfWorkFactory, settings: Settings) -> None:
        """Remember the database and the names of Cairn's interest terms in the deployment's language."""
        self._units = units
        catalogue = load_catalogue(settings.language)
        self._labels = {term.id: catalogue.messages.get(term.label, term.id) for term in bundled_taxonomy().terms}

    def _service(self, activity: Activity, organisations: dict[int, OrganisationRow]) -> dict[str, Any]:
        owner = organisations.get(activity.organisation_id)
        organisation = ExportOrganisation(owner.slug, owner.name) if owner else None
        return service_object(activity, organisation, self._labels)

    async def services(self, request: web.Request) -> web.Response:
        """One page of services."""
        try:
            page = whole_number(request, "page", 1, 1)
            per_page = whole_number(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        except BadQuery as error:
            return web.json_response({"status": 400, "error": str(error)}, status=400)
        async with self._units() as uow:
            activities, total = await uow.activities.page((page - 1) * per_page, per_page)
            organisations = {row.id: row for row in await uow.organisations.all()}
        contents = [self._service(activity, organisations) for activity in activities]
        return web.json_response(paged(contents, total, page, per_page))

    async def service(self, request: web.Request) -> web.Response:
        """One service by its id."""
        service_id = request.match_info["id"]
        async with self._units() as uow:
            usable = len(service_id) <= ORUK_ID_LENGTH and service_id.isprintable()  # no NUL for PostgreSQL
            activity = await uow.activities.get(service_id) if usable else None
            owner = await uow.organisations.by_id(activity.organisation_id) if activity else None
        if activity is None or activity.status is ServiceStatus.DEFUNCT:
            return web.json_response({"status": 404, "error": "no such service"}, status=404)
        return web.json_response(self._service(activity, {owner.id: owner} if owner else {}))


def add_openreferral_routes(app: web.Application, units: UnitOfWorkFactory, settings: Settings) -> None:
    """Add the read-only Open Referral UK routes."""
    api = OpenReferralApi(units, settings)
    app.router.add_get("/openreferral/services", api.services)
    app.router.add_get("/openreferral/services/{id}", api.service)
