"""Every text the activity flows use is in the catalogue, including keys built from parts."""

from __future__ import annotations

import re
from pathlib import Path

from flows.activities import manage, manage_steps
from flows.activities.taxonomy import bundled_taxonomy
from tests.flows.dialogue import CATALOGUE

MODULES = ("areas", "cards", "drafts", "effects", "facts", "listing", "manage", "manage_steps", "needs", "suggestions")
FOLDER = Path(__file__).resolve().parents[3] / "flows" / "activities"


def test_every_literal_key_in_the_activity_flows_is_in_the_catalogue() -> None:
    pattern = re.compile(r'Text\(\s*"([a-z_.0-9]+)"')
    keys = {key for name in MODULES for key in pattern.findall((FOLDER / f"{name}.py").read_text())}
    assert len(keys) > 80
    assert sorted(key for key in keys if not CATALOGUE.has(key)) == []


def test_every_built_key_is_in_the_catalogue() -> None:
    built = {f"month.{number}" for number in range(1, 13)}
    built |= {f"day.{key}" for key in manage_steps.DAY_KEYS}
    built |= {f"manage.button.{name}" for name in ("add", "edit", "cancel", "done", "weekly", "once", "yes", "again")}
    built |= {"manage.button.no"}
    built |= {f"manage.field.{name}" for name in manage.FIELDS}
    built |= {
        f"manage.not_understood.{step}" for step in ("name", "desc", "date", "time", "place", "postcode", "amount")
    }
    built |= {f"manage.ask.{step}" for step in ("name", "desc", "when", "days", "date", "time", "place", "postcode")}
    built |= {f"manage.ask.{step}" for step in ("area", "cost", "amount", "tags")}
    built |= {f"manage.{kind}_{mode}" for kind in ("nothing_to", "pick_to") for mode in ("edit", "cancel")}
    built |= {term.label for term in bundled_taxonomy().terms}
    built |= {"menu.activities", "menu.interests", "menu.listings"}
    assert sorted(key for key in built if not CATALOGUE.has(key)) == []
