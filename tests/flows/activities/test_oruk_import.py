"""Open Referral UK import: real data is read leniently, every unusable value is reported, nothing ever raises."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.activities.model import ServiceStatus
from flows.activities.occurrences import has_future_sessions
from flows.activities.oruk_import import parse_document, parse_services
from flows.activities.taxonomy import bundled_taxonomy
from tests.flows.activities.generated import services

ROOT = Path(__file__).resolve().parents[3]
SHARED_EXAMPLE = ROOT.parent / "shared" / "data" / "openreferral-uk" / "service_full.json"
TODAY = date(2026, 11, 28)
TODAY_NOON = datetime(2026, 11, 28, 12, tzinfo=UTC)
TAXONOMY = bundled_taxonomy()


def read(data: Any) -> Any:
    return parse_services(data, 1, TAXONOMY, TODAY)


def test_the_shared_example_imports_and_the_report_names_what_could_not_be_used() -> None:
    assert SHARED_EXAMPLE.exists(), f"the shared Open Referral UK example is missing at {SHARED_EXAMPLE}"
    result = parse_document(SHARED_EXAMPLE.read_text(), SHARED_EXAMPLE.name, 1, TAXONOMY, TODAY)
    assert result.readable and not result.skipped and len(result.activities) == 1
    (activity,) = result.activities
    assert activity.id == "ac148810-d857-441c-9679-408f346de14b" and activity.name == "Community Counselling"
    assert activity.status is ServiceStatus.ACTIVE and (activity.minimum_age, activity.maximum_age) == (12, 100)
    (schedule,) = activity.schedules
    assert (schedule.freq, schedule.byday, schedule.bymonthday) == ("WEEKLY", ("TH", "FR"), (2, 3, 4))
    assert (schedule.opens_at, schedule.closes_at, schedule.valid_to) == (time(10), time(18), date(2005, 1, 1))
    assert not has_future_sessions(activity, TODAY_NOON)
    assert activity.cost_options[0].amount == 35 and activity.contact.name == "Ann Persona"
    report = "\n".join(result.notes)
    assert "schedule 48102e86… ended on 2005-01-01, kept but it has no future sessions" in report
    assert "fees 'fees_description' is a placeholder, ignored" in report
    assert "extent 'extent' is not GeoJSON, ignored" in report
    assert "a weekly schedule runs on TH,FR, bymonthday ignored" in report
    assert "service_at_location e94c9f38… has no location details, ignored" in report
    assert "accreditations (1)" in report  # fields Cairn does not keep are named


def test_a_single_service_a_list_and_paged_responses_are_all_accepted() -> None:
    one = {"id": "a", "name": "Walk", "status": "active", "url": ""}
    two = {"id": "b", "name": "Lunch", "status": "active", "url": ""}
    assert [a.id for a in read(one).activities] == ["a"]
    assert [a.id for a in read([one, two]).activities] == ["a", "b"]
    for key in ("contents", "content", "items"):
        page = {key: [one, two], "total_items": 7, "page_number": 1, "size": 2}
        result = read(page)
        assert [a.id for a in result.activities] == ["a", "b"]
        assert any("page 1 of a larger list (7 services in all)" in note for note in result.notes)
    assert not read({"unexpected": 1}).readable and not read(42).readable


def test_services_without_an_id_or_a_name_are_skipped_with_a_reason_and_the_rest_kept() -> None:
    result = read([{"name": "No id"}, {"id": "x"}, "junk", {"id": "ok", "name": "Fine"}, {"id": "y" * 65, "name": "L"}])
    assert [a.id for a in result.activities] == ["ok"]
    assert result.skipped == (
        "service #1: 'No id' has no id, skipped",
        "service #2: no name, skipped",
        "service #3: not a service object (str), skipped",
        "service #5: id 'yyyyyyyyyyyyyyyyyyyy…' is longer than 64 characters, skipped",
    )


def test_locations_give_districts_and_short_service_areas_give_neighbourhoods() -> None:
    service = {
        "id": "s",
        "name": "Garden group",
        "service_areas": [{"name": "Leith Walk"}, {"name": "EH7"}],
        "service_at_locations": [
            {
                "id": "l",
                "location": {
                    "id": "p",
                    "name": "Hall",
                    "latitude": "55.97",
                    "longitude": -3.17,
                    "addresses": [{"address_1": "1 Quay St", "city": "Leith", "postal_code": "eh6 5qg"}],
                    "accessibility": [{"description": "Step-free"}, {"accessibility": "Hearing loop"}],
                },
            }
        ],
        "attributes": [{"id": "t", "taxonomy_term": {"id": "x", "taxonomy": "local", "name": "Community garden"}}],
        "taxonomy_terms": ["Coffee morning"],
    }
    (activity,) = read(service).activities
    assert activity.areas == ("leith walk", "EH7", "EH6")
    place = activity.locations[0]
    assert (place.address, place.postcode, place.latitude) == ("1 Quay St, Leith", "EH6 5QG", 55.97)
    assert place.accessibility == ("Step-free", "Hearing loop")
    assert activity.interests == ("gardening", "social")


def test_schedules_are_read_leniently_and_every_problem_is_reported() -> None:
    service = {
        "id": "s",
        "name": "Club",
        "status": "Temporarily_Closed",
        "regular_schedules": [{"weekday": "Tuesday", "opens_at": "0930", "closes_at": "11:00Z"}],
        "schedules": [
            {"id": "m", "freq": "monthly", "byday": "-1FR, 1mo, XX", "bymonthday": "40", "opens_at": "09:00-05:00"},
            {"id": "y", "freq": "YEARLY"},
            {"id": "w", "freq": "WEEKLY", "interval": "two", "byday": "1MO", "dtstart": "2026-13-01"},
        ],
    }
    result = read(service)
    (activity,) = result.activities
    assert activity.status is ServiceStatus.TEMPORARILY_CLOSED
    monthly, weekly, tuesday = activity.schedules
    assert (monthly.byday, monthly.bymonthday, monthly.opens_at) == (("-1FR", "1MO"), (), time(9))
    assert (weekly.byday, weekly.interval, weekly.dtstart) == (("MO",), 1, None)
    assert (tuesday.freq, tuesday.byday, tuesday.opens_at) == ("WEEKLY", ("TU",), time(9, 30))
    report = "\n".join(result.notes)
    for expected in (
        "schedule m: day 'XX' is not understood, ignored",
        "schedule m: day '40' is not understood, ignored",
        "schedule m: opening times carry a UTC offset",
        "schedule y: freq 'YEARLY' is not understood, schedule ignored",
        "schedule w: interval 'two' is not a whole number, 1 used",
        "schedule w: dtstart '2026-13-01' is not a date, ignored",
    ):
        assert expected in report


def test_bad_values_are_dropped_with_a_note_and_fees_text_becomes_a_cost() -> None:
    service = {
        "id": "s",
        "name": "N",
        "email": "nope",
        "minimum_age": "old",
        "status": "gone",
        "fees": "Free, donations welcome",
    }
    result = read(service)
    (activity,) = result.activities
    assert activity.email == "" and activity.minimum_age is None and activity.status is ServiceStatus.ACTIVE
    assert activity.cost_options[0].amount == 0 and activity.is_free
    report = "\n".join(result.notes)
    assert "email 'nope' is not an email address, ignored" in report and "minimum_age 'old' is not an age" in report
    assert "status 'gone' is not one of" in report


def test_the_same_id_twice_keeps_the_last_one_and_says_so() -> None:
    result = read([{"id": "a", "name": "First"}, {"id": "a", "name": "Second"}])
    assert [a.name for a in result.activities] == ["Second"]
    assert any("appears more than once" in note for note in result.notes)


CSV = """id,name,Days,opens_at,closes_at,freq,postcode,address,cost,interests,area,languages,phone,unknown
c1,Walk and talk,"Monday;Thursday",10:00,11:30,WEEKLY,EH6 5QG,1 Quay St,free,walking;social,Leith,English;Polish,0131,x
c2,Monthly lunch,-1FR,12:00,,MONTHLY,G1 1AA,,£3.50,Lunch club,,,,
,No id,,,,,,,,,,,,
"""


def test_csv_rows_become_services_with_the_documented_columns() -> None:
    result = parse_document(CSV, "list.csv", 1, TAXONOMY, TODAY)
    assert result.readable and [a.id for a in result.activities] == ["c1", "c2"]
    walk, lunch = result.activities
    assert (walk.schedules[0].byday, walk.schedules[0].opens_at) == (("MO", "TH"), time(10))
    assert walk.is_free and walk.interests == ("walking", "social") and walk.areas == ("leith", "EH6")
    assert walk.languages == ("English", "Polish") and walk.contact.phone == "0131"
    assert lunch.schedules[0].byday == ("-1FR",) and lunch.cost_options[0].amount == 3.5
    assert lunch.interests == ("food", "social")
    assert result.skipped == ("service #3: 'No id' has no id, skipped",)
    assert "columns Cairn does not read, ignored: unknown" in result.notes


def test_unreadable_files_say_why() -> None:
    assert not parse_document("{not json", "x.json", 1, TAXONOMY, TODAY).readable
    assert not parse_document("just,some\nwords,here\n", "x.csv", 1, TAXONOMY, TODAY).readable
    assert not parse_document("", "x.txt", 1, TAXONOMY, TODAY).readable
    assert parse_document(json.dumps([{"id": "a", "name": "b"}]), "no-extension", 1, TAXONOMY, TODAY).readable


def test_two_thousand_generated_services_import_with_the_broken_ones_skipped_or_reported() -> None:
    generated = services()
    result = read({"contents": generated, "total_items": len(generated)})
    unusable = [
        s for s in generated if not isinstance(s, dict) or not isinstance(s.get("id"), str) or not s.get("name")
    ]
    assert len(result.activities) == len(generated) - len(unusable) and len(result.skipped) == len(unusable)
    assert 0 < len(unusable) < 100
    assert any("freq 'YEARLY' is not understood" in note for note in result.notes)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
FIELDS = ["id", "name", "status", "schedules", "service_at_locations", "cost_options", "attributes", "service_areas",
          "languages", "contacts", "fees", "minimum_age", "email", "taxonomy_terms", "interests", "timezone",
          "regular_schedules", "locations", "freq", "byday", "bymonthday", "opens_at", "valid_to", "location",
          "addresses", "latitude", "amount", "extent", "taxonomy_term", "contents", "phones"]  # fmt: skip
SHAPED = st.recursive(
    st.none() | st.integers(-40, 40) | st.floats() | st.sampled_from(["", "MO", "-1FR", "10:00", "2026-01-01", "x"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), children, max_size=8),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSONISH, SHAPED))
def test_no_json_like_input_makes_the_importer_raise(data: Any) -> None:
    result = read(data)
    assert result.readable in (True, False)
    for activity in result.activities:
        assert activity.id and activity.name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["x.json", "x.csv", "x"]))
def test_no_text_makes_the_file_reader_raise(content: str, name: str) -> None:
    parse_document(content, name, 1, TAXONOMY, TODAY)
