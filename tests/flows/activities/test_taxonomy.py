"""Cairn's interest taxonomy is data: it loads, every label is in the catalogue, and a broken file says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.activities.taxonomy import TaxonomyError, bundled_taxonomy, load_taxonomy, parse_taxonomy
from flows.texts import load_catalogue

EXPECTED = {"walking", "food", "peer-support", "arts-crafts", "gardening", "music", "learning", "sport-exercise",
            "parents-families", "digital-skills", "volunteering", "faith-culture"}  # fmt: skip
MOMENTS = {"social", "low-barrier", "calm", "small-group"}


def test_the_bundled_taxonomy_has_the_interests_and_moment_tags_with_catalogue_labels() -> None:
    taxonomy = bundled_taxonomy()
    assert {term.id for term in taxonomy.interests()} == EXPECTED
    assert {term.id for term in taxonomy.terms if term.moment} == MOMENTS
    catalogue = load_catalogue()
    assert [term.label for term in taxonomy.terms if not catalogue.has(term.label)] == []


def test_words_from_open_referral_map_to_terms_in_taxonomy_order() -> None:
    taxonomy = bundled_taxonomy()
    assert taxonomy.match(["Lunch Club", "WALKING", "health_walks", "nothing we know"]) == ("walking", "food", "social")
    assert taxonomy.match(["peer-support", "arts-crafts"]) == ("peer-support", "arts-crafts")
    assert taxonomy.match(["Peer Support"]) == ("peer-support", "small-group")
    assert taxonomy.match([]) == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"terms": []}, "non-empty list 'terms'"),
        ({"terms": [{"id": "Bad Id", "label": "taxonomy.x", "kind": "interest"}]}, "'id' must be"),
        ({"terms": [{"id": "a", "label": "x", "kind": "interest"}]}, "'label' must be a catalogue key"),
        ({"terms": [{"id": "a", "label": "taxonomy.a", "kind": "mood"}]}, "'kind' must be one of"),
        ({"terms": [{"id": "a", "label": "taxonomy.a", "kind": "moment", "maps_from": "walk"}]}, "'maps_from'"),
        ({"terms": [{"id": "a", "label": "taxonomy.a", "kind": "interest"}] * 2}, "used twice"),
    ],
)
def test_a_broken_taxonomy_is_refused_with_a_clear_message(data: object, message: str) -> None:
    with pytest.raises(TaxonomyError, match=message):
        parse_taxonomy(data)


def test_an_unreadable_taxonomy_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "taxonomy.json"
    broken.write_text("{oops")
    with pytest.raises(TaxonomyError, match=r"taxonomy\.json: cannot be read"):
        load_taxonomy(broken)
    broken.write_text(json.dumps({"terms": [{"id": "a", "label": "taxonomy.a", "kind": "nope"}]}))
    with pytest.raises(TaxonomyError, match=r"taxonomy\.json: term 1 \(a\)"):
        load_taxonomy(broken)
