"""Read Open Referral UK services into activities, leniently (pure: the text comes in, activities and a report go out).

Accepted JSON: one service object, a list of services, or a paged API response (`contents`, `content`, `items`,
`services` or `data` holding the list). CSV: see `flows/activities/oruk_csv.py`. Whatever the input, nothing
raises: a service without an id or a name is skipped with a reason, and every value that cannot be used is
named in the report.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.activities.model import Activity, CostOption, ServiceStatus
from flows.activities.occurrences import DEFAULT_TIMEZONE
from flows.activities.oruk_csv import csv_services
from flows.activities.oruk_parts import (
    ID_LENGTH,
    objects,
    read_areas,
    read_contact,
    read_cost,
    read_interests,
    read_languages,
    read_location,
    read_schedule,
)
from flows.activities.oruk_values import identifier, is_placeholder, make_id, parse_number, parse_whole, short, text
from flows.activities.taxonomy import Taxonomy

PAGE_KEYS = ("contents", "content", "items", "services", "data")
USED_FIELDS = frozenset(
    {
        "id", "name", "description", "url", "email", "status", "fees", "minimum_age", "maximum_age", "schedules",
        "regular_schedules", "service_areas", "service_at_locations", "locations", "languages", "cost_options",
        "contacts", "phones", "attributes", "taxonomy_terms", "service_taxonomys", "interests", "timezone",
    }
)  # fmt: skip
STATUS_WORDS = {status.value: status for status in ServiceStatus}


@dataclass(frozen=True)
class ImportResult:
    """Activities read from one input, what was skipped (with reasons) and the plain report of what was not used."""

    activities: tuple[Activity, ...] = ()
    skipped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    readable: bool = True
    seen: int = 0


@dataclass
class _Collector:
    activities: dict[str, Activity] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused: Counter[str] = field(default_factory=Counter)

    def result(self, seen: int) -> ImportResult:
        if self.unused:
            fields = ", ".join(f"{name} ({count})" for name, count in sorted(self.unused.items())[:20])
            self.notes.append(f"fields Cairn does not keep, ignored (services with them): {fields}")
        return ImportResult(tuple(self.activities.values()), tuple(self.skipped), tuple(self.notes), True, seen)


def services_in(data: Any) -> tuple[list[Any], list[str]] | None:
    """Find the services in decoded JSON; None when it holds none in any accepted shape."""
    if isinstance(data, list):
        return data, []
    if not isinstance(data, dict):
        return None
    for key in PAGE_KEYS:
        if isinstance(data.get(key), list):
            return data[key], _page_notes(data, len(data[key]))
    if "id" in data or "name" in data:
        return [data], []
    return None


def _page_notes(page: dict[str, Any], count: int) -> list[str]:
    total = parse_whole(page.get("total_items", page.get("totalElements")))
    if total is not None and total > count:
        number = parse_whole(page.get("page_number", page.get("number")))
        where = f"page {number}" if number is not None else "one page"
        return [f"this file is {where} of a larger list ({total} services in all); only its {count} were read"]
    return []


def _status(service: dict[str, Any], notes: list[str]) -> ServiceStatus:
    raw = " ".join(text(service.get("status")).lower().replace("_", " ").split())
    if raw in STATUS_WORDS:
        return STATUS_WORDS[raw]
    notes.append(
        f"status {raw[:20]!r} is not one of {', '.join(STATUS_WORDS)}; taken as active"
        if raw
        else "no status; taken as active"
    )
    return ServiceStatus.ACTIVE


def _age(service: dict[str, Any], name: str, notes: list[str]) -> int | None:
    value = service.get(name)
    if value in (None, ""):
        return None
    age = parse_whole(value)
    if age is None or not 0 <= age <= 150:
        notes.append(f"{name} {text(value)[:10]!r} is not an age, ignored")
        return None
    return age


def _timezone(service: dict[str, Any], notes: list[str]) -> str:
    name = text(service.get("timezone"))
    if not name:
        return DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        notes.append(f"timezone {name[:30]!r} is not known; {DEFAULT_TIMEZONE} used")
        return DEFAULT_TIMEZONE
    return name


def _fees(service: dict[str, Any], service_id: str, costs: list[CostOption], notes: list[str]) -> None:
    fees = text(service.get("fees") or service.get("fees_description"))
    if not fees:
        return
    if is_placeholder(fees, "fees"):
        notes.append(f"fees {fees[:30]!r} is a placeholder, ignored")
    elif not costs:
        amount = 0.0 if "free" in fees.lower() else parse_number(fees)
        costs.append(CostOption(make_id(service_id, "fees"), "", amount, fees[:300]))
    else:
        notes.append("fees text ignored: cost_options say the same in detail")


def parse_service(
    service: Any, organisation_id: int, taxonomy: Taxonomy, today: date
) -> tuple[Activity | None, list[str]]:
    """Read one service; returns the activity (None when it must be skipped) and the report lines about it."""
    if not isinstance(service, dict):
        return None, [f"not a service object ({type(service).__name__}), skipped"]
    service_id, name = identifier(service.get("id")), text(service.get("name"))
    if not service_id:
        return None, [f"{name[:40]!r} has no id, skipped" if name else "a service with no id and no name, skipped"]
    if len(service_id) > ID_LENGTH:
        return None, [f"id {short(service_id, 20)!r} is longer than {ID_LENGTH} characters, skipped"]
    if not name:
        return None, ["no name, skipped"]
    notes: list[str] = []
    schedules = [
        found
        for n, item in enumerate(objects(service.get("schedules")) + objects(service.get("regular_schedules")))
        if (found := read_schedule(item, service_id, n, today, notes))
    ]
    links = objects(service.get("service_at_locations")) + objects(service.get("locations"))
    locations = tuple(place for n, link in enumerate(links) if (place := read_location(link, service_id, n, notes)))
    costs = [
        cost
        for n, item in enumerate(objects(service.get("cost_options")))
        if (cost := read_cost(item, service_id, n, today, notes))
    ]
    _fees(service, service_id, costs, notes)
    email = text(service.get("email"))
    if email and ("@" not in email or " " in email):
        notes.append(f"email {email[:40]!r} is not an email address, ignored")
        email = ""
    activity = Activity(
        id=service_id,
        organisation_id=organisation_id,
        name=name,
        description=text(service.get("description")),
        status=_status(service, notes),
        url=text(service.get("url")),
        email=email,
        timezone=_timezone(service, notes),
        schedules=tuple(schedules),
        locations=locations,
        cost_options=tuple(costs),
        contact=read_contact(service),
        minimum_age=_age(service, "minimum_age", notes),
        maximum_age=_age(service, "maximum_age", notes),
        languages=read_languages(service.get("languages"), notes),
        interests=read_interests(service, taxonomy, notes),
        areas=read_areas(service, locations, notes),
    )
    return activity, notes


def too_many(count: int, most: int | None) -> ImportResult | None:
    """Refuse a whole file that holds more services than one import may (fair sharing between organisations)."""
    if most is None or count <= most:
        return None
    note = (
        f"this file holds {count:,} services; one import may hold at most {most:,} "
        "(CAIRN_MAX_IMPORT_RECORDS). Nothing was imported: split the file and import the parts one by one"
    )
    return ImportResult(notes=(note,), readable=False, seen=count)


def parse_services(
    data: Any, organisation_id: int, taxonomy: Taxonomy, today: date, most: int | None = None
) -> ImportResult:
    """Read every service in decoded JSON (one service, a list, or a paged response); at most `most` of them."""
    found = services_in(data)
    if found is None:
        return ImportResult(
            notes=("no services found: expected a service, a list of services or a paged response",), readable=False
        )
    services, page_notes = found
    if refused := too_many(len(services), most):
        return refused
    collected = _Collector(notes=list(page_notes))
    for position, service in enumerate(services, start=1):
        add_service(collected, position, service, organisation_id, taxonomy, today)
    return collected.result(len(services))


def add_service(
    collected: _Collector, position: int, service: Any, organisation_id: int, taxonomy: Taxonomy, today: date
) -> None:
    """Read one service into the collector, with its report lines prefixed by its id (or position)."""
    activity, notes = parse_service(service, organisation_id, taxonomy, today)
    label = f"service {short(activity.id)}" if activity else f"service #{position}"
    if activity is None:
        collected.skipped.extend(f"{label}: {note}" for note in notes)
        return
    if activity.id in collected.activities:
        collected.notes.append(f"{label}: appears more than once; the last one is kept")
    collected.activities[activity.id] = activity
    collected.notes.extend(f"{label}: {note}" for note in notes)
    if isinstance(service, dict):
        collected.unused.update(key for key in service if isinstance(key, str) and key not in USED_FIELDS)


def parse_document(
    content: str, filename: str, organisation_id: int, taxonomy: Taxonomy, today: date, most: int | None = None
) -> ImportResult:
    """Read a file's text as JSON or CSV (by its extension, else by its first character); a file with more than
    `most` services is refused whole, before any of them is read."""
    stripped = content.lstrip("\ufeff \t\r\n")
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv" or (suffix != "json" and stripped[:1] not in ("{", "[")):
        services, notes = csv_services(stripped)
        if services is None:
            return ImportResult(notes=tuple(notes), readable=False)
        if refused := too_many(len(services), most):
            return refused
        collected = _Collector(notes=notes)
        for position, service in enumerate(services, start=1):
            add_service(collected, position, service, organisation_id, taxonomy, today)
        return collected.result(len(services))
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError) as error:
        return ImportResult(notes=(f"the file is not valid JSON ({type(error).__name__})",), readable=False)
    return parse_services(data, organisation_id, taxonomy, today, most)
