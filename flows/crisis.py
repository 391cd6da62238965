"""Crisis resources per region, and the fixed crisis and help replies built from them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

RESOURCES_FILE = Path(__file__).with_name("catalogue") / "crisis_resources.json"


@dataclass(frozen=True)
class CrisisResource:
    """One place to get help: its name, how to reach it, and a catalogue key saying when."""

    name: str
    contact_key: str
    contact: str
    when_key: str


@dataclass(frozen=True)
class CrisisResources:
    """The resources for one region, in the order to show them."""

    region: str
    resources: tuple[CrisisResource, ...]

    def __post_init__(self) -> None:
        """Refuse an empty list: a crisis reply without resources is a hazard."""
        if not self.resources:
            raise ValueError(f"crisis resources for region {self.region!r} are empty")


def load_crisis_resources(region: str, path: Path = RESOURCES_FILE) -> CrisisResources:
    """Load one region's resources from the data file, failing loudly if the region is missing."""
    regions = json.loads(path.read_text(encoding="utf-8"))
    if region not in regions:
        raise ValueError(f"no crisis resources for region {region!r} in {path}; known: {sorted(regions)}")
    items = tuple(CrisisResource(**item) for item in regions[region])
    return CrisisResources(region=region, resources=items)
