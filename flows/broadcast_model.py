"""Broadcasts as plain values: who the audience is, the activity card, and the effect that sends the news."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def split_interests(value: str | None) -> frozenset[str]:
    """Read a member's comma-separated interests."""
    return frozenset(term.strip() for term in (value or "").split(",") if term.strip())


@dataclass(frozen=True)
class AudienceFilter:
    """Which of the members who asked for news get a broadcast: one area (or any), any of some interests (or any)."""

    area: str | None = None
    interests: frozenset[str] = frozenset()

    def matches(self, area: str | None, interests: frozenset[str]) -> bool:
        """Say whether a member with this area and these interests is in the audience."""
        if self.area is not None and area != self.area:
            return False
        return not self.interests or bool(self.interests & interests)

    def as_dict(self) -> dict[str, object]:
        """Describe the filter for storage."""
        return {"area": self.area, "interests": sorted(self.interests)}


@dataclass(frozen=True)
class AudienceGroup:
    """How many members who asked for news share one area and one set of interests."""

    area: str | None
    interests: frozenset[str]
    count: int


@dataclass(frozen=True)
class AudienceProfile:
    """The organisation's members who asked for news, grouped by area and interests (no one is named)."""

    groups: tuple[AudienceGroup, ...] = ()

    @classmethod
    def from_members(cls, members: Iterable[tuple[str | None, frozenset[str]]]) -> AudienceProfile:
        """Group (area, interests) pairs, one per member."""
        counts = Counter(members)
        return cls(
            tuple(AudienceGroup(area, interests, n) for (area, interests), n in sorted(counts.items(), key=_key))
        )

    def count(self, audience: AudienceFilter = AudienceFilter()) -> int:
        """Count the members a filter reaches."""
        return sum(group.count for group in self.groups if audience.matches(group.area, group.interests))

    def areas(self) -> list[tuple[str, int]]:
        """List the areas members gave, most members first."""
        counts: Counter[str] = Counter()
        for group in self.groups:
            if group.area:
                counts[group.area] += group.count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def interests(self, area: str | None = None) -> list[tuple[str, int]]:
        """List the interests members gave (within one area, if given), most members first."""
        counts: Counter[str] = Counter()
        for group in self.groups:
            if area is None or group.area == area:
                for term in group.interests:
                    counts[term] += group.count
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _key(item: tuple[tuple[str | None, frozenset[str]], int]) -> tuple[str, tuple[str, ...]]:
    (area, interests), _ = item
    return (area or "", tuple(sorted(interests)))


@dataclass(frozen=True)
class ActivityCard:
    """An activity as a broadcast shows it: public listing data, already in words."""

    activity_id: str
    name: str
    when: str
    where: str
    cost: str

    def as_dict(self) -> dict[str, str]:
        """Describe the card for storage."""
        return {"activity_id": self.activity_id, "name": self.name, "when": self.when, "where": self.where,
                "cost": self.cost}  # fmt: skip

    @classmethod
    def from_dict(cls, value: dict[str, object]) -> ActivityCard:
        """Read a card back from storage."""
        return cls(*(str(value.get(name) or "") for name in ("activity_id", "name", "when", "where", "cost")))


@dataclass(frozen=True)
class BroadcastFacts:
    """What a coordinator composing a broadcast may pick from: the audience, the activities, the organisation."""

    organisation_name: str
    audience: AudienceProfile = AudienceProfile()
    activities: tuple[ActivityCard, ...] = ()
    interest_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Catalogue keys of the taxonomy's interest terms, by term id."""


@dataclass(frozen=True)
class CreateBroadcast:
    """Write a broadcast and one delivery per member of its audience, in this same transaction."""

    text: str
    card: ActivityCard | None
    audience: AudienceFilter
