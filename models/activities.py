"""The activities directory: read and write Open Referral UK services as `Activity` values, in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.activities.facts import activity_key
from flows.activities.model import Activity, Contact, CostOption, Location, Schedule, ServiceStatus
from models.activity_tables import (
    ORUK_ID_LENGTH,
    ActivityCancellation,
    ActivityCostRow,
    ActivityLocationRow,
    ActivityRow,
    ActivityScheduleRow,
)
from models.tables import Organisation

CHUNK = 500
"""Ids per IN (...) clause: well under SQLite's and asyncpg's parameter limits."""

ChildTable = type[ActivityScheduleRow] | type[ActivityLocationRow] | type[ActivityCostRow]
_CHILDREN: tuple[ChildTable, ...] = (ActivityScheduleRow, ActivityLocationRow, ActivityCostRow)


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: ids added, updated, unchanged, and ids refused because another organisation owns them."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    over_limit: tuple[str, ...] = ()
    """New ids refused because the organisation would list more than its limit (then nothing at all is written)."""
    limit: int | None = None

    @property
    def refused_for_limit(self) -> bool:
        """Say whether nothing was written because the organisation's listing limit would be passed."""
        return bool(self.over_limit)


@dataclass
class _Loaded:
    rows: list[ActivityRow]
    children: dict[int, dict[ChildTable, list[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    cancelled: dict[int, set[date]] = field(default_factory=lambda: defaultdict(set))


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _status(value: str) -> ServiceStatus:
    try:
        return ServiceStatus(value)
    except ValueError:
        return ServiceStatus.INACTIVE


def _activity(row: ActivityRow, children: dict[ChildTable, list[Any]], cancelled: set[date]) -> Activity:
    return Activity(
        id=row.oruk_id,
        organisation_id=row.organisation_id,
        name=row.name,
        description=row.description,
        status=_status(row.status),
        url=row.url,
        email=row.email,
        timezone=row.timezone,
        schedules=tuple(_schedule(s) for s in children[ActivityScheduleRow]),
        locations=tuple(_location(x) for x in children[ActivityLocationRow]),
        cost_options=tuple(
            CostOption(c.oruk_id, c.option, c.amount, c.amount_description) for c in children[ActivityCostRow]
        ),
        contact=Contact(row.contact_name, row.contact_phone, row.contact_email),
        minimum_age=row.minimum_age,
        maximum_age=row.maximum_age,
        languages=tuple(row.languages or ()),
        interests=tuple(row.interests or ()),
        areas=tuple(row.areas or ()),
        cancelled_dates=frozenset(cancelled),
    )


def _schedule(row: ActivityScheduleRow) -> Schedule:
    return Schedule(
        id=row.oruk_id,
        freq=row.freq,
        interval=row.interval,
        byday=tuple(part for part in row.byday.split(",") if part),
        bymonthday=tuple(int(part) for part in row.bymonthday.split(",") if part),
        dtstart=row.dtstart,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        description=row.description,
    )


def _location(row: ActivityLocationRow) -> Location:
    return Location(
        row.oruk_id, row.name, row.address, row.postcode, row.latitude, row.longitude, tuple(row.accessibility or ())
    )


def _columns(activity: Activity, organisation_id: int, now: datetime) -> dict[str, Any]:
    return {
        "oruk_id": activity.id,
        "organisation_id": organisation_id,
        "name": activity.name,
        "description": activity.description,
        "status": activity.status.value,
        "url": activity.url,
        "email": activity.email,
        "timezone": activity.timezone,
        "minimum_age": activity.minimum_age,
        "maximum_age": activity.maximum_age,
        "languages": list(activity.languages),
        "interests": list(activity.interests),
        "areas": list(activity.areas),
        "contact_name": activity.contact.name,
        "contact_phone": activity.contact.phone,
        "contact_email": activity.contact.email,
        "updated_at": now,
    }


def _child_rows(activity: Activity, activity_id: int) -> dict[ChildTable, list[dict[str, Any]]]:
    schedules = [
        {
            "activity_id": activity_id,
            "position": position,
            "oruk_id": s.id,
            "freq": s.freq,
            "interval": s.interval,
            "byday": ",".join(s.byday),
            "bymonthday": ",".join(str(day) for day in s.bymonthday),
            "dtstart": s.dtstart,
            "valid_from": s.valid_from,
            "valid_to": s.valid_to,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "description": s.description,
        }
        for position, s in enumerate(activity.schedules)
    ]
    locations = [
        {
            "activity_id": activity_id,
            "position": position,
            "oruk_id": x.id,
            "name": x.name,
            "address": x.address,
            "postcode": x.postcode,
            "latitude": x.latitude,
            "longitude": x.longitude,
            "accessibility": list(x.accessibility),
        }
        for position, x in enumerate(activity.locations)
    ]
    costs = [
        {
            "activity_id": activity_id,
            "position": position,
            "oruk_id": c.id,
            "option": c.option,
            "amount": c.amount,
            "amount_description": c.amount_description,
        }
        for position, c in enumerate(activity.cost_options)
    ]
    return {ActivityScheduleRow: schedules, ActivityLocationRow: locations, ActivityCostRow: costs}


def _clip(value: str, column: Any) -> str:
    length = getattr(column.type, "length", None)
    return value[:length] if length else value


def fit(activity: Activity) -> Activity:
    """Cut text to the stored column lengths, as it will read back (ids must already fit)."""
    if len(activity.id) > ORUK_ID_LENGTH:
        raise ValueError(f"an activity id is longer than {ORUK_ID_LENGTH} characters")
    a, s, x, c = ActivityRow, ActivityScheduleRow, ActivityLocationRow, ActivityCostRow
    return replace(
        activity,
        name=_clip(activity.name, a.name),
        url=_clip(activity.url, a.url),
        email=_clip(activity.email, a.email),
        timezone=_clip(activity.timezone, a.timezone),
        contact=Contact(
            _clip(activity.contact.name, a.contact_name),
            _clip(activity.contact.phone, a.contact_phone),
            _clip(activity.contact.email, a.contact_email),
        ),
        schedules=tuple(
            replace(item, id=_clip(item.id, s.oruk_id), freq=_clip(item.freq, s.freq) if item.freq else item.freq)
            for item in activity.schedules
        ),
        locations=tuple(
            replace(
                item,
                id=_clip(item.id, x.oruk_id),
                name=_clip(item.name, x.name),
                address=_clip(item.address, x.address),
                postcode=_clip(item.postcode, x.postcode),
            )
            for item in activity.locations
        ),
        cost_options=tuple(
            replace(
                item,
                id=_clip(item.id, c.oruk_id),
                option=_clip(item.option, c.option),
                amount_description=_clip(item.amount_description, c.amount_description),
            )
            for item in activity.cost_options
        ),
    )


def _same_listing(old: Activity, new: Activity) -> bool:
    """Compare what an import can change (not the cancelled sessions, which Cairn keeps)."""
    return old == replace(new, cancelled_dates=old.cancelled_dates)


class ActivityRepository:
    """Activities of organisations, as `flows.activities.model.Activity` values; lists load in a few queries."""

    def __init__(self, session: AsyncSession, most_per_organisation: int | None = None) -> None:
        """Work inside the given session; with `most_per_organisation`, refuse to list more for one organisation."""
        self._session = session
        self.most_per_organisation = most_per_organisation

    async def _load(self, query: Select[ActivityRow]) -> list[Activity]:
        rows = list(await self._session.scalars(query))
        if not rows:
            return []
        loaded = _Loaded(rows)
        ids = [row.id for row in rows]
        for chunk in _chunks(ids):
            for table in _CHILDREN:
                children: Iterable[Any] = await self._session.scalars(
                    select(table).where(table.activity_id.in_(chunk)).order_by(table.activity_id, table.position)
                )
                for child in children:
                    loaded.children[child.activity_id][table].append(child)
            cancelled = await self._session.execute(
                select(ActivityCancellation.activity_id, ActivityCancellation.local_date).where(
                    ActivityCancellation.activity_id.in_(chunk)
                )
            )
            for activity_id, local_date in cancelled:
                loaded.cancelled[activity_id].add(local_date)
        return [_activity(row, loaded.children[row.id], loaded.cancelled[row.id]) for row in rows]

    async def get(self, activity_id: str, organisation_id: int | None = None) -> Activity | None:
        """Find an activity by its Open Referral UK id, only within an organisation when one is given."""
        query = select(ActivityRow).where(ActivityRow.oruk_id == activity_id)
        if organisation_id is not None:
            query = query.where(ActivityRow.organisation_id == organisation_id)
        found = await self._load(query)
        return found[0] if found else None

    async def get_many(self, activity_ids: Sequence[str], organisation_id: int | None = None) -> list[Activity]:
        """Find several activities by id (unknown ids are left out), in no particular order."""
        found: list[Activity] = []
        for chunk in _chunks(list(dict.fromkeys(activity_ids))):
            query = select(ActivityRow).where(ActivityRow.oruk_id.in_(chunk))
            if organisation_id is not None:
                query = query.where(ActivityRow.organisation_id == organisation_id)
            found.extend(await self._load(query))
        return found

    async def for_organisation(self, organisation_id: int, include_defunct: bool = False) -> list[Activity]:
        """List an organisation's activities by name (defunct ones only when asked)."""
        query = select(ActivityRow).where(ActivityRow.organisation_id == organisation_id)
        if not include_defunct:
            query = query.where(ActivityRow.status != ServiceStatus.DEFUNCT.value)
        return await self._load(query.order_by(ActivityRow.name, ActivityRow.id))

    async def organisation_page(self, organisation_id: int, offset: int, limit: int) -> tuple[list[Activity], int]:
        """Return one page of an organisation's activities (not defunct) by name, and how many there are."""
        condition = (ActivityRow.organisation_id == organisation_id) & self._listed(False)
        total = int(await self._session.scalar(select(func.count()).select_from(ActivityRow).where(condition)) or 0)
        query = select(ActivityRow).where(condition).order_by(ActivityRow.name, ActivityRow.id)
        return await self._load(query.offset(offset).limit(limit)), total

    async def batches(self, organisation_id: int, size: int = 100) -> AsyncIterator[list[Activity]]:
        """An organisation's activities (not defunct) by name, `size` at a time, for a caller that must go through
        them all and lets other work run between two batches (the bot and the dashboard share one event loop)."""
        offset, total = 0, 1
        while offset < total:
            page, total = await self.organisation_page(organisation_id, offset, size)
            if page:
                yield page
            offset += size

    async def by_key(self, organisation_id: int, key: str, include_defunct: bool = False) -> Activity | None:
        """Find an organisation's activity by its short button key, reading ids only until the one is found."""
        query = select(ActivityRow.oruk_id).where(ActivityRow.organisation_id == organisation_id)
        if not include_defunct:
            query = query.where(self._listed(False))
        found = next((oruk_id for oruk_id in await self._session.scalars(query) if activity_key(oruk_id) == key), None)
        return await self.get(found, organisation_id) if found is not None else None

    def _listed(self, include_defunct: bool) -> ColumnElement[bool]:
        return ActivityRow.status != ServiceStatus.DEFUNCT.value if not include_defunct else ActivityRow.id.is_not(None)

    async def page(self, offset: int, limit: int, include_defunct: bool = False) -> tuple[list[Activity], int]:
        """Return one page of every organisation's activities (ordered by id) and the total count."""
        condition = self._listed(include_defunct)
        total = int(await self._session.scalar(select(func.count()).select_from(ActivityRow).where(condition)) or 0)
        query = select(ActivityRow).where(condition).order_by(ActivityRow.oruk_id).offset(offset).limit(limit)
        return await self._load(query), total

    async def count(self, organisation_id: int | None = None) -> int:
        """Count activities, of one organisation or of all."""
        query = select(func.count()).select_from(ActivityRow)
        if organisation_id is not None:
            query = query.where(ActivityRow.organisation_id == organisation_id)
        return int(await self._session.scalar(query) or 0)

    async def upsert(self, organisation_id: int, activity: Activity, now: datetime) -> UpsertResult:
        """Add or update one activity (see `upsert_many`)."""
        return await self.upsert_many(organisation_id, [activity], now)

    async def upsert_many(self, organisation_id: int, activities: Sequence[Activity], now: datetime) -> UpsertResult:
        """Add new ids, update changed ones, leave unchanged ones; never touch another organisation's id.

        The cancelled sessions of an updated activity are kept. Later duplicates of an id in `activities` win.
        """
        latest = {activity.id: fit(replace(activity, organisation_id=organisation_id)) for activity in activities}
        existing: dict[str, tuple[int, int]] = {}  # oruk id -> (row id, organisation id)
        for chunk in _chunks(list(latest)):
            result = await self._session.execute(
                select(ActivityRow.oruk_id, ActivityRow.id, ActivityRow.organisation_id).where(
                    ActivityRow.oruk_id.in_(chunk)
                )
            )
            existing.update({oruk_id: (row_id, owner) for oruk_id, row_id, owner in result})
        conflicts = [key for key, (_, owner) in existing.items() if owner != organisation_id]
        new = [key for key in latest if key not in existing]
        if new and await self._over_limit(organisation_id, len(new)):
            return UpsertResult(conflicts=tuple(conflicts), over_limit=tuple(new), limit=self.most_per_organisation)
        ours = [key for key in latest if key in existing and key not in conflicts]
        current = {activity.id: activity for activity in await self.get_many(ours, organisation_id)}
        changed = [key for key in ours if not _same_listing(current[key], latest[key])]
        unchanged = [key for key in ours if key not in changed]
        if new:
            await self._session.execute(
                insert(ActivityRow), [_columns(latest[key], organisation_id, now) for key in new]
            )
            for chunk in _chunks(new):
                added = await self._session.execute(
                    select(ActivityRow.oruk_id, ActivityRow.id).where(ActivityRow.oruk_id.in_(chunk))
                )
                existing.update({oruk_id: (row_id, organisation_id) for oruk_id, row_id in added})
        if changed:
            row_ids = [existing[key][0] for key in changed]
            for chunk in _chunks(row_ids):
                for table in _CHILDREN:
                    await self._session.execute(delete(table).where(table.activity_id.in_(chunk)))
            await self._session.execute(
                update(ActivityRow),
                [{"id": existing[key][0], **_columns(latest[key], organisation_id, now)} for key in changed],
            )
        children: dict[ChildTable, list[dict[str, Any]]] = defaultdict(list)
        for key in [*new, *changed]:
            for table, rows in _child_rows(latest[key], existing[key][0]).items():
                children[table].extend(rows)
        for table, rows in children.items():
            if rows:
                await self._session.execute(insert(table), rows)
        await self._session.flush()
        return UpsertResult(tuple(new), tuple(changed), tuple(unchanged), tuple(conflicts))

    async def new_over_limit(self, organisation_id: int, activity_ids: Sequence[str]) -> int:
        """How many of these ids would be new listings, when adding them would pass the organisation's limit; 0 when
        they fit (ids another organisation holds are not counted: an import refuses them one by one)."""
        wanted = list(dict.fromkeys(activity_ids))
        existing: set[str] = set()
        for chunk in _chunks(wanted):
            existing.update(
                await self._session.scalars(select(ActivityRow.oruk_id).where(ActivityRow.oruk_id.in_(chunk)))
            )
        new = [key for key in wanted if key not in existing]
        return len(new) if new and await self._over_limit(organisation_id, len(new)) else 0

    async def _over_limit(self, organisation_id: int, adding: int) -> bool:
        """Say whether adding listings would pass the organisation's limit (its row is locked on PostgreSQL)."""
        if self.most_per_organisation is None:
            return False
        await self._session.execute(
            select(Organisation.id).where(Organisation.id == organisation_id).with_for_update()
        )  # two imports of one organisation at once are counted one after the other
        return await self.count(organisation_id) + adding > self.most_per_organisation

    async def _row_id(self, organisation_id: int, activity_id: str) -> int | None:
        return await self._session.scalar(
            select(ActivityRow.id).where(
                ActivityRow.oruk_id == activity_id, ActivityRow.organisation_id == organisation_id
            )
        )

    async def cancel_session(self, organisation_id: int, activity_id: str, local_date: date, now: datetime) -> bool:
        """Mark the session on a local date as cancelled; False if the activity is not the organisation's."""
        row_id = await self._row_id(organisation_id, activity_id)
        if row_id is None:
            return False
        already = await self._session.scalar(
            select(ActivityCancellation.id).where(
                ActivityCancellation.activity_id == row_id, ActivityCancellation.local_date == local_date
            )
        )
        if already is None:
            self._session.add(ActivityCancellation(activity_id=row_id, local_date=local_date, cancelled_at=now))
            await self._session.flush()
        return True

    async def uncancel_session(self, organisation_id: int, activity_id: str, local_date: date) -> bool:
        """Put a cancelled session back; False if the activity is not the organisation's or it was not cancelled."""
        row_id = await self._row_id(organisation_id, activity_id)
        if row_id is None:
            return False
        result = await self._session.execute(
            delete(ActivityCancellation).where(
                ActivityCancellation.activity_id == row_id, ActivityCancellation.local_date == local_date
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_status(self, organisation_id: int, activity_id: str, status: ServiceStatus, now: datetime) -> bool:
        """Change an activity's status; False if the activity is not the organisation's."""
        result = await self._session.execute(
            update(ActivityRow)
            .where(ActivityRow.oruk_id == activity_id, ActivityRow.organisation_id == organisation_id)
            .values(status=status.value, updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))
