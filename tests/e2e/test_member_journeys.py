"""A member's whole journey through the real bot: onboarding, /privacy, /mydata, /forget."""

from __future__ import annotations

import asyncio
import json
import struct
from itertools import product
from pathlib import Path

from sqlalchemy import MetaData, select

from models.database import create_engine, is_sqlite
from tests.e2e.harness import CANARY_TEXT, RunningBot


async def consent_rows(bot: RunningBot, telegram_user_id: int) -> list[tuple[str, str, str | None]]:
    """Read a member's consent records straight from the database."""
    assert bot.cairn is not None
    async with bot.cairn.units() as uow:
        member = await uow.members.by_telegram_user(telegram_user_id)
        if member is None:
            return []
        return [(row.scope, row.action, row.share_level) for row in await uow.consents.history(member.id)]


async def test_onboarding_with_every_combination_of_choices(bot: RunningBot) -> None:
    combinations = list(product([True, False], [None, "flag_only", "with_answers"], [True, False]))

    async def journey(index: int, store: bool, share: str | None, news: bool) -> None:
        member = bot.member(8100 + index)
        welcome, first = await member.say("/start", expect=2)
        assert "Hillside Community Hub" in welcome.text and "not an emergency service" in welcome.text
        assert first.button_labels == ["Yes, keep them", "No thanks"]
        summary = (await member.onboard_rest(store, share, news))[-1]
        assert "All done" in summary.text
        assert ("Keep my check-ins: yes" if store else "Keep my check-ins: no") in summary.text
        rows = await consent_rows(bot, 8100 + index)
        expected = [
            ("store", "given" if store else "declined", None),
            ("share_flags", "given" if share else "declined", share),
            ("news", "given" if news else "declined", None),
        ]
        assert rows == expected

    await asyncio.gather(*(journey(i, *choice) for i, choice in enumerate(combinations)))


async def test_privacy_changes_a_choice_at_once(bot: RunningBot) -> None:
    member = bot.member(8201)
    await member.onboard(store=True, share="flag_only", news=True)
    (menu,) = await member.say("/privacy")
    assert "News about local activities: yes" in menu.text
    (changed,) = await member.tap("Stop the news")
    assert "won't send you any more news" in changed.text
    assert (await consent_rows(bot, 8201))[-1] == ("news", "withdrawn", None)
    assert member.user.callback_answers[-1][1] == "Saved."


async def test_mydata_sends_a_json_file_of_everything_held(bot: RunningBot) -> None:
    member = bot.member(8301)
    await member.onboard(store=True, share="with_answers", news=False)
    note, document = await member.say("/mydata", expect=2)
    assert "everything I keep" in note.text
    assert document.document is not None and document.document.filename.endswith(".json")
    exported = json.loads(document.document.data)
    tables = exported["tables"]
    assert tables["members"][0]["telegram_user_id"] == 8301
    assert [row["scope"] for row in tables["consent_records"]] == ["store", "share_flags", "news"]
    assert tables["consent_records"][1]["share_level"] == "with_answers"


async def test_forget_erases_everything_and_a_raw_scan_finds_no_trace(bot: RunningBot) -> None:
    telegram_id = 7_301_234_567_890  # six bytes as a stored integer: easy to find in a raw file
    member = bot.member(telegram_id)
    await member.onboard(store=True, share="flag_only", news=True)
    await member.say(f"I wanted to say {CANARY_TEXT}")
    await member.say("/privacy")
    assert await raw_database_mentions(bot, telegram_id), "the scan must be able to find the member before erasure"
    (question,) = await member.say("/forget")
    assert "can't be undone" in question.text
    (done,) = await member.tap("Yes, delete everything")
    assert "deleted everything" in done.text and "your privacy choices: 3" in done.text
    assert not await raw_database_mentions(bot, telegram_id)
    assert await consent_rows(bot, telegram_id) == []
    (again,) = await member.say("/mydata")
    assert "don't keep anything" in again.text


async def raw_database_mentions(bot: RunningBot, telegram_id: int) -> list[str]:
    """Scan every row of every table, and on SQLite the raw file bytes, for the member's id or canary text."""
    url = bot.settings.database_url
    found: list[str] = []
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                for row in (await connection.execute(select(table))).all():
                    text = " ".join(str(value) for value in row)
                    if str(telegram_id) in text or CANARY_TEXT in text:
                        found.append(table.name)
    finally:
        await engine.dispose()
    if is_sqlite(url):
        path = Path(url.removeprefix("sqlite+aiosqlite:///"))
        log_file = path.with_name(path.name + "-wal")  # write-ahead log: erased rows must not linger there either
        raw = path.read_bytes() + (log_file.read_bytes() if log_file.exists() else b"")
        if struct.pack(">q", telegram_id)[2:] in raw or str(telegram_id).encode() in raw:
            found.append("raw-file")
        if CANARY_TEXT.encode() in raw:
            found.append("raw-file-text")
    return found


async def test_the_command_menu_is_set_at_start(bot: RunningBot) -> None:
    menus = list(bot.sandbox.state.commands.values())
    assert menus, "setMyCommands was called at start"
    names = {command["command"] for command in menus[0]}
    assert {"checkin", "help"} <= names
