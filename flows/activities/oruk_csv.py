"""Activities from a CSV file, one row per service, turned into Open Referral UK service objects (pure).

Columns (a header row is required; names are case-insensitive, order free, unknown columns are reported):

    id, name                  required; a row without either is skipped
    description, url, email, status (active | inactive | defunct | temporarily closed)
    location_name, address, postcode, latitude, longitude, accessibility (phrases separated by ";")
    freq (DAILY | WEEKLY | MONTHLY; empty for a one-off on dtstart), interval,
    byday (also "days" or "day": "MO,TH", "Monday;Thursday", "1MO" or "-1FR" for MONTHLY), bymonthday,
    dtstart, valid_from, valid_to (YYYY-MM-DD), opens_at, closes_at (HH:MM), schedule_description
    cost ("free", "0", "3.50" or "£3.50"), cost_description
    interests (Cairn's terms or Open Referral UK words, separated by ";")
    area (postcode districts or neighbourhood names, separated by ";")
    contact_name, phone, minimum_age, maximum_age, languages (separated by ";"), timezone (e.g. Europe/London)
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flows.activities.oruk_values import make_id

COLUMNS = (
    "id", "name", "description", "url", "email", "status", "location_name", "address", "postcode", "latitude",
    "longitude", "accessibility", "freq", "interval", "byday", "bymonthday", "dtstart", "valid_from", "valid_to",
    "opens_at", "closes_at", "schedule_description", "cost", "cost_description", "interests", "area",
    "contact_name", "phone", "minimum_age", "maximum_age", "languages", "timezone",
)  # fmt: skip
ALIASES = {"days": "byday", "day": "byday", "areas": "area", "interest": "interests", "language": "languages"}
SCHEDULE_COLUMNS = ("freq", "byday", "bymonthday", "dtstart", "opens_at")


def _several(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def _row_service(row: dict[str, str]) -> dict[str, Any]:
    service_id = row.get("id", "")
    service: dict[str, Any] = {
        key: row[key]
        for key in ("id", "name", "description", "url", "email", "status", "minimum_age", "maximum_age", "timezone")
        if row.get(key)
    }
    if any(row.get(key) for key in SCHEDULE_COLUMNS):
        schedule = {key: row[key] for key in ("freq", "interval", "dtstart") if row.get(key)}
        schedule |= {key: row[key].replace(";", ",") for key in ("byday", "bymonthday") if row.get(key)}
        schedule |= {key: row[key] for key in ("valid_from", "valid_to", "opens_at", "closes_at") if row.get(key)}
        schedule["id"] = make_id(service_id, "schedule", 0)
        schedule["description"] = row.get("schedule_description", "")
        service["schedules"] = [schedule]
    if any(row.get(key) for key in ("location_name", "address", "postcode", "latitude", "longitude")):
        location: dict[str, Any] = {"id": make_id(service_id, "location", 0), "name": row.get("location_name", "")}
        location["addresses"] = [{"address_1": row.get("address", ""), "postal_code": row.get("postcode", "")}]
        location |= {key: row[key] for key in ("latitude", "longitude") if row.get(key)}
        location["accessibility"] = [{"description": phrase} for phrase in row.get("accessibility", "").split(";")]
        service["service_at_locations"] = [{"id": make_id(service_id, "at", 0), "location": location}]
    if row.get("cost") or row.get("cost_description"):
        cost = row.get("cost", "")
        amount: Any = 0 if cost.strip().lower() == "free" else cost
        described = row.get("cost_description") or ("Free" if cost.strip().lower() == "free" else "")
        service["cost_options"] = [
            {"id": make_id(service_id, "cost", 0), "amount": amount, "amount_description": described}
        ]
    if row.get("contact_name") or row.get("phone"):
        service["contacts"] = [{"name": row.get("contact_name", ""), "phones": [{"number": row.get("phone", "")}]}]
    service["interests"] = _several(row.get("interests", ""))
    service["service_areas"] = [{"name": name} for name in _several(row.get("area", ""))]
    service["languages"] = [{"name": name} for name in _several(row.get("languages", ""))]
    return service


def csv_services(content: str) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """Turn CSV text into service objects; None (with the reason) when it has no usable header."""
    reader = csv.reader(io.StringIO(content.replace("\x00", "")), strict=False)
    notes: list[str] = []
    services: list[dict[str, Any]] = []
    try:
        header = next(reader, None)
        if not header:
            return None, ["the file is empty"]
        names = [ALIASES.get(name.strip().lower(), name.strip().lower()) for name in header]
        if "id" not in names or "name" not in names:
            return None, ["the CSV has no 'id' and 'name' columns (see the column list in README)"]
        unknown = sorted({name for name in names if name and name not in COLUMNS})
        if unknown:
            notes.append(f"columns Cairn does not read, ignored: {', '.join(unknown[:10])}")
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(names):
                notes.append(f"row {line}: more cells than columns; the extra ones are ignored")
            row = {name: cell.strip() for name, cell in zip(names, cells, strict=False) if name in COLUMNS}
            services.append(_row_service(row))
    except csv.Error as error:
        if not services:
            return None, [f"the CSV cannot be read ({str(error)[:80]})"]
        notes.append(f"the CSV could not be read past row {len(services) + 1} ({str(error)[:80]})")
    return services, notes
