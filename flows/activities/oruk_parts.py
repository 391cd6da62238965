"""Read the parts of an Open Referral UK service: schedules, locations, costs, contact, languages, areas, terms.

Each reader keeps what is usable and adds a plain line to `notes` for anything it could not use.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flows.activities.areas import normalise_neighbourhood, postcode_district
from flows.activities.model import Contact, CostOption, Location, Schedule
from flows.activities.occurrences import FREQUENCIES, is_expired
from flows.activities.oruk_values import (
    day_code,
    identifier,
    is_placeholder,
    make_id,
    parse_byday,
    parse_bymonthday,
    parse_date,
    parse_number,
    parse_time,
    parse_whole,
    short,
    split_list,
    text,
)
from flows.activities.taxonomy import INTEREST_TAXONOMY, Taxonomy

ID_LENGTH = 64
AREA_NAME_WORDS = 5
AREA_NAME_LENGTH = 40


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects in a list (anything else in it is dropped); a single object counts as a list of one."""
    if isinstance(value, dict):
        return [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def part_id(value: Any, *parts: object) -> str:
    """A part's own id when it has a usable one, else a stable one made from the service id."""
    found = identifier(value)
    return found if found and len(found) <= ID_LENGTH else make_id(*parts)


def _dates(item: dict[str, Any], where: str, notes: list[str]) -> dict[str, date | None]:
    found: dict[str, date | None] = {}
    for name in ("dtstart", "valid_from", "valid_to"):
        found[name] = parse_date(item.get(name))
        if found[name] is None and text(item.get(name)):
            notes.append(f"{where}: {name} {text(item.get(name))[:20]!r} is not a date, ignored")
    return found


def _recurrence(item: dict[str, Any], where: str, notes: list[str]) -> tuple[str | None, Any] | None:
    freq = text(item.get("freq")).upper() or None
    byday = item.get("byday")
    weekday = text(item.get("weekday"))  # Open Referral UK 1.x regular_schedules
    if freq is None and not byday and weekday:
        freq, byday = "WEEKLY", day_code(weekday)
    if freq is not None and freq not in FREQUENCIES:
        notes.append(f"{where}: freq {freq[:20]!r} is not understood, schedule ignored")
        return None
    if isinstance(byday, str | list):
        byday = [day_code(part) for part in split_list(byday)]
    return freq, byday


def read_schedule(item: dict[str, Any], service: str, n: int, today: date, notes: list[str]) -> Schedule | None:
    """Read one schedule; None (with a note) when it cannot give sessions in any reading."""
    schedule_id = part_id(item.get("id"), service, "schedule", n)
    where = f"schedule {short(schedule_id)}"
    recurrence = _recurrence(item, where, notes)
    if recurrence is None:
        return None
    freq, raw_byday = recurrence
    interval = parse_whole(item.get("interval"))
    if interval is None or interval < 1:
        if text(item.get("interval")):
            notes.append(f"{where}: interval {text(item.get('interval'))[:10]!r} is not a whole number, 1 used")
        interval = 1
    byday, refused_days = parse_byday(raw_byday, ordinals=freq == "MONTHLY")
    bymonthday, refused_month_days = parse_bymonthday(item.get("bymonthday"))
    for refused in (*refused_days, *refused_month_days):
        notes.append(f"{where}: day {refused[:10]!r} is not understood, ignored")
    dates = _dates(item, where, notes)
    opens_at, opens_shifted = parse_time(item.get("opens_at"))
    closes_at, closes_shifted = parse_time(item.get("closes_at"))
    for name, value, parsed in (
        ("opens_at", item.get("opens_at"), opens_at),
        ("closes_at", item.get("closes_at"), closes_at),
    ):
        if parsed is None and text(value):
            notes.append(f"{where}: {name} {text(value)[:20]!r} is not a time, ignored")
    if opens_shifted or closes_shifted:
        notes.append(f"{where}: opening times carry a UTC offset; read as local times in the activity's time zone")
    schedule = Schedule(
        schedule_id,
        freq,
        interval,
        byday,
        bymonthday,
        dates["dtstart"],
        dates["valid_from"],
        dates["valid_to"],
        opens_at,
        closes_at,
        text(item.get("description")),
    )
    _explain(schedule, where, today, notes)
    return schedule


def _explain(schedule: Schedule, where: str, today: date, notes: list[str]) -> None:
    days = ",".join(schedule.byday)
    if schedule.freq == "WEEKLY" and schedule.byday and schedule.bymonthday:
        notes.append(
            f"{where}: both byday and bymonthday are set; a weekly schedule runs on {days}, bymonthday ignored"
        )
    if schedule.freq == "MONTHLY" and schedule.byday and schedule.bymonthday:
        notes.append(f"{where}: both byday and bymonthday are set; sessions are on days that match both")
    if schedule.freq == "WEEKLY" and not schedule.byday and schedule.dtstart is None:
        notes.append(f"{where}: no day of the week and no dtstart, so it has no sessions")
    if schedule.freq is None and schedule.dtstart is None and schedule.valid_from != schedule.valid_to:
        notes.append(f"{where}: no freq and no dtstart, so it has no sessions")
    if schedule.interval > 1 and schedule.dtstart is None and schedule.valid_from is None:
        notes.append(f"{where}: interval {schedule.interval} without dtstart, so taken as every time")
    if schedule.opens_at is None:
        notes.append(f"{where}: no opens_at, sessions are shown as all day")
    if is_expired(schedule, today):
        ended = schedule.valid_to or schedule.dtstart or schedule.valid_from
        notes.append(f"{where} ended on {ended or 'an unknown day'}, kept but it has no future sessions")


def _location_object(link: dict[str, Any]) -> dict[str, Any] | None:
    nested = link.get("location")
    if isinstance(nested, dict):
        return nested
    keys = ("name", "addresses", "physical_addresses", "postal_code", "latitude", "longitude", "address_1")
    return link if any(key in link for key in keys) else None


def _address(place: dict[str, Any]) -> tuple[str, str]:
    addresses = objects(place.get("addresses")) + objects(place.get("physical_addresses")) + [place]
    for address in addresses:
        line = ", ".join(part for part in (text(address.get("address_1")), text(address.get("city"))) if part)
        postcode = " ".join(text(address.get("postal_code") or address.get("postcode")).upper().split())
        if line or postcode:
            return line, postcode
    return "", ""


def _coordinate(value: Any, limit: float) -> float | None:
    number = parse_number(value) if value is not None else None
    return number if number is not None and -limit <= number <= limit else None


def read_location(link: dict[str, Any], service: str, n: int, notes: list[str]) -> Location | None:
    """Read one place from a service_at_location (or a bare location object)."""
    place = _location_object(link)
    if place is None:
        notes.append(f"service_at_location {short(identifier(link.get('id')) or n)} has no location details, ignored")
        return None
    location_id = part_id(place.get("id") or link.get("id"), service, "location", n)
    address, postcode = _address(place)
    latitude, longitude = _coordinate(place.get("latitude"), 90), _coordinate(place.get("longitude"), 180)
    if (latitude is None) != (longitude is None) or (latitude is None and place.get("latitude") not in (None, "")):
        notes.append(f"location {short(location_id)}: latitude/longitude not usable, ignored")
        latitude = longitude = None
    access = objects(place.get("accessibility")) + objects(place.get("accessibility_for_disabilities"))
    phrases = [text(item.get("description") or item.get("accessibility") or item.get("details")) for item in access]
    listed = place.get("accessibility")
    phrases += [item for item in listed if isinstance(item, str)] if isinstance(listed, list) else []
    usable = tuple(dict.fromkeys(p for p in phrases if p and not is_placeholder(p, "accessibility")))
    return Location(location_id, text(place.get("name")), address, postcode, latitude, longitude, usable)


def read_cost(item: dict[str, Any], service: str, n: int, today: date, notes: list[str]) -> CostOption | None:
    """Read one cost option."""
    cost_id = part_id(item.get("id"), service, "cost", n)
    where = f"cost option {short(cost_id)}"
    option, described = text(item.get("option")), text(item.get("amount_description"))
    option = "" if is_placeholder(option, "option") else option
    described = "" if is_placeholder(described, "amount_description") else described
    amount = parse_number(item.get("amount")) if item.get("amount") not in (None, "") else None
    if amount is None and item.get("amount") not in (None, ""):
        notes.append(f"{where}: amount {text(item.get('amount'))[:20]!r} is not a number, ignored")
    if amount is not None and amount < 0:
        notes.append(f"{where}: a negative amount, ignored")
        amount = None
    valid_to = parse_date(item.get("valid_to"))
    if valid_to is not None and valid_to < today:
        notes.append(f"{where} was valid until {valid_to}; kept, but check it is still right")
    if amount is None and not option and not described:
        notes.append(f"{where} says nothing usable, ignored")
        return None
    return CostOption(cost_id, option, amount, described)


def read_contact(service: dict[str, Any]) -> Contact:
    """The first named (or reachable) contact."""
    for item in objects(service.get("contacts")):
        phones = objects(item.get("phones"))
        phone = text(phones[0].get("number")) if phones else text(item.get("phone"))
        email = text(item.get("email"))
        name = text(item.get("name"))
        if name or phone or email:
            return Contact(name, phone, email if "@" in email else "")
    phones = objects(service.get("phones"))
    return Contact(phone=text(phones[0].get("number"))) if phones else Contact()


def read_languages(value: Any, notes: list[str]) -> tuple[str, ...]:
    """Language names from objects (name, language or code) or plain texts."""
    names: list[str] = []
    unnamed = 0
    for item in value if isinstance(value, list) else []:
        name = text(item) if isinstance(item, str) else ""
        if isinstance(item, dict):
            name = text(item.get("name") or item.get("language") or item.get("code"))
        if name:
            names.append(name[:40])
        else:
            unnamed += 1
    if unnamed:
        notes.append(f"languages: {unnamed} without a name, ignored")
    return tuple(dict.fromkeys(names))


def read_areas(service: dict[str, Any], locations: tuple[Location, ...], notes: list[str]) -> tuple[str, ...]:
    """Short service area names (districts or neighbourhoods), then the postcode districts of the locations."""
    areas: list[str] = []
    for item in objects(service.get("service_areas")):
        name = text(item.get("name") or item.get("service_area"))
        if name and not is_placeholder(name, "name"):
            if len(name) <= AREA_NAME_LENGTH and len(name.split()) <= AREA_NAME_WORDS:
                areas.append(postcode_district(name) or normalise_neighbourhood(name))
            else:
                notes.append(f"service area {name[:30]!r}… is a description, not a place name, ignored")
        extent = item.get("extent")
        if extent not in (None, "") and not _is_geojson(extent):
            notes.append(f"extent {text(extent)[:30]!r} is not GeoJSON, ignored")
    areas += [district for place in locations if (district := postcode_district(place.postcode))]
    return tuple(dict.fromkeys(areas))


def _is_geojson(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False
    return isinstance(value, dict) and isinstance(value.get("type"), str)


def _term_words(term: dict[str, Any]) -> list[str]:
    return [word for key in ("term", "name", "code", "id") if (word := text(term.get(key)))]


def read_interests(service: dict[str, Any], taxonomy: Taxonomy, notes: list[str]) -> tuple[str, ...]:
    """Cairn's terms for the service's taxonomy terms (attributes, taxonomy_terms, service_taxonomys, interests)."""
    terms: list[dict[str, Any]] = []
    for attribute in objects(service.get("attributes")):
        if isinstance(attribute.get("taxonomy_term"), dict):
            terms.append(attribute["taxonomy_term"])
        else:
            notes.append(f"attribute {short(identifier(attribute.get('id')) or '?')} has no taxonomy term, ignored")
    terms += objects(service.get("taxonomy_terms"))
    terms += [
        item["taxonomy"] for item in objects(service.get("service_taxonomys")) if isinstance(item.get("taxonomy"), dict)
    ]
    own = [term for term in terms if text(term.get("taxonomy")) == INTEREST_TAXONOMY]
    exact = [text(term.get("term")) for term in own]
    terms = [term for term in terms if term not in own]
    words = [word for term in terms for word in _term_words(term)]
    plain = service.get("taxonomy_terms")
    words += [word for word in plain if isinstance(word, str)] if isinstance(plain, list) else []
    words += split_list(service.get("interests"))
    found = taxonomy.match(words, exact)
    unknown = sorted(
        {
            name
            for term in terms
            if (name := text(term.get("term") or term.get("name")))
            and not taxonomy.match([name])
            and not taxonomy.match(_term_words(term))
        }
    )
    if unknown:
        notes.append(f"taxonomy terms with no Cairn interest, ignored: {', '.join(repr(u[:30]) for u in unknown[:5])}")
    return found
