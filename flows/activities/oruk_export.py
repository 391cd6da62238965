"""Activities as Open Referral UK service objects (pure), valid against the standard's service schema.

Ids of parts Cairn made (addresses, attributes, areas …) are stable UUIDs derived from the service id, so the
same activity always exports the same document. The standard's schedules know WEEKLY and MONTHLY only: a DAILY
schedule is written as WEEKLY on every day (or on its `byday`); one every N days is written as WEEKLY only when
N is a whole number of weeks, and is otherwise left out with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flows.activities.model import Activity, CostOption, Location, Schedule
from flows.activities.occurrences import DEFAULT_TIMEZONE, WEEKDAYS
from flows.activities.oruk_values import make_id, short
from flows.activities.taxonomy import INTEREST_TAXONOMY


@dataclass(frozen=True)
class ExportOrganisation:
    """The Cairn organisation that runs the activities, as the standard's `organization` object."""

    slug: str
    name: str

    def as_oruk(self) -> dict[str, Any]:
        """The organisation object (a stable UUID from the slug)."""
        return {"id": make_id("organisation", self.slug), "name": self.name, "description": self.name}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clock(value: time | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")


def _weekly(schedule: Schedule) -> tuple[str, int, tuple[str, ...]] | None:
    """How a schedule is written: (freq, interval, byday), or None when the standard cannot say it."""
    if schedule.freq in ("WEEKLY", "MONTHLY"):
        return schedule.freq, schedule.interval, schedule.byday
    if schedule.freq != "DAILY":
        return None
    if schedule.interval == 1:
        return "WEEKLY", 1, tuple(day for day in WEEKDAYS if not schedule.byday or day in schedule.byday)
    anchor = schedule.dtstart or schedule.valid_from
    if schedule.interval % 7 == 0 and anchor is not None and not schedule.byday:
        return "WEEKLY", schedule.interval // 7, (WEEKDAYS[anchor.weekday()],)
    return None


def schedule_object(schedule: Schedule, service_id: str, warnings: list[str]) -> dict[str, Any] | None:
    """One schedule object; None (with a warning) when the standard cannot express it."""
    item: dict[str, Any] = {"id": schedule.id, "service_id": service_id}
    if schedule.freq is not None:
        written = _weekly(schedule)
        if written is None:
            warnings.append(f"service {short(service_id)}: schedule {short(schedule.id)} repeats every "
                            f"{schedule.interval} days, which the standard cannot express; left out")  # fmt: skip
            return None
        item["freq"], item["interval"], byday = written
        if byday:
            item["byday"] = ",".join(byday)
        if schedule.bymonthday:
            item["bymonthday"] = ",".join(str(day) for day in schedule.bymonthday)
    values = {
        "dtstart": _day(schedule.dtstart),
        "valid_from": _day(schedule.valid_from),
        "valid_to": _day(schedule.valid_to),
        "opens_at": _clock(schedule.opens_at),
        "closes_at": _clock(schedule.closes_at),
        "description": schedule.description or None,
    }
    item.update({key: value for key, value in values.items() if value is not None})
    return item


def location_link(place: Location, service_id: str) -> dict[str, Any]:
    """A service_at_location with its location, address and accessibility."""
    location: dict[str, Any] = {"id": place.id}
    if place.name:
        location["name"] = place.name
    if place.latitude is not None and place.longitude is not None:
        location["latitude"], location["longitude"] = place.latitude, place.longitude
    if place.address or place.postcode:
        address = {
            "id": make_id(service_id, "address", place.id),
            "location_id": place.id,
            "address_1": place.address,
            "city": "",
            "state_province": "",
            "postal_code": place.postcode,
            "country": "GB",
            "address_type": "physical",
        }
        location["addresses"] = [address]
    if place.accessibility:
        location["accessibility"] = [
            {"id": make_id(service_id, "accessibility", place.id, text), "location_id": place.id, "description": text}
            for text in place.accessibility
        ]
    link_id = make_id(service_id, "service_at_location", place.id)
    return {"id": link_id, "service_id": service_id, "location_id": place.id, "location": location}


def _attributes(activity: Activity, term_labels: dict[str, str]) -> list[dict[str, Any]]:
    attributes = []
    for interest in activity.interests:
        term_id = make_id("cairn-interest", interest)
        term = {"id": term_id, "taxonomy": INTEREST_TAXONOMY, "term": interest}
        if interest in term_labels:
            term["name"] = term_labels[interest]
        attributes.append(
            {
                "id": make_id(activity.id, "attribute", interest),
                "link_id": activity.id,
                "link_type": "service",
                "taxonomy_term_id": term_id,
                "taxonomy_term": term,
            }
        )
    return attributes


def _contacts(activity: Activity) -> list[dict[str, Any]]:
    contact = activity.contact
    if not (contact.name or contact.phone or contact.email):
        return []
    item: dict[str, Any] = {"id": make_id(activity.id, "contact"), "service_id": activity.id, "name": contact.name}
    if contact.phone:
        item["phones"] = [{"id": make_id(activity.id, "phone"), "number": contact.phone}]
    if contact.email:
        item["email"] = contact.email
    return [item]


def service_object(
    activity: Activity,
    organisation: ExportOrganisation | None = None,
    term_labels: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> dict[str, Any]:
    """One activity as an Open Referral UK service object (`term_labels` names Cairn's interest terms)."""
    warnings = [] if warnings is None else warnings
    service: dict[str, Any] = {
        "id": activity.id,
        "name": activity.name,
        "description": activity.description,
        "url": activity.url,
        "status": activity.status.value,
    }
    if activity.email:
        service["email"] = activity.email
    if organisation is not None:
        service["organization"] = organisation.as_oruk()
        service["organization_id"] = service["organization"]["id"]
    for name in ("minimum_age", "maximum_age"):
        if getattr(activity, name) is not None:
            service[name] = getattr(activity, name)
    schedules = [found for item in activity.schedules if (found := schedule_object(item, activity.id, warnings))]
    parts: dict[str, list[dict[str, Any]]] = {
        "schedules": schedules,
        "service_at_locations": [location_link(place, activity.id) for place in activity.locations],
        "cost_options": [_cost(option, activity.id) for option in activity.cost_options],
        "contacts": _contacts(activity),
        "languages": [{"id": make_id(activity.id, "language", n), "name": n} for n in activity.languages],
        "service_areas": [
            {"id": make_id(activity.id, "area", area), "service_id": activity.id, "name": area}
            for area in activity.areas
        ],
        "attributes": _attributes(activity, term_labels or {}),
    }
    service.update({key: value for key, value in parts.items() if value})
    if activity.timezone != DEFAULT_TIMEZONE:
        service["timezone"] = activity.timezone  # not in the standard; other readers ignore it
    return service


def _cost(option: CostOption, service_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": option.id, "service_id": service_id}
    if option.option:
        item["option"] = option.option
    if option.amount is not None:
        item["amount"] = option.amount
    if option.amount_description:
        item["amount_description"] = option.amount_description
    return item


def paged(contents: list[dict[str, Any]], total: int, page: int, per_page: int) -> dict[str, Any]:
    """An Open Referral UK style page of results (page numbers start at 1)."""
    pages = (total + per_page - 1) // per_page if per_page else 0
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": per_page,
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }
