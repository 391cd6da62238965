"""Load activity facts only for the events that need them, bounded to the organisation, area and coming week.

Nothing here reads a whole directory for a member: their listings are chosen by area and limited in SQL
(`MEMBER_MOST`), and a message in crisis language loads none at all (see flows/activities/needs.py).
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from flows.activities.cards import WEEK
from flows.activities.facts import MEMBER_MOST, ActivityFacts, MemberChoices, MemberResponse
from flows.activities.manage import FLOW as MANAGE_FLOW
from flows.activities.model import Activity
from flows.activities.needs import Need, needed
from flows.activities.occurrences import occurrences
from flows.activities.taxonomy import TaxonomyTerm, bundled_taxonomy
from flows.inbound import Inbound
from flows.snapshot import Facts
from models.unit_of_work import UnitOfWork


class ActivityFactsLoader:
    """Adds `Facts.activities` for /activities, /interests, /listings, their buttons and a finishing check-in."""

    def __init__(self, neighbourhoods: tuple[str, ...] = (), terms: tuple[TaxonomyTerm, ...] | None = None) -> None:
        """Keep the deployment's neighbourhoods and the taxonomy (read once)."""
        self._neighbourhoods = neighbourhoods
        self._terms = terms if terms is not None else bundled_taxonomy().terms

    async def add(self, uow: UnitOfWork, facts: Facts, member_id: int, inbound: Inbound) -> Facts:
        """Return the facts with what this event needs about activities, or unchanged when it needs nothing."""
        need = needed(inbound, facts.member.conversation, facts.instruments, facts.language)
        if need is Need.MANAGE or need is Need.EDIT:
            return replace(facts, activities=await self._manage(uow, facts, need))
        if need is Need.MEMBER:
            return replace(facts, activities=await self._member(uow, facts, member_id))
        return facts

    async def _manage(self, uow: UnitOfWork, facts: Facts, need: Need) -> ActivityFacts:
        """A coordinator's list (bounded by the organisation's limit), or only the listing being changed."""
        staff = facts.staff
        known = ActivityFacts(terms=self._terms, neighbourhoods=self._neighbourhoods)
        if staff is None:
            return known
        organisation = staff.organisation_id
        listings: tuple[Activity, ...] = ()
        if need is Need.MANAGE:
            listings = tuple(await uow.activities.for_organisation(organisation))
        else:
            position = facts.member.conversation
            wanted = position.data.get("id") if position is not None and position.flow == MANAGE_FLOW else None
            found = await uow.activities.get(str(wanted), organisation) if wanted else None
            listings = (found,) if found is not None else ()
        listed = await uow.activities.count(organisation)
        return replace(known, activities=listings, listed=listed, most_listed=uow.activities.most_per_organisation)

    async def _member(self, uow: UnitOfWork, facts: Facts, member_id: int) -> ActivityFacts:
        stored = await uow.activity_choices.preference(member_id)
        choices = MemberChoices(stored.area, frozenset(stored.interests), stored.offered) if stored else MemberChoices()
        responses = {
            row.activity_id: MemberResponse(row.activity_id, row.response, row.occurrence_at, row.remind)
            for row in await uow.activity_choices.responses(member_id)
        }
        organisation = facts.member.organisation
        listings: tuple[Activity, ...] = ()
        if choices.area is not None and organisation is not None:
            ids = await uow.activity_choices.activity_ids_near(organisation.id, choices.area, MEMBER_MOST)
            found = await uow.activities.get_many(ids, organisation.id) if ids else []
            listings = tuple(a for a in found if occurrences(a, facts.now, facts.now + WEEK, limit=1))
        return ActivityFacts(
            choices=choices,
            responses=MappingProxyType(responses),
            activities=tuple(sorted(listings, key=lambda a: (a.name, a.id))),
            terms=self._terms,
            neighbourhoods=self._neighbourhoods,
        )
