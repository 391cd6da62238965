"""Loading instrument files: bundled ones load clean, broken ones are named, a deployment's own override."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flows.instruments import BUNDLED_DIR, SWEMWBS_TABLE, InstrumentLoadError, load_instrument_file, load_instruments
from tests.flows.instruments.support import BUNDLED_IDS, SWEMWBS_EXAMPLE

Document = dict[str, Any]


def bundled_document(name: str) -> Document:
    document: Document = json.loads((BUNDLED_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return document


def swemwbs_document() -> Document:
    document: Document = json.loads(SWEMWBS_EXAMPLE.read_text(encoding="utf-8"))
    return document


def write(directory: Path, name: str, document: Document | str) -> Path:
    path = directory / name
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def who5_with(change: Callable[[Document], object]) -> Document:
    document = bundled_document("who5")
    change(document)
    return document


def swemwbs_with_table(table: dict[int, float]) -> Document:
    document = swemwbs_document()
    document["scoring"] = {"rule": "table", "table": {str(raw): metric for raw, metric in table.items()}}
    return document


def without(table: dict[int, float], raw: int) -> dict[int, float]:
    return {key: value for key, value in table.items() if key != raw}


BROKEN: dict[str, tuple[Document | str, str]] = {
    "missing_scoring.json": (who5_with(lambda d: d.pop("scoring")), "missing field 'scoring'"),
    "gap_in_options.json": (
        who5_with(lambda d: d["items"][0]["options"].pop(2)),
        "item 'cheerful' option values must be 0..5 without gaps",
    ),
    "overlapping_bands.json": (
        who5_with(lambda d: d["bands"][1].update(min=20)),
        "band ranges overlap: 'possible_depression' (0..28) and 'poor_wellbeing' (20..51)",
    ),
    "short_table.json": (
        swemwbs_with_table(without(dict(SWEMWBS_TABLE), 20)),
        "table must cover every raw total 7..35 (missing 20)",
    ),
    "not_json.json": ('{"id": "who5", "title": ', "not valid JSON"),
    "duplicate_items.json": (who5_with(lambda d: d["items"][1].update(id="cheerful")), "duplicate item id 'cheerful'"),
    "unknown_field.json": (who5_with(lambda d: d.update(colour="blue")), "unknown field 'colour'"),
    "band_gap.json": (who5_with(lambda d: d["bands"][2].update(min=56)), "no band covers the score 52"),
    "no_worst.json": (who5_with(lambda d: d["bands"][0].update(worst=False)), "exactly one band must be marked worst"),
    "no_multiplier.json": (who5_with(lambda d: d["scoring"].pop("multiplier")), "needs a 'multiplier'"),
    "text_value.json": (who5_with(lambda d: d["items"][0]["options"][0].update(value="5")), "must be a whole number"),
    "altered_swemwbs.json": (
        swemwbs_with_table(dict(SWEMWBS_TABLE) | {12: 14.5}),
        "raw 12 is 14.08",
    ),
    "six_swemwbs_items.json": (
        {**swemwbs_document(), "items": swemwbs_document()["items"][:6]},
        "SWEMWBS needs 7 items, found 6",
    ),
    "not_an_object.json": ("[1, 2, 3]", "must be a JSON object"),
}


def test_every_bundled_file_loads_with_no_errors() -> None:
    loaded = load_instruments()
    assert loaded.errors == ()
    assert set(loaded.instruments) == BUNDLED_IDS
    assert all(path.parent == BUNDLED_DIR for path in loaded.files.values())


def test_bundled_items_have_the_expected_ids() -> None:
    loaded = load_instruments()
    item_ids = {instrument_id: [item.id for item in loaded[instrument_id].items] for instrument_id in BUNDLED_IDS}
    assert item_ids == {
        "ons4": ["life_satisfaction", "worthwhile", "happiness", "anxiety"],
        "who5": ["cheerful", "calm", "active", "rested", "interested"],
        "phq2": ["little_interest", "feeling_down"],
        "gad2": ["nervous", "worrying"],
        "ucla3": ["lack_companionship", "left_out", "isolated"],
    }


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_named_with_its_fault_while_the_others_load(tmp_path: Path, name: str) -> None:
    document, fault = BROKEN[name]
    write(tmp_path, name, document)
    write(tmp_path, "mine.json", {**bundled_document("phq2"), "id": "mine"})
    loaded = load_instruments(tmp_path)
    assert len(loaded.errors) == 1
    error = loaded.errors[0]
    assert error.file == name
    assert fault in error.message
    assert str(error).startswith(f"{name}: ")
    assert set(loaded.instruments) == BUNDLED_IDS | {"mine"}


def test_all_broken_files_together_give_one_error_each(tmp_path: Path) -> None:
    for name, (document, _) in BROKEN.items():
        write(tmp_path, name, document)
    loaded = load_instruments(tmp_path)
    assert sorted(error.file for error in loaded.errors) == sorted(BROKEN)
    assert set(loaded.instruments) == BUNDLED_IDS


def test_strict_mode_raises_with_every_error(tmp_path: Path) -> None:
    write(tmp_path, "missing_scoring.json", BROKEN["missing_scoring.json"][0])
    write(tmp_path, "not_json.json", BROKEN["not_json.json"][0])
    with pytest.raises(InstrumentLoadError) as raised:
        load_instruments(tmp_path, strict=True)
    assert [error.file for error in raised.value.errors] == ["missing_scoring.json", "not_json.json"]
    assert "missing_scoring.json: missing field 'scoring'" in str(raised.value)


def test_the_extra_directory_overrides_a_bundled_instrument_by_id(tmp_path: Path) -> None:
    path = write(tmp_path, "our_who5.json", {**bundled_document("who5"), "title": "Our WHO-5"})
    loaded = load_instruments(tmp_path)
    assert loaded.errors == ()
    assert loaded["who5"].title == "Our WHO-5"
    assert loaded.files["who5"] == path
    assert set(loaded.instruments) == BUNDLED_IDS


def test_the_extra_directory_adds_swemwbs_with_built_in_scoring(tmp_path: Path) -> None:
    write(tmp_path, "swemwbs.json", swemwbs_document())
    loaded = load_instruments(tmp_path)
    assert loaded.errors == ()
    swemwbs = loaded["swemwbs"]
    assert swemwbs.scoring.table == SWEMWBS_TABLE
    assert swemwbs.bands_for("swemwbs")[0].id == "probable_depression"


def test_a_swemwbs_file_may_restate_the_published_table(tmp_path: Path) -> None:
    path = write(tmp_path, "swemwbs.json", swemwbs_with_table(dict(SWEMWBS_TABLE)))
    assert load_instrument_file(path).scoring.table == SWEMWBS_TABLE


def test_two_files_with_one_id_in_one_directory_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.json", bundled_document("who5"))
    write(tmp_path, "b.json", bundled_document("who5"))
    loaded = load_instruments(tmp_path)
    assert [str(error) for error in loaded.errors] == ["b.json: instrument id 'who5' is already used by a.json"]


def test_a_missing_extra_directory_is_an_error_not_a_crash(tmp_path: Path) -> None:
    loaded = load_instruments(tmp_path / "nowhere")
    assert [error.message for error in loaded.errors] == ["instrument directory not found"]
    assert set(loaded.instruments) == BUNDLED_IDS


def test_load_instrument_file_raises_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "who5.json", BROKEN["gap_in_options.json"][0])
    with pytest.raises(InstrumentLoadError, match=r"^who5\.json: item 'cheerful' option values must be 0\.\.5"):
        load_instrument_file(path)
