"""A seeded generator of Open Referral UK services: varied schedules, places, costs and terms, some broken."""

from __future__ import annotations

import random
import uuid
from typing import Any

POSTCODES = ["EH6 5QG", "EH7 4AB", "G1 1AA", "G42 8XY", "M1 2AB", "LS6 3QN", "CF10 1AA", "BS1 4DJ", "IV2 3HH"]
NEIGHBOURHOODS = ["Leith", "Gorgie", "Govanhill", "Easter Road", "Hyde Park"]
WORDS = ["Walking", "Lunch club", "Peer support", "Knitting", "Community garden", "Choir", "Book club", "Yoga",
         "Stay and play", "Digital inclusion", "Volunteering", "Coffee morning", "Drop-in", "Mindfulness",
         "Housing advice", "Debt advice"]  # fmt: skip
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
KINDS = ["walk", "lunch club", "craft circle", "choir", "garden group", "coffee morning", "tech help"]


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _schedule(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["weekly", "weekly", "fortnightly", "monthly-nth", "monthly-day", "daily", "one-off", "both"])
    hour = rng.randint(8, 19)
    item: dict[str, Any] = {"id": _id(rng), "opens_at": f"{hour:02d}:{rng.choice(['00', '30'])}"}
    if rng.random() < 0.8:
        item["closes_at"] = f"{hour + rng.randint(1, 3):02d}:00:00"
    start = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    match kind:
        case "weekly":
            item |= {"freq": "WEEKLY", "interval": 1, "byday": ",".join(rng.sample(DAYS, rng.randint(1, 3)))}
        case "fortnightly":
            item |= {"freq": "WEEKLY", "interval": 2, "byday": rng.choice(DAYS), "dtstart": start}
        case "monthly-nth":
            item |= {
                "freq": "MONTHLY",
                "interval": 1,
                "byday": f"{rng.choice(['1', '2', '3', '-1'])}{rng.choice(DAYS)}",
            }
        case "monthly-day":
            item |= {
                "freq": "MONTHLY",
                "interval": rng.choice([1, 3]),
                "bymonthday": str(rng.randint(1, 28)),
                "dtstart": start,
            }
        case "daily":
            item |= {"freq": "DAILY", "interval": 1}
        case "one-off":
            item |= {"dtstart": start, "description": "A one-off event"}
        case _:
            item |= {"freq": "WEEKLY", "interval": 1, "byday": "TH,FR", "bymonthday": "2,3,4"}
    if rng.random() < 0.1:
        item |= {"valid_from": "2020-01-01", "valid_to": "2021-06-30"}  # expired
    elif rng.random() < 0.2:
        item |= {"valid_from": "2026-01-01", "valid_to": "2027-12-31"}
    return item


def _location(rng: random.Random) -> dict[str, Any]:
    place: dict[str, Any] = {
        "id": _id(rng),
        "name": f"{rng.choice(['St Mary', 'Riverside', 'Old School', 'Library'])} hall",
        "addresses": [
            {
                "id": _id(rng),
                "address_1": f"{rng.randint(1, 200)} {rng.choice(['High Street', 'Quay Street', 'Park Road'])}",
                "city": rng.choice(["Edinburgh", "Glasgow", "Leeds", ""]),
                "postal_code": rng.choice(POSTCODES),
            }
        ],
    }
    if rng.random() < 0.8:
        place |= {"latitude": round(rng.uniform(50, 58), 5), "longitude": round(rng.uniform(-5, 1), 5)}
    if rng.random() < 0.5:
        place["accessibility"] = [{"id": _id(rng), "description": rng.choice(["Step-free access", "Hearing loop"])}]
    return {"id": _id(rng), "location": place}


def _cost(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"id": _id(rng), "option": "Everyone", "amount": 0, "amount_description": "Free"}
    return {"id": _id(rng), "option": rng.choice(["Adults", "Concessions"]), "amount": rng.choice([1, 2.5, 3.5])}


def _terms(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"id": _id(rng), "link_type": "service", "taxonomy_term": {"id": _id(rng), "taxonomy": "local", "name": word}}
        for word in rng.sample(WORDS, rng.randint(0, 3))
    ]


def good_service(rng: random.Random, n: int) -> dict[str, Any]:
    """A usable service (it may still carry values the importer reports)."""
    service: dict[str, Any] = {
        "id": _id(rng),
        "name": f"{rng.choice(KINDS).title()} {n}",
        "description": f"Service number {n}. Everyone welcome.",
        "url": f"https://example.org/services/{n}",
        "email": f"hello{n}@example.org",
        "status": rng.choices(["active", "inactive", "temporarily closed", "defunct"], [85, 5, 5, 5])[0],
        "schedules": [_schedule(rng) for _ in range(rng.randint(0, 2))],
        "service_at_locations": [_location(rng) for _ in range(rng.randint(0, 2))],
        "cost_options": [_cost(rng) for _ in range(rng.randint(0, 2))],
        "attributes": _terms(rng),
        "service_areas": [{"id": _id(rng), "name": rng.choice(NEIGHBOURHOODS)}] if rng.random() < 0.4 else [],
        "languages": [
            {"id": _id(rng), "name": name} for name in rng.sample(["English", "Polish", "Urdu"], rng.randint(0, 2))
        ],
        "contacts": [{"id": _id(rng), "name": "Sam", "phones": [{"id": _id(rng), "number": "0131 000 0000"}]}],
    }
    if rng.random() < 0.3:
        service |= {"minimum_age": rng.choice([0, 16, 18, 50]), "maximum_age": 120}
    if rng.random() < 0.05:
        service["fees"] = "fees_description"
    if rng.random() < 0.05:
        service["service_areas"] = [{"id": _id(rng), "name": "MyCity", "extent": "extent", "extent_type": "geojson"}]
    return service


def broken_service(rng: random.Random, n: int) -> Any:
    """A record the importer must skip or partly ignore, never crash on."""
    choice = rng.randrange(7)
    base = good_service(rng, n)
    if choice == 0:
        base.pop("id")
    elif choice == 1:
        base["name"] = ""
    elif choice == 2:
        return ["not", "a", "service"]
    elif choice == 3:
        base["id"] = {"nested": True}
    elif choice == 4:
        base["schedules"] = [{"id": _id(rng), "freq": "YEARLY", "dtstart": "not a date", "opens_at": "25:99"}]
    elif choice == 5:
        base |= {"email": "not an email", "minimum_age": "old", "status": "closed for good"}
    else:
        base["service_at_locations"] = [{"id": _id(rng)}, "junk", {"location": {"latitude": "north"}}]
    return base


def services(count: int = 2000, seed: int = 2026, broken_share: float = 0.03) -> list[Any]:
    """A reproducible list of services, about `broken_share` of them broken."""
    rng = random.Random(seed)
    return [broken_service(rng, n) if rng.random() < broken_share else good_service(rng, n) for n in range(count)]
