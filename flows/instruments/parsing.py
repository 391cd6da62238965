"""Turn one decoded instrument file into model objects, naming the first fault found."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from flows.instruments.model import SCORING_RULES, Band, Instrument, InstrumentFault, Item, Option, Scoring
from flows.instruments.swemwbs import SWEMWBS_BANDS, SWEMWBS_ID, SWEMWBS_SCORING

INSTRUMENT_FIELDS = ("id", "title", "intro", "items", "scoring", "bands", "licence", "source")
ITEM_FIELDS = ("id", "text", "options", "reverse", "measure")
OPTION_FIELDS = ("value", "label")
SCORING_FIELDS = ("rule", "multiplier", "table")
BAND_FIELDS = ("id", "label", "min", "max", "concern", "worst", "measure")
BUILT_IN_FIELDS = {SWEMWBS_ID: ("scoring", "bands")}

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
WHOLE_NUMBER = re.compile(r"^-?[0-9]+$")

Fields = Mapping[str, object]


def parse_instrument(document: object) -> Instrument:
    """Build an instrument from a decoded JSON document, filling in built-in SWEMWBS scoring and bands."""
    fields = _object(document, "the file")
    instrument_id = _identifier(fields.get("id"), "field 'id'") if "id" in fields else None
    optional = BUILT_IN_FIELDS.get(instrument_id or "", ())
    _check_fields(fields, INSTRUMENT_FIELDS, "", optional=optional)
    items = tuple(_item(entry, index) for index, entry in enumerate(_list(fields["items"], "field 'items'")))
    _check_unique([item.id for item in items], "item id")
    scoring = _scoring(fields["scoring"]) if "scoring" in fields else SWEMWBS_SCORING
    bands = tuple(_band(entry) for entry in _list(fields["bands"], "field 'bands'")) if "bands" in fields else None
    return Instrument(
        id=cast(str, instrument_id),
        title=_text(fields["title"], "field 'title'"),
        intro=_text(fields["intro"], "field 'intro'"),
        items=items,
        scoring=scoring,
        bands=SWEMWBS_BANDS if bands is None else bands,
        licence=_text(fields["licence"], "field 'licence'"),
        source=_text(fields["source"], "field 'source'"),
    )


def _item(entry: object, index: int) -> Item:
    fields = _object(entry, f"item {index + 1}")
    _check_fields(fields, ITEM_FIELDS, f"item {index + 1} ", optional=("reverse", "measure"))
    item_id = _identifier(fields["id"], f"item {index + 1} id")
    where = f"item '{item_id}' "
    options = tuple(_option(option, where) for option in _list(fields["options"], f"{where}options"))
    _check_option_values(item_id, [option.value for option in options])
    measure = fields.get("measure")
    return Item(
        id=item_id,
        text=_text(fields["text"], f"{where}text"),
        options=options,
        reverse=_flag(fields.get("reverse", False), f"{where}field 'reverse'"),
        measure=None if measure is None else _identifier(measure, f"{where}measure"),
    )


def _option(entry: object, where: str) -> Option:
    fields = _object(entry, f"{where}option")
    _check_fields(fields, OPTION_FIELDS, f"{where}option ")
    return Option(
        value=_whole(fields["value"], f"{where}option value"),
        label=_text(fields["label"], f"{where}option label"),
    )


def _check_option_values(item_id: str, values: list[int]) -> None:
    if len(values) < 2:
        raise InstrumentFault(f"item '{item_id}' needs at least two options")
    low, high = min(values), max(values)
    if sorted(values) != list(range(low, high + 1)):
        raise InstrumentFault(f"item '{item_id}' option values must be {low}..{high} without gaps or repeats")


def _scoring(entry: object) -> Scoring:
    fields = _object(entry, "field 'scoring'")
    _check_fields(fields, SCORING_FIELDS, "scoring ", optional=("multiplier", "table"))
    rule = fields["rule"]
    if rule not in SCORING_RULES:
        raise InstrumentFault(f"scoring rule must be one of {', '.join(SCORING_RULES)}, not {rule!r}")
    if rule == "sum_times" and "multiplier" not in fields:
        raise InstrumentFault("scoring rule 'sum_times' needs a 'multiplier'")
    if rule != "sum_times" and "multiplier" in fields:
        raise InstrumentFault(f"scoring rule '{rule}' takes no 'multiplier'")
    if (rule == "table") != ("table" in fields):
        raise InstrumentFault("scoring needs a 'table' with rule 'table', and only then")
    multiplier = _number(fields.get("multiplier", 1), "scoring multiplier")
    if multiplier <= 0:
        raise InstrumentFault("scoring multiplier must be above 0")
    table = _table(fields["table"]) if "table" in fields else None
    return Scoring(rule=rule, multiplier=multiplier, table=table)


def _table(entry: object) -> MappingProxyType[int, float]:
    fields = _object(entry, "scoring table")
    table: dict[int, float] = {}
    for key, value in fields.items():
        if not WHOLE_NUMBER.match(key):
            raise InstrumentFault(f"scoring table key '{key}' must be a whole raw total")
        table[int(key)] = _number(value, f"scoring table value for raw {key}")
    return MappingProxyType(table)


def _band(entry: object) -> Band:
    fields = _object(entry, "band")
    _check_fields(fields, BAND_FIELDS, "band ", optional=("concern", "worst", "measure"))
    band_id = _identifier(fields["id"], "band id")
    where = f"band '{band_id}' "
    measure = fields.get("measure")
    return Band(
        id=band_id,
        label=_text(fields["label"], f"{where}label"),
        min=_number(fields["min"], f"{where}min"),
        max=_number(fields["max"], f"{where}max"),
        concern=_flag(fields.get("concern", False), f"{where}field 'concern'"),
        worst=_flag(fields.get("worst", False), f"{where}field 'worst'"),
        measure=None if measure is None else _identifier(measure, f"{where}measure"),
    )


def _check_fields(fields: Fields, known: tuple[str, ...], where: str, optional: tuple[str, ...] = ()) -> None:
    for name in known:
        if name not in fields and name not in optional:
            raise InstrumentFault(f"{where}missing field '{name}'")
    for name in fields:
        if name not in known:
            raise InstrumentFault(f"{where}has an unknown field '{name}'")


def _check_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InstrumentFault(f"duplicate {what} '{name}'")
        seen.add(name)


def _object(value: object, what: str) -> Fields:
    if not isinstance(value, dict):
        raise InstrumentFault(f"{what} must be a JSON object")
    return cast(Fields, value)


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise InstrumentFault(f"{what} must be a list with at least one entry")
    return cast(list[object], value)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstrumentFault(f"{what} must be some text")
    return value.strip()


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise InstrumentFault(f"{what} must be lower-case letters, digits and '_', starting with a letter")
    return value


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstrumentFault(f"{what} must be a whole number, not {value!r}")
    return value


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstrumentFault(f"{what} must be a number, not {value!r}")
    return float(value)


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InstrumentFault(f"{what} must be true or false")
    return value
