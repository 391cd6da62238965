"""Insight (coordinators only): members by area, check-ins per week and average scores, small numbers hidden."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from markupsafe import Markup

from bot.web.dashboard.auth import coordinator_only, user_of
from bot.web.dashboard.deps import deps_of
from bot.web.dashboard.render import render
from flows.insight import (
    MEASURES,
    AverageRow,
    AverageTable,
    CheckinsTable,
    averages_table,
    checkins_table,
    measure_named,
    members_table,
    recent_weeks,
    week_bounds,
)
from flows.svg_charts import MAX_SERIES, LineSeries, bar_chart, line_chart
from models.insight import InsightQueries

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Chart:
    """An SVG chart ready to embed, and a sentence on what it leaves out."""

    svg: Markup
    note: str


def checkins_chart(table: CheckinsTable) -> Chart:
    """Bar chart of check-ins per week."""
    labels = [row.week.short for row in table.rows]
    shown = [row for row in table.rows if not row.checkins.hidden]
    described = "; ".join(f"week of {row.week.short}: {row.checkins.text}" for row in shown) or "no week can be shown"
    svg = bar_chart(
        "checkins",
        "Check-ins completed per week",
        f"Bars for {len(labels)} weeks, each starting on a Monday. {described}. Other weeks are hidden.",
        labels,
        [row.checkins.value for row in table.rows],
        "check-ins",
    )
    safe = Markup(svg)  # noqa: S704 (flows.svg_charts escapes every text it writes)
    return Chart(safe, "Weeks marked “hidden” had fewer than 10 members checking in.")


def averages_chart(table: AverageTable) -> Chart:
    """Line chart of the averages: all areas, and the areas with the most weeks shown."""
    areas = sorted(
        (row for row in table.rows if any(not cell.hidden for cell in row.cells)),
        key=lambda row: -sum(not cell.hidden for cell in row.cells),
    )[: MAX_SERIES - 1]
    lines = [_line(row) for row in (*areas, table.all_areas)]
    left_out = len(table.rows) - len(areas)
    note = f"{left_out} area(s) with no week shown are in the table only." if left_out else ""
    shown = ", ".join(line.name for line in lines)
    svg = line_chart(
        "averages",
        f"Average {table.measure.label} per week",
        f"Lines for {shown}. A gap means the week is hidden. The table beside the chart gives every figure.",
        [week.short for week in table.weeks],
        lines,
        table.measure.low,
        table.measure.high,
    )
    return Chart(Markup(svg), note)  # noqa: S704 (escaped in flows.svg_charts)


def _line(row: AverageRow) -> LineSeries:
    return LineSeries(row.label, tuple(cell.value for cell in row.cells))


@routes.get("/dashboard/insight")
@coordinator_only
async def insight(request: web.Request) -> web.Response:
    """Show the insight page for the coordinator's organisation."""
    deps, user = deps_of(request), user_of(request)
    measure = measure_named(request.query.get("measure"))
    weeks = recent_weeks(deps.clock())
    bounds = week_bounds(weeks)
    async with deps.units() as uow:
        queries = InsightQueries(uow.session)
        by_area = await queries.members_by_area(user.organisation_id, joined_before=bounds[-1])
        per_week, members = await queries.checkins_by_week(user.organisation_id, bounds)
        values = await queries.averages(user.organisation_id, measure, bounds)
    checkins = checkins_table(weeks, per_week, members)
    averages = averages_table(measure, weeks, values.cells, values.by_area, values.by_week, values.overall)
    context = {
        "members": members_table(by_area),
        "checkins": checkins,
        "checkins_chart": checkins_chart(checkins),
        "averages": averages,
        "averages_chart": averages_chart(averages),
        "measures": MEASURES,
        "measure": measure,
        "weeks": weeks,
    }
    return render(request, "insight.html", context)
