"""Effects of the activity flows: members' choices and answers, reminders in the outbox, coordinators' listings."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from flows.activities.effects import (
    CancelActivitySession,
    CountSuggestions,
    MarkAreaOffered,
    RespondToActivity,
    SaveActivity,
    SaveActivityChoices,
    SetActivityReminder,
)
from flows.activities.model import Activity
from flows.activities.occurrences import occurrences
from flows.insight import LONDON
from flows.outcome import Reply, Text, reply
from flows.snapshot import Facts
from flows.texts import Catalogue
from models.activities import UpsertResult
from models.activity_counts import ActivityCounts
from models.repositories import MemberRow
from models.unit_of_work import UnitOfWork

log = logging.getLogger("cairn.activities")
COORDINATOR = "coordinator"


def with_fresh_ids(activity: Activity) -> Activity:
    """Give a new activity (and its schedules, places and costs) fresh uuids where they have none."""
    return replace(
        activity,
        id=fresh(activity.id),
        schedules=tuple(replace(item, id=fresh(item.id)) for item in activity.schedules),
        locations=tuple(replace(item, id=fresh(item.id)) for item in activity.locations),
        cost_options=tuple(replace(item, id=fresh(item.id)) for item in activity.cost_options),
    )


def fresh(value: str) -> str:
    """Keep an id, or make a new uuid when there is none."""
    return value or str(uuid.uuid4())


async def withdraw_reminders(uow: UnitOfWork, member_id: int) -> int:
    """Withdraw every activity reminder not yet sent to a member (they sent /stop)."""
    withdrawn = 0
    for outbox_id in await uow.activity_choices.pending_reminders(member_id):
        withdrawn += await uow.outbox.cancel(outbox_id)
    return withdrawn


class ActivityEffects:
    """Applies activity effects in the caller's unit of work; messages to other members go through the outbox."""

    def __init__(self, catalogue: Catalogue) -> None:
        """Wire the texts."""
        self._catalogue = catalogue

    async def apply(self, uow: UnitOfWork, effect: object, member: MemberRow, facts: Facts) -> None:
        """Apply one effect for the person who wrote."""
        now = facts.now
        choices = uow.activity_choices
        match effect:
            case SaveActivityChoices(area=area, interests=interests):
                await choices.save_preference(member.id, area, interests, now)
                log.info("activity_choices_saved interests=%d", len(interests))
            case MarkAreaOffered():
                await choices.mark_offered(member.id, now)
            case CountSuggestions(organisation_id=organisation_id, shown=shown):
                await ActivityCounts(uow.session).count_suggestions(
                    organisation_id, now.astimezone(LONDON).date(), shown
                )
            case RespondToActivity(activity_id=activity_id, response=response, occurrence_at=occurrence_at):
                previous = await choices.respond(member.id, activity_id, response, occurrence_at, now)
                if previous is not None:
                    await uow.outbox.cancel(previous)
                log.info("activity_response response=%s", response)
            case SetActivityReminder(activity_id=activity_id, send_at=send_at, message=message):
                await self._remind(uow, member, activity_id, send_at, message, now)
            case SaveActivity(activity=activity):
                await self._save(uow, activity, facts)
            case CancelActivitySession():
                await self._cancel(uow, effect, facts)
            case _:
                raise TypeError(f"unknown activity effect {type(effect).__name__}")

    async def _remind(
        self,
        uow: UnitOfWork,
        member: MemberRow,
        activity_id: str,
        send_at: datetime | None,
        message: Reply | None,
        now: datetime,
    ) -> None:
        outbox_id = None
        if send_at is not None and message is not None:
            text, buttons = self._catalogue.render_reply(message), self._catalogue.render_buttons(message)
            outbox_id = await uow.outbox.enqueue(
                member.id, member.chat_id, "activity_reminder", text, buttons, now, not_before=send_at
            )
        replaced = await uow.activity_choices.set_reminder(member.id, activity_id, outbox_id, now)
        if replaced is not None and replaced != outbox_id:
            await uow.outbox.cancel(replaced)
        log.info("activity_reminder %s", "set" if outbox_id else "cleared")

    async def _save(self, uow: UnitOfWork, activity: Activity, facts: Facts) -> None:
        staff = facts.staff
        if staff is None or staff.role != COORDINATOR:
            log.warning("activity_save_refused")
            return
        await self.save_listing(uow, activity, staff.organisation_id, facts.now)

    async def save_listing(
        self, uow: UnitOfWork, activity: Activity, organisation_id: int, now: datetime
    ) -> UpsertResult | None:
        """Add or update a coordinator's listing (checked by the caller); None if another organisation owns the id.

        A new listing that would pass the organisation's listing limit is not added (`result.refused_for_limit`).
        Members going to a session that moved are told and their reminders withdrawn.
        """
        listed = with_fresh_ids(replace(activity, organisation_id=organisation_id))
        result = await uow.activities.upsert(organisation_id, listed, now)
        if result.refused_for_limit:
            log.warning("activity_save_refused reason=listing_limit")
            return result
        if result.conflicts:
            log.warning("activity_save_conflict")
            return None
        log.info("activity_saved added=%d updated=%d", len(result.added), len(result.updated))
        if result.updated:
            await self._sessions_moved(uow, listed, now)
        return result

    async def _sessions_moved(self, uow: UnitOfWork, activity: Activity, now: datetime) -> None:
        """Tell members going to a session that no longer exists (its day or time changed); withdraw reminders."""
        going = await uow.activity_choices.going_after(activity.id, now)
        if not going:
            return
        latest = max(g.occurrence_at for g in going if g.occurrence_at is not None)
        still = {s.starts_at for s in occurrences(activity, now, latest + timedelta(minutes=1))}
        notice = reply(Text("activities.session_moved", {"name": activity.name}))
        moved = [g for g in going if g.occurrence_at not in still]
        for person in moved:
            await self._tell(uow, person.member_id, person.chat_id, "activity_changed", notice, now)
            await self._withdraw(uow, person.member_id, activity.id, person.reminder_outbox_id)
        log.info("activity_sessions_moved told=%d", len(moved))

    async def _cancel(self, uow: UnitOfWork, effect: CancelActivitySession, facts: Facts) -> None:
        staff = facts.staff
        if staff is None or staff.role != COORDINATOR:
            log.warning("activity_cancel_refused")
            return
        await self.cancel_session(uow, effect, staff.organisation_id, facts.now)

    async def cancel_session(
        self, uow: UnitOfWork, effect: CancelActivitySession, organisation_id: int, now: datetime
    ) -> int | None:
        """Cancel a session of the organisation's activity and tell who said they'd go; None if not theirs.

        Returns how many members were told (through the outbox, in this transaction).
        """
        if not await uow.activities.cancel_session(organisation_id, effect.activity_id, effect.local_date, now):
            log.warning("activity_cancel_refused")
            return None
        going = await uow.activity_choices.going_to(effect.activity_id, effect.starts_at)
        for person in going:
            await self._tell(uow, person.member_id, person.chat_id, "activity_cancelled", effect.notice, now)
            await self._withdraw(uow, person.member_id, effect.activity_id, person.reminder_outbox_id)
        log.info("activity_session_cancelled told=%d", len(going))
        return len(going)

    async def _withdraw(self, uow: UnitOfWork, member_id: int, activity_id: str, outbox_id: int | None) -> None:
        if outbox_id is not None:
            await uow.outbox.cancel(outbox_id)
            await uow.activity_choices.forget_reminder(member_id, activity_id)

    async def _tell(
        self, uow: UnitOfWork, member_id: int, chat_id: int, kind: str, message: Reply, now: datetime
    ) -> None:
        text, buttons = self._catalogue.render_reply(message), self._catalogue.render_buttons(message)
        await uow.outbox.enqueue(member_id, chat_id, kind, text, buttons, now)
