"""The funder report (coordinators only): whole months' figures as a printable page, a PDF and a CSV.

The page, the PDF and the CSV are all made from the one `FunderReport`, so they hide exactly the same figures.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from aiohttp import web

from bot.web.dashboard.auth import coordinator_only, user_of
from bot.web.dashboard.deps import deps_of
from bot.web.dashboard.render import render
from bot.web.dashboard.report_pdf import report_pdf
from flows.funder_report import ABOUT_FIGURES, COMPARING, FunderReport, build_report, report_csv
from flows.insight import LONDON
from flows.report_period import parse_range
from models.funder_report import ReportQueries

log = logging.getLogger("cairn")
routes = web.RouteTableDef()


async def _report(request: web.Request) -> tuple[FunderReport, str | None, str]:
    """Read the form, gather the figures; return the report, any message about the form, and a file name stem."""
    deps, user = deps_of(request), user_of(request)
    period, message = parse_range(request.query.get("from"), request.query.get("to"), deps.clock())
    async with deps.units() as uow:
        organisation = await uow.organisations.by_id(user.organisation_id)
        counts = await ReportQueries(uow.session).counts(user.organisation_id, period)
    if organisation is None:  # a session always belongs to an existing organisation
        raise web.HTTPNotFound()
    slug = re.sub(r"[^a-z0-9-]", "-", organisation.slug.lower())[:40] or "organisation"
    stem = f"cairn-report-{slug}-{period.from_month}-to-{period.to_month}"
    return build_report(organisation.name, period, counts), message, stem


@routes.get("/dashboard/report")
@coordinator_only
async def report_page(request: web.Request) -> web.Response:
    """Show the report for the chosen months (the last three that have ended, by default), ready to print."""
    report, message, _ = await _report(request)
    period = report.period
    query = urlencode({"from": period.from_month, "to": period.to_month})
    context = {
        "report": report,
        "message": message,
        "raw_from": request.query.get("from", period.from_month)[:40],
        "raw_to": request.query.get("to", period.to_month)[:40],
        "query": query,
        "made_at": deps_of(request).clock().astimezone(LONDON),
        "about_figures": ABOUT_FIGURES,
        "comparing": COMPARING,
    }
    return render(request, "report.html", context)


def _refused_download(request: web.Request, message: str | None) -> None:
    """A download with months we cannot use goes back to the page, which explains what to change."""
    if message is not None:
        raise web.HTTPSeeOther("/dashboard/report?" + urlencode({k: v[:40] for k, v in request.query.items()}))


@routes.get("/dashboard/report.pdf")
@coordinator_only
async def report_pdf_file(request: web.Request) -> web.Response:
    """Send the report as an A4 PDF."""
    report, message, stem = await _report(request)
    _refused_download(request, message)
    body = report_pdf(report, deps_of(request).clock())
    log.info("dashboard_report format=pdf")
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
    )


@routes.get("/dashboard/report.csv")
@coordinator_only
async def report_csv_file(request: web.Request) -> web.Response:
    """Send the report as CSV, one line per figure."""
    report, message, stem = await _report(request)
    _refused_download(request, message)
    log.info("dashboard_report format=csv")
    return web.Response(
        text=report_csv(report),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
    )
