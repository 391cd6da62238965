"""Load instrument files: the bundled ones, then a deployment's own, which add to or replace them by id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from flows.instruments.checks import check_instrument
from flows.instruments.model import Instrument, InstrumentFault
from flows.instruments.parsing import parse_instrument

BUNDLED_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class InstrumentError:
    """Why one instrument file could not be used."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class InstrumentLoadError(ValueError):
    """One or more instrument files are broken (raised in strict mode)."""

    def __init__(self, errors: tuple[InstrumentError, ...]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class InstrumentSet:
    """The instruments that loaded, by id, the files they came from, and the files that did not load."""

    instruments: Mapping[str, Instrument]
    errors: tuple[InstrumentError, ...] = ()
    files: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, instrument_id: str) -> Instrument | None:
        """Return the instrument with this id, if it loaded."""
        return self.instruments.get(instrument_id)

    def __getitem__(self, instrument_id: str) -> Instrument:
        return self.instruments[instrument_id]


def load_instruments(
    extra_dir: Path | None = None, *, strict: bool = False, bundled_dir: Path = BUNDLED_DIR
) -> InstrumentSet:
    """Load the bundled instruments, then those in extra_dir, which replace bundled ones with the same id."""
    instruments: dict[str, Instrument] = {}
    files: dict[str, Path] = {}
    errors: list[InstrumentError] = []
    for directory in (bundled_dir, extra_dir):
        if directory is None:
            continue
        if not directory.is_dir():
            errors.append(InstrumentError(str(directory), "instrument directory not found"))
            continue
        loaded, directory_errors = _load_directory(directory)
        errors.extend(directory_errors)
        for instrument, path in loaded:
            instruments[instrument.id] = instrument
            files[instrument.id] = path
    if strict and errors:
        raise InstrumentLoadError(tuple(errors))
    return InstrumentSet(MappingProxyType(instruments), tuple(errors), MappingProxyType(files))


def load_instrument_file(path: Path) -> Instrument:
    """Read, parse and check one instrument file; raise InstrumentLoadError naming the file and the fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InstrumentLoadError((InstrumentError(path.name, "is not UTF-8 text"),)) from None
    except OSError as error:
        raise InstrumentLoadError((InstrumentError(path.name, f"cannot be read ({error.strerror})"),)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise InstrumentLoadError((InstrumentError(path.name, message),)) from None
    try:
        instrument = parse_instrument(document)
        check_instrument(instrument)
    except InstrumentFault as fault:
        raise InstrumentLoadError((InstrumentError(path.name, str(fault)),)) from None
    return instrument


def _load_directory(directory: Path) -> tuple[list[tuple[Instrument, Path]], list[InstrumentError]]:
    loaded: list[tuple[Instrument, Path]] = []
    errors: list[InstrumentError] = []
    first_file: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            instrument = load_instrument_file(path)
        except InstrumentLoadError as failure:
            errors.extend(failure.errors)
            continue
        if instrument.id in first_file:
            message = f"instrument id '{instrument.id}' is already used by {first_file[instrument.id]}"
            errors.append(InstrumentError(path.name, message))
            continue
        first_file[instrument.id] = path.name
        loaded.append((instrument, path))
    return loaded, errors
