"""Broadcasts: who asked for news, writing a broadcast with its deliveries, and its progress."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from flows.broadcast_model import ActivityCard, AudienceFilter, AudienceGroup, AudienceProfile, split_interests
from models.broadcast_tables import Broadcast, BroadcastDelivery, UnreachableMember
from models.crypto import DataCipher
from models.member_activity_tables import ActivityPreference
from models.tables import ConsentRecord, Member, Organisation

INSERT_CHUNK = 5000
OPEN = ("pending", "sending")


@dataclass(frozen=True)
class BroadcastMessage:
    """What a broadcast says, decrypted, with the organisation's name for the footer."""

    id: int
    text: str
    card: ActivityCard | None
    organisation_name: str


@dataclass(frozen=True)
class ProgressTarget:
    """Where a broadcast's progress is shown: the author's chat and the message being edited (if sent yet)."""

    broadcast_id: int
    chat_id: int | None
    message_id: int | None
    recipients: int
    narrowed: bool = False  # sent to an area or to interests, not to everyone: its counts are never exact


@dataclass(frozen=True)
class BroadcastSummary:
    """One broadcast as its organisation's coordinators see it on the dashboard: what it says and how it stands."""

    id: int
    text: str
    card: ActivityCard | None
    audience: AudienceFilter
    recipients: int
    status: str  # queued, sending, done
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class DeliveryCounts:
    """How a broadcast's deliveries stand."""

    sent: int = 0
    failed: int = 0
    left: int = 0
    uncertain: int = 0
    skipped: int = 0


def news_audience(organisation_id: int) -> Select[int, str | None, str]:
    """Members of an organisation whose latest NEWS record says given, active, reachable, with area and interests."""
    latest = (
        select(ConsentRecord.member_id.label("member_id"), func.max(ConsentRecord.id).label("last_id"))
        .join(Member, Member.id == ConsentRecord.member_id)
        .where(ConsentRecord.scope == "news", Member.organisation_id == organisation_id)
        .group_by(ConsentRecord.member_id)
        .subquery()
    )
    record = aliased(ConsentRecord)
    return (
        select(Member.id, ActivityPreference.area, ActivityPreference.interests)
        .join(latest, latest.c.member_id == Member.id)
        .join(record, record.id == latest.c.last_id)
        .outerjoin(ActivityPreference, ActivityPreference.member_id == Member.id)
        .outerjoin(UnreachableMember, UnreachableMember.member_id == Member.id)
        .where(
            Member.organisation_id == organisation_id,
            Member.status == "active",
            record.action == "given",
            UnreachableMember.member_id.is_(None),
        )
    )


class BroadcastRepository:
    """Broadcasts as a whole; deliveries one by one are in models/broadcast_deliveries."""

    def __init__(self, session: AsyncSession, cipher: DataCipher) -> None:
        """Work inside the given session."""
        self._session = session
        self._cipher = cipher

    async def audience_profile(self, organisation_id: int) -> AudienceProfile:
        """Count the organisation's news audience by area and interests (nobody is named)."""
        query = news_audience(organisation_id).subquery()
        rows = await self._session.execute(
            select(query.c.area, query.c.interests, func.count()).group_by(query.c.area, query.c.interests)
        )
        counts: Counter[tuple[str | None, frozenset[str]]] = Counter()
        for area, interests, count in rows.all():
            counts[(area or None, split_interests(interests))] += int(count)
        groups = (AudienceGroup(area, interests, n) for (area, interests), n in counts.items())
        return AudienceProfile(tuple(sorted(groups, key=lambda g: (g.area or "", sorted(g.interests)))))

    async def audience_members(self, organisation_id: int, audience: AudienceFilter) -> list[int]:
        """List the members a broadcast with this filter goes to, now."""
        query = news_audience(organisation_id)
        if audience.area is not None:
            query = query.where(ActivityPreference.area == audience.area)
        rows = await self._session.execute(query.order_by(Member.id))
        return [
            member_id
            for member_id, area, interests in rows.all()
            if audience.matches(area or None, split_interests(interests))
        ]

    async def create(
        self,
        organisation_id: int,
        author_member_id: int | None,
        text: str,
        card: ActivityCard | None,
        audience: AudienceFilter,
        member_ids: Sequence[int],
        now: datetime,
        request_key: str | None = None,
    ) -> int:
        """Write a broadcast and one pending delivery per member; return its id.

        A `request_key` already used in the organisation raises IntegrityError at the flush (see `by_request_key`).
        """
        row = Broadcast(
            organisation_id=organisation_id,
            author_member_id=author_member_id,
            text_encrypted=self._cipher.encrypt(text),
            activity_id=card.activity_id if card else None,
            card=json.dumps(card.as_dict()) if card else None,
            audience=json.dumps(audience.as_dict()),
            recipients=len(member_ids),
            status="queued",
            created_at=now,
            request_key=request_key,
        )
        self._session.add(row)
        await self._session.flush()
        values = [
            {"broadcast_id": row.id, "member_id": member_id, "status": "pending", "attempts": 0, "next_attempt_at": now}
            for member_id in member_ids
        ]
        for start in range(0, len(values), INSERT_CHUNK):
            await self._session.execute(insert(BroadcastDelivery), values[start : start + INSERT_CHUNK])
        return row.id

    async def by_request_key(self, organisation_id: int, request_key: str) -> int | None:
        """Find the broadcast an organisation's dashboard form already sent, by the form's key."""
        found: int | None = await self._session.scalar(
            select(Broadcast.id).where(
                Broadcast.organisation_id == organisation_id, Broadcast.request_key == request_key
            )
        )
        return found

    async def summary(self, broadcast_id: int, organisation_id: int) -> BroadcastSummary | None:
        """One of the organisation's broadcasts; None when there is none with this id in that organisation."""
        row = await self._session.scalar(
            select(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.organisation_id == organisation_id)
        )
        return self._summary(row) if row is not None else None

    async def for_organisation(self, organisation_id: int, limit: int = 50) -> list[BroadcastSummary]:
        """The organisation's latest broadcasts, newest first."""
        rows = await self._session.scalars(
            select(Broadcast)
            .where(Broadcast.organisation_id == organisation_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return [self._summary(row) for row in rows]

    def _summary(self, row: Broadcast) -> BroadcastSummary:
        return BroadcastSummary(
            id=row.id,
            text=self._cipher.decrypt(row.text_encrypted),
            card=ActivityCard.from_dict(json.loads(row.card)) if row.card else None,
            audience=stored_audience(row.audience),
            recipients=row.recipients,
            status=row.status,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
        )

    async def start_queued(self, now: datetime, limit: int = 20) -> list[int]:
        """Move queued broadcasts to sending; return their ids."""
        rows = (
            await self._session.scalars(
                select(Broadcast)
                .where(Broadcast.status == "queued")
                .order_by(Broadcast.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            row.status, row.started_at = "sending", now
        await self._session.flush()
        return [row.id for row in rows]

    async def message(self, broadcast_id: int) -> BroadcastMessage | None:
        """Read what a broadcast says."""
        found = (
            await self._session.execute(
                select(Broadcast, Organisation.name)
                .join(Organisation, Organisation.id == Broadcast.organisation_id)
                .where(Broadcast.id == broadcast_id)
            )
        ).first()
        if found is None:
            return None
        row, organisation_name = found
        card = ActivityCard.from_dict(json.loads(row.card)) if row.card else None
        return BroadcastMessage(row.id, self._cipher.decrypt(row.text_encrypted), card, organisation_name)

    async def progress_targets(self, broadcast_ids: Sequence[int] | None = None) -> list[ProgressTarget]:
        """List broadcasts (those sending, or the ones named) with the chat and message showing their progress."""
        query = (
            select(
                Broadcast.id, Member.chat_id, Broadcast.progress_message_id, Broadcast.recipients, Broadcast.audience
            )
            .outerjoin(Member, Member.id == Broadcast.author_member_id)
            .order_by(Broadcast.id)
        )
        if broadcast_ids is None:
            query = query.where(Broadcast.status == "sending")
        else:
            query = query.where(Broadcast.id.in_(broadcast_ids))
        rows = (await self._session.execute(query)).all()
        return [ProgressTarget(*row[:4], narrowed=stored_audience(row[4]) != AudienceFilter()) for row in rows]

    async def claim_progress(self, broadcast_id: int, now: datetime, every: timedelta) -> bool:
        """Take the turn to show progress (one instance every `every`); False if it is not time yet."""
        result = await self._session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                or_(Broadcast.progress_at.is_(None), Broadcast.progress_at <= now - every),
            )
            .values(progress_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_progress_message(self, broadcast_id: int, message_id: int) -> None:
        """Remember the message that shows a broadcast's progress."""
        await self._session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id).values(progress_message_id=message_id)
        )

    async def counts(self, broadcast_id: int) -> DeliveryCounts:
        """Count a broadcast's deliveries by how they stand."""
        rows = await self._session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(BroadcastDelivery.status)
        )
        by: dict[str, int] = {status: int(count) for status, count in rows.all()}
        return DeliveryCounts(
            sent=by.get("sent", 0),
            failed=by.get("failed", 0) + by.get("unreachable", 0),
            left=sum(by.get(status, 0) for status in OPEN),
            uncertain=by.get("uncertain", 0),
            skipped=by.get("skipped", 0),
        )

    async def finish_done(self, now: datetime) -> list[int]:
        """Close sending broadcasts with nothing pending or leased; return their ids."""
        still_open = exists().where(
            and_(BroadcastDelivery.broadcast_id == Broadcast.id, BroadcastDelivery.status.in_(OPEN))
        )
        ids = list(await self._session.scalars(select(Broadcast.id).where(Broadcast.status == "sending", ~still_open)))
        finished = []
        for broadcast_id in ids:
            result = await self._session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
                .values(status="done", finished_at=now)
            )
            if getattr(result, "rowcount", 0):
                finished.append(broadcast_id)
        return finished


def stored_audience(stored: str | None) -> AudienceFilter:
    """A broadcast's audience filter as it was stored."""
    audience = json.loads(stored or "{}")
    return AudienceFilter(audience.get("area"), frozenset(audience.get("interests") or ()))
