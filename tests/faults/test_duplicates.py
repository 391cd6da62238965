"""Updates delivered twice, in the same batch or long after, and updates that arrive in another order.

Telegram may deliver an update again (a webhook retry, a restart before the offset was confirmed) and a
member's quick taps may arrive in an order other than the one they were made in. Each update has its effect
once: one stored answer, one reply. tests/e2e/test_resilience.py covers a redelivered button during onboarding.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from models.crypto import DataCipher
from models.tables import CheckIn, CheckInAnswer, ConsentRecord, ProcessedUpdate
from tests.conftest import BACKENDS, drop_postgres_database, migrated_database_url
from tests.e2e.harness import Member, RunningBot, start_bot
from tests.faults.scenario import onboard


@pytest.fixture(params=BACKENDS)
async def bot(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A sandbox and a real Cairn polling it, on SQLite or PostgreSQL."""
    url = await migrated_database_url(request.param, tmp_path)
    running = await start_bot(url, (Fernet.generate_key().decode(),))
    try:
        yield running
    finally:
        await running.stop()
        await running.server.stop()
        if request.param == "postgresql":
            await drop_postgres_database(url)


def backend(bot: RunningBot) -> str:
    """Which database the bot runs on."""
    return "postgresql" if bot.settings.database_url.startswith("postgresql") else "sqlite"


async def stored(bot: RunningBot) -> tuple[Counter[str], list[str], int, int]:
    """Mood answers by value, check-in statuses, consent records and handled updates in the database."""
    assert bot.cairn is not None
    cipher = DataCipher(bot.settings.data_keys)
    async with bot.cairn.units() as uow:
        moods = Counter(str(v) for v in (await uow.session.scalars(select(CheckInAnswer.value))).all())
        checkins = [
            f"{row.status}:{cipher.decrypt(row.note_encrypted) if row.note_encrypted else ''}"
            for row in (await uow.session.scalars(select(CheckIn).order_by(CheckIn.id))).all()
        ]
        consents = int(await uow.session.scalar(select(func.count(ConsentRecord.id))) or 0)
        handled = int(await uow.session.scalar(select(func.count(ProcessedUpdate.update_id))) or 0)
    return moods, checkins, consents, handled


async def test_every_update_of_a_journey_delivered_again_has_one_effect(bot: RunningBot) -> None:
    member = Member(bot.sandbox.user(6101))
    sandbox = bot.sandbox
    copies = 0
    ids = []

    async def step(update_id: int, expect: int) -> list[str]:
        """Deliver the update twice more in the same batch, wait for its reply, then once more later."""
        nonlocal copies
        sandbox.redeliver(update_id)
        sandbox.redeliver(update_id)
        copies += 2
        ids.append(update_id)
        replies = await member.user.wait_for_messages(expect, timeout=20)
        return [m.text or "" for m in replies]

    await step(await member.user.send("/start"), expect=2)
    await onboard_rest(member, step)
    await step(await member.user.send("/checkin"), expect=1)
    question = member.user.messages[-1]
    await step(await member.user.press(question.message_id, question.button("Good").callback_data), expect=1)
    await step(await member.user.send("a walk by the river"), expect=1)  # the closing words vary
    for update_id in ids:  # long after, out of order: the oldest first, after everything newer
        sandbox.redeliver(update_id)
        copies += 1
    (help_text,) = await member.say("/help", timeout=20)  # handled after the redeliveries: one member's order
    assert "116 123" in (help_text.text or "")

    moods, checkins, consents, handled = await stored(bot)
    texts = [m.text or "" for m in member.user.messages]
    repeated = {text[:30]: n for text, n in Counter(texts).items() if n > 1}
    print(
        f"\nduplicates[{backend(bot)}]: {len(ids)} updates delivered {copies} extra times; stored: consent records "
        f"{consents}, "
        f"mood answers {sum(moods.values())}, check-ins {checkins}; replies {len(texts)}, repeated {repeated}"
    )
    assert consents == 3 and moods == Counter({"4": 1}) and checkins == ["completed:a walk by the river"]
    assert repeated == {}, "no reply was sent twice"
    assert handled == len(ids) + 1


async def onboard_rest(member: Member, step) -> None:  # type: ignore[no-untyped-def]
    """The three onboarding choices, each tap delivered again."""
    for label in ("Yes, keep them", "Yes, that's OK", "Only that", "No thanks"):
        question = next(m for m in reversed(member.user.messages) if m.has_button(label))
        await step(await member.user.press(question.message_id, question.button(label).callback_data), expect=1)


def sender(update: dict[str, object]) -> int:
    """The user an update (a message or a button) comes from."""
    body = update.get("message") or update.get("callback_query")
    return int(body["from"]["id"])  # type: ignore[index]


async def test_quick_taps_arriving_in_the_other_order_have_each_their_one_effect(bot: RunningBot) -> None:
    sandbox = bot.sandbox
    members = [Member(sandbox.user(6200 + i)) for i in range(5)]
    for member in members:
        await onboard(member, share=False, timeout=20)
        await member.say("/checkin", timeout=20)
    await bot.stop()  # the member acts while the updates wait, then they arrive the other way round
    for member in members:
        question = member.user.messages[-1]
        await member.user.press(question.message_id, question.button("Okay").callback_data)
        await member.user.send("too quick for the button")
    waiting = sandbox.pending_updates()
    sandbox.updates.drop_pending()
    first_id = max(u["update_id"] for u in waiting) + 1
    for member in members:
        mine = [u for u in waiting if sender(u) == member.user.user_id]
        for offset, update in enumerate(reversed(mine)):  # the text now comes before the tap
            sandbox.push_raw_update({**update, "update_id": first_id + offset})
        first_id += len(mine)
    before = {member.user.user_id: len(member.user.messages) for member in members}
    for member in members:
        member.user.mark_read()
    await bot.start()
    for member in members:
        replies = [m.text or "" for m in await member.user.wait_for_messages(3, timeout=20)]
        assert "Please tap one of the buttons" in replies[0] and "How are you feeling" in replies[1]
        assert "on your mind" in replies[2], "the tap, arriving second, still counts once"
    for update_id in range(first_id - 2 * len(members), first_id):
        sandbox.redeliver(update_id)  # and both once more, now long after
    for member in members:
        await member.say("now the words", timeout=20)
    moods, checkins, _, _ = await stored(bot)
    extra = sum(len(m.user.messages) - before[m.user.user_id] - 3 - 1 for m in members)
    print(
        f"\nreordered[{backend(bot)}]: {len(members)} members' tap and text delivered text-first, then both again; "
        "stored mood "
        f"answers {dict(moods)}, check-ins {Counter(checkins)}; unexpected extra replies {extra}"
    )
    assert moods == Counter({"3": len(members)})
    assert checkins == ["completed:now the words"] * len(members)
    assert extra == 0
