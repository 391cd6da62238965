"""Import and export activity files (Open Referral UK JSON or CSV): the file edge around the pure readers."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.operator import OperatorError
from flows.activities.model import Activity
from flows.activities.oruk_export import ExportOrganisation, service_object
from flows.activities.oruk_import import parse_document
from flows.activities.oruk_values import short
from flows.activities.taxonomy import Taxonomy, bundled_taxonomy
from flows.texts import Catalogue, load_catalogue
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn")
MAX_FILE_BYTES = 200 * 1024 * 1024
IMPORT_BATCH = 100
"""Services written a transaction: a large import never holds the database (or the event loop) for long at once."""
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, and the plain report lines for the operator."""

    readable: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    conflicts: int = 0
    lines: tuple[str, ...] = ()
    refused: bool = False  # the file was readable but refused whole (too many services, or over the listing limit)

    @property
    def imported(self) -> int:
        """Services now held from this file (added, updated or already up to date)."""
        return self.added + self.updated + self.unchanged


def decode_text(data: bytes) -> str:
    """Read a file's bytes as text: UTF-8, a byte order mark allowed, bad bytes replaced."""
    return data.decode("utf-8-sig", errors="replace")


def read_text(path: Path) -> str | None:
    """Read a file as text (see `decode_text`); None if it cannot be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        return decode_text(path.read_bytes())
    except OSError:
        return None


async def import_activities(
    units: UnitOfWorkFactory,
    path: Path,
    slug: str,
    now: datetime,
    taxonomy: Taxonomy | None = None,
    most_records: int | None = None,
) -> ImportSummary:
    """Read a file and add or update its services as the organisation's activities, in one transaction."""
    content = await asyncio.to_thread(read_text, path)
    if content is None:
        return ImportSummary(False, lines=(f"{path.name} cannot be read",))
    async with units() as uow:
        organisation = await uow.organisations.by_slug(slug)
        if organisation is None:
            raise OperatorError(f"no organisation called {slug!r}")
    return await import_document(units, content, path.name, organisation.id, now, taxonomy, most_records=most_records)


async def import_document(
    units: UnitOfWorkFactory,
    content: str,
    name: str,
    organisation_id: int,
    now: datetime,
    taxonomy: Taxonomy | None = None,
    actor_member_id: int | None = None,
    most_records: int | None = None,
) -> ImportSummary:
    """Add or update a file's services as the organisation's activities (the CLI, the dashboard).

    `name` is the file's name (its extension says CSV or JSON). With `actor_member_id` the import is audited. A file
    with more than `most_records` services, or one that would take the organisation past its listing limit, is
    refused whole: nothing is written. Otherwise it is written `IMPORT_BATCH` services a transaction (importing the
    same file again finishes one that was cut off).
    """
    today = now.astimezone(LONDON).date()
    result = await asyncio.to_thread(
        parse_document, content, name, organisation_id, taxonomy or bundled_taxonomy(), today, most_records
    )
    if not result.readable:
        log.info("activities_import_refused reason=%s", "too_many_records" if result.seen else "unreadable")
        return ImportSummary(False, lines=result.notes, refused=bool(result.seen))
    async with units() as uow:
        adding = await uow.activities.new_over_limit(organisation_id, [a.id for a in result.activities])
        if adding:
            log.info("activities_import_refused reason=listing_limit new=%d", adding)
            held, most = await uow.activities.count(organisation_id), uow.activities.most_per_organisation or 0
            note = (
                f"this file would add {adding:,} new activities to the {held:,} your organisation "
                f"lists; an organisation may list at most {most:,} (CAIRN_MAX_LISTINGS_PER_ORGANISATION). "
                "Nothing was imported: remove listings you no longer need, or import fewer"
            )
            return ImportSummary(False, lines=(note,), refused=True)
    added, updated, unchanged, conflicts, stopped = await _write_in_batches(
        units, organisation_id, result.activities, now, actor_member_id
    )
    refused = tuple(
        f"service {short(key)}: this id belongs to another organisation's activity, not changed" for key in conflicts
    )
    log.info(
        "activities_imported added=%d updated=%d unchanged=%d skipped=%d conflicts=%d",
        added,
        updated,
        unchanged,
        len(result.skipped),
        len(conflicts),
    )
    lines = (*stopped, *result.skipped, *refused, *result.notes)
    return ImportSummary(True, added, updated, unchanged, len(result.skipped), len(conflicts), lines)


async def _write_in_batches(
    units: UnitOfWorkFactory,
    organisation_id: int,
    activities: tuple[Activity, ...],
    now: datetime,
    actor_member_id: int | None,
) -> tuple[int, int, int, list[str], tuple[str, ...]]:
    """Upsert `IMPORT_BATCH` services a transaction, letting other work (another organisation's crisis reply, its
    write on SQLite) go between two; the import is audited with its first batch. Returns the counts, the ids
    another organisation holds, and a note if the listing limit was reached by someone else meanwhile."""
    added = updated = unchanged = 0
    conflicts: list[str] = []
    for start in range(0, max(len(activities), 1), IMPORT_BATCH):
        async with units() as uow:
            done = await uow.activities.upsert_many(organisation_id, activities[start : start + IMPORT_BATCH], now)
            if done.refused_for_limit:
                note = (
                    f"stopped after {start:,} of {len(activities):,} services: your organisation reached its limit "
                    f"of {done.limit:,} activities while this file was being imported"
                )
                return added, updated, unchanged, conflicts, (note,)
            if start == 0 and actor_member_id is not None:
                await uow.audit.record(
                    "activities_imported", "organisation", organisation_id, now, actor_member_id, organisation_id
                )
            await uow.commit()
        added, updated, unchanged = (
            added + len(done.added),
            updated + len(done.updated),
            unchanged + len(done.unchanged),
        )
        conflicts += done.conflicts
        await asyncio.sleep(0)
    return added, updated, unchanged, conflicts, ()


def report_lines(summary: ImportSummary, name: str) -> tuple[str, ...]:
    """The plain report of an import, as `python -m bot import-activities` prints it (without the indent)."""
    if summary.refused:
        head = f"Not imported: {name} is over a limit."
    elif summary.readable:
        head = (
            f"Activities: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.skipped} skipped, {summary.conflicts} refused (another organisation's id)."
        )
    else:
        head = f"Could not read {name}:"
    return (head, *summary.lines)


def term_labels(catalogue: Catalogue, taxonomy: Taxonomy) -> dict[str, str]:
    """Interest term ids to their names in the catalogue's language (for exported taxonomy terms)."""
    return {term.id: catalogue.messages.get(term.label, term.id) for term in taxonomy.terms}


async def export_activities(
    units: UnitOfWorkFactory, path: Path, slug: str, language: str = "en"
) -> tuple[int, list[str]]:
    """Write the organisation's activities (defunct ones too) as a JSON list of Open Referral UK services.

    Returns how many were written and warnings about anything the standard could not express.
    """
    async with units() as uow:
        organisation = await uow.organisations.by_slug(slug)
        if organisation is None:
            raise OperatorError(f"no organisation called {slug!r}")
        activities = await uow.activities.for_organisation(organisation.id, include_defunct=True)
    labels = term_labels(load_catalogue(language), bundled_taxonomy())
    owner = ExportOrganisation(organisation.slug, organisation.name)
    warnings: list[str] = []
    ordered = sorted(activities, key=lambda activity: activity.id)
    services = [service_object(activity, owner, labels, warnings) for activity in ordered]
    await asyncio.to_thread(path.write_text, json.dumps(services, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return len(services), warnings
