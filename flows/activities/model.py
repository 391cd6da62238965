"""Activities as plain values, shaped after the Open Referral UK service (see ../shared/data/openreferral-uk)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class ServiceStatus(StrEnum):
    """Open Referral UK service status."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


@dataclass(frozen=True)
class Schedule:
    """When an activity runs: an iCalendar-style recurrence (freq set) or a one-off event (freq None, dtstart)."""

    id: str
    freq: str | None = None  # "DAILY", "WEEKLY", "MONTHLY"; None for a one-off on `dtstart`
    interval: int = 1
    byday: tuple[str, ...] = ()  # "MO" … "SU", for MONTHLY optionally with an ordinal: "1MO", "-1FR"
    bymonthday: tuple[int, ...] = ()
    dtstart: date | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    description: str = ""


@dataclass(frozen=True)
class Location:
    """Where an activity happens."""

    id: str
    name: str = ""
    address: str = ""  # one line, as a member would read it
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accessibility: tuple[str, ...] = ()  # plain phrases: "step-free access", "accessible toilet"


@dataclass(frozen=True)
class CostOption:
    """What an activity costs; an amount of 0 (or none with the word free) means free."""

    id: str
    option: str = ""
    amount: float | None = None
    amount_description: str = ""


@dataclass(frozen=True)
class Contact:
    """Who to ask about an activity."""

    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Activity:
    """One listed activity (an Open Referral UK service) of a Cairn organisation.

    `interests` are Cairn's taxonomy terms (flows/activities/data/taxonomy.json), which also carry the
    "moment" tags that suggestions use (social, low-barrier, calm, small-group).
    `areas` are the postcode districts and neighbourhood names it serves, normalised (upper-case district,
    lower-case neighbourhood name).
    """

    id: str  # the Open Referral UK service id (stable across re-imports)
    organisation_id: int
    name: str
    description: str = ""
    status: ServiceStatus = ServiceStatus.ACTIVE
    url: str = ""
    email: str = ""
    timezone: str = "Europe/London"
    schedules: tuple[Schedule, ...] = ()
    locations: tuple[Location, ...] = ()
    cost_options: tuple[CostOption, ...] = ()
    contact: Contact = field(default_factory=Contact)
    minimum_age: int | None = None
    maximum_age: int | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    cancelled_dates: frozenset[date] = frozenset()  # sessions cancelled, as local dates

    @property
    def is_free(self) -> bool:
        """True when no cost option asks for money."""
        return all(not option.amount for option in self.cost_options)


@dataclass(frozen=True)
class Occurrence:
    """One session of an activity, in the activity's time zone (aware datetimes)."""

    activity_id: str
    starts_at: datetime
    ends_at: datetime | None = None
    all_day: bool = False  # no opening time was given: starts_at is local midnight
