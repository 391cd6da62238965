"""Validate service objects against the vendored Open Referral UK schema (tests/data/openreferral-uk-schema)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).resolve().parents[2] / "data" / "openreferral-uk-schema" / "service.json"


@cache
def validator() -> jsonschema.Draft202012Validator:
    """The standard's compiled service schema, with formats (uuid, email) checked."""
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def problems(service: Any) -> list[str]:
    """Every schema error, plus the UK profile's extra requirement of a url."""
    found = [f"{list(error.absolute_path)}: {error.message}" for error in validator().iter_errors(service)]
    if isinstance(service, dict) and "url" not in service:
        found.append("url is required by the UK profile")
    return found
