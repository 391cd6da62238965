"""Open Referral UK export: valid against the standard's schema, and import -> export -> import is stable."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path

from flows.activities.model import Activity, Contact, CostOption, Location, Schedule
from flows.activities.oruk_export import ExportOrganisation, paged, service_object
from flows.activities.oruk_import import parse_services
from flows.activities.taxonomy import bundled_taxonomy
from tests.flows.activities.generated import services
from tests.flows.activities.schema import problems

ROOT = Path(__file__).resolve().parents[3]
SHARED_EXAMPLE = ROOT.parent / "shared" / "data" / "openreferral-uk" / "service_full.json"
TODAY = date(2026, 11, 28)
TAXONOMY = bundled_taxonomy()
OWNER = ExportOrganisation("hillside", "Hillside Community Hub")


def round_trip(data: object) -> tuple[list[dict], list[dict], tuple[Activity, ...], tuple[Activity, ...]]:
    first = parse_services(data, 1, TAXONOMY, TODAY).activities
    exported = [service_object(activity, OWNER, {"walking": "Walking"}) for activity in first]
    second = parse_services(exported, 1, TAXONOMY, TODAY).activities
    again = [service_object(activity, OWNER, {"walking": "Walking"}) for activity in second]
    return exported, again, first, second


def test_the_schema_accepts_the_standards_own_example_and_refuses_a_broken_service() -> None:
    assert problems(json.loads(SHARED_EXAMPLE.read_text())) == []
    assert problems({"id": "not-a-uuid", "name": 3, "status": "open"}) != []
    assert "url is required by the UK profile" in problems(
        {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "x", "status": "active"}
    )


def test_the_shared_example_exports_valid_and_round_trips() -> None:
    exported, again, first, second = round_trip(json.loads(SHARED_EXAMPLE.read_text()))
    assert [problems(service) for service in exported] == [[]]
    assert again == exported and second == first


def test_every_field_cairn_keeps_survives_export_and_import() -> None:
    activity = Activity(
        id="6f4c7c39-9a4b-4a8e-9f0e-2d3c1b0a9e8d",
        organisation_id=1,
        name="Walk and talk",
        description="Gentle",
        url="https://example.org/walk",
        email="walk@example.org",
        timezone="Europe/Dublin",
        schedules=(
            Schedule(
                "b1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f",
                "MONTHLY",
                2,
                ("-1FR", "1MO"),
                (1, -1),
                date(2026, 1, 2),
                date(2026, 1, 1),
                date(2027, 1, 1),
                time(10, 30),
                time(12, 0, 30),
                "Last Fridays",
            ),
            Schedule("c1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", None, 1, (), (), date(2026, 12, 24), opens_at=time(18)),
        ),
        locations=(
            Location(
                "d1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", "Hall", "1 Quay St", "EH6 5QG", 55.9, -3.1, ("Step-free",)
            ),
        ),
        cost_options=(CostOption("e1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", "Adults", 2.5, "per session"),),
        contact=Contact("Sam", "0131 000 0000", "sam@example.org"),
        minimum_age=16,
        maximum_age=99,
        languages=("English", "Gaelic"),
        interests=("walking", "social"),
        areas=("leith", "EH6"),
    )
    service = service_object(activity, OWNER)
    assert problems(service) == []
    (back,) = parse_services(service, 1, TAXONOMY, TODAY).activities
    assert back == activity


def test_daily_schedules_are_written_as_weekly_and_every_three_days_is_left_out_with_a_warning() -> None:
    activity = Activity(
        id="6f4c7c39-9a4b-4a8e-9f0e-2d3c1b0a9e8d",
        organisation_id=1,
        name="Daily",
        schedules=(
            Schedule("b1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", "DAILY", opens_at=time(9)),
            Schedule("c1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", "DAILY", 3, dtstart=date(2026, 1, 1), opens_at=time(9)),
            Schedule("d1c7e1c2-5d0a-4c3e-8f4e-1a2b3c4d5e6f", "DAILY", 14, dtstart=date(2026, 1, 1), opens_at=time(9)),
        ),
    )
    warnings: list[str] = []
    service = service_object(activity, None, None, warnings)
    assert problems(service) == []
    assert [(s["freq"], s["interval"], s["byday"]) for s in service["schedules"]] == [
        ("WEEKLY", 1, "MO,TU,WE,TH,FR,SA,SU"),
        ("WEEKLY", 2, "TH"),  # 1 January 2026 was a Thursday
    ]
    assert warnings == [
        "service 6f4c7c39…: schedule c1c7e1c2… repeats every 3 days, which the standard cannot express; left out"
    ]


def test_two_thousand_generated_services_export_valid_and_the_second_export_equals_the_first() -> None:
    exported, again, first, second = round_trip(services())
    assert len(exported) > 1900
    invalid = {service["id"]: found for service in exported if (found := problems(service))}
    assert invalid == {}
    assert again == exported
    assert {a.id for a in second} == {a.id for a in first}


def test_a_page_says_where_it_is() -> None:
    page = paged([{"id": "a"}], total=101, page=3, per_page=50)
    assert page == {
        "total_items": 101,
        "total_pages": 3,
        "page_number": 3,
        "size": 50,
        "first_page": False,
        "last_page": True,
        "empty": False,
        "contents": [{"id": "a"}],
    }
    assert paged([], 0, 1, 50)["empty"] and paged([], 0, 1, 50)["last_page"]
