"""Property-based fuzzing of inbound updates through the real path: sandbox over HTTP, getUpdates, PTB, handler.

Any text (empty, huge, every Unicode plane, control characters, RTL marks, escaped surrogates, odd commands
and deep links), callback data of 0 to 64 bytes and beyond, unknown update types and malformed update dicts:
no unhandled exception (the error handler's `unhandled_error`) and no failed update (`update_failed`), the
member still gets answers, and afterwards completes a normal check-in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BACKENDS, LOG_CAPTURE, drop_postgres_database, migrated_database_url
from tests.e2e.harness import Member, RunningBot, start_bot
from tests.faults.scenario import onboard

T = TypeVar("T")
FUZZ_USER = 7001
EXAMPLES = 50  # per property; four properties
FAILURES = ("unhandled_error", "update_failed")

# Text from every plane but no lone surrogates (JSON cannot carry them to us); surrogates appear escaped instead.
CHARACTERS = st.characters(exclude_categories=("Cs",))
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "\u200f",
        "\u202e",
        "\u200b",
        "\ufeff",
        "\x00",
        "\x1b[31m",
        "\r\n",
        "\\ud800",
        "\\udfff\\ud83d",
        "\U0010ffff",
        "\U000e0001",
        "\u0300" * 50,
        "/",
        "//",
        "/start",
        "/start inv_",
        "/start org_",
        "/checkin@x y",
        "/START",
        "/mydata@cairn_sandbox_bot",
        "/forget",
        "/" + "a" * 70,
        "I want to end my life",
    ]
)
TEXTS = st.one_of(
    SPECIAL,
    st.text(CHARACTERS, max_size=300),
    st.builds(lambda a, b: a + b, SPECIAL, st.text(CHARACTERS, max_size=100)),
    st.builds(lambda char, n: char * n, CHARACTERS, st.integers(4090, 9000)),  # at, around and beyond 4096
    st.builds(lambda head, n: f"/{head} " + "x" * n, st.text(CHARACTERS, max_size=10), st.integers(0, 5000)),
)
CALLBACK_DATA = st.one_of(
    st.text(CHARACTERS, max_size=80),
    st.binary(max_size=70).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(
        [
            "",
            "ci:mood:9",
            "ci:mood:",
            "ci:mood:3:4",
            "ci:note:skip",
            "ci:item:99",
            "ci:prompt:snooze",
            "ob:store:yes",
            "al:claim:99999999999999999999",
            "al:claim:-1",
            "rl:end:1",
            "tm:remove:1",
            "hp:now:show",
            "x" * 64,
            "x" * 65,
            "é" * 32,
            "é" * 33,
            "ci:mood:5\x00",
        ]
    ),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(CHARACTERS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARACTERS, max_size=12), inner, max_size=4),
    max_leaves=12,
)
UPDATE_KEYS = st.sampled_from(
    [
        "message",
        "edited_message",
        "channel_post",
        "callback_query",
        "inline_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "message_reaction",
        "business_message",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "future_kind",
    ]
)


def person(user_id: int = FUZZ_USER) -> st.SearchStrategy[dict[str, Any]]:
    """A Telegram user, sometimes missing fields or with odd ones."""
    return st.fixed_dictionaries(
        {"id": st.one_of(st.just(user_id), st.integers(), st.text(max_size=5))},
        optional={"is_bot": JSON, "first_name": st.one_of(st.text(CHARACTERS, max_size=300), JSON)},
    )


MALFORMED_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "message_id": st.one_of(st.integers(), JSON),
        "date": st.one_of(st.integers(0, 2**33), JSON),
        "chat": st.fixed_dictionaries(
            {"id": st.one_of(st.just(FUZZ_USER), st.integers(), JSON)},
            optional={"type": st.sampled_from(["private", "group", "supergroup", "channel", "weird"])},
        ),
        "from": person(),
        "text": st.one_of(TEXTS, JSON),
        "entities": JSON,
        "sticker": JSON,
        "reply_to_message": JSON,
    },
)
RAW_UPDATES = st.one_of(
    st.dictionaries(
        UPDATE_KEYS | st.text(CHARACTERS, min_size=1, max_size=20).filter(lambda k: k != "update_id"),
        JSON,
        min_size=0,
        max_size=3,
    ),
    st.builds(
        lambda key, body: {key: body}, st.sampled_from(["message", "edited_message", "channel_post"]), MALFORMED_MESSAGE
    ),
    st.builds(
        lambda body: {"callback_query": body},
        st.fixed_dictionaries(
            {"id": st.text(max_size=8), "from": person(), "chat_instance": st.text(max_size=8)},
            optional={"data": st.one_of(CALLBACK_DATA, JSON), "message": st.one_of(MALFORMED_MESSAGE, JSON)},
        ),
    ),
)


class FuzzedBot:
    """A running bot on its own event loop, so that hypothesis can drive it from plain functions."""

    def __init__(self, backend: str, tmp_path: Path) -> None:
        """Start the sandbox and the bot, and onboard the member who will send garbage."""
        self.loop = asyncio.new_event_loop()
        self.backend = backend
        self.url = self.run(migrated_database_url(backend, tmp_path))
        self.bot: RunningBot = self.run(start_bot(self.url, (Fernet.generate_key().decode(),)))
        self.member = Member(self.bot.sandbox.user(FUZZ_USER))
        self.run(onboard(self.member, share=True, timeout=30))
        self.examples = 0

    def run(self, work: Awaitable[T]) -> T:
        """Run a coroutine on the bot's loop."""
        return self.loop.run_until_complete(work)  # type: ignore[arg-type]

    def close(self) -> None:
        """Stop everything."""
        self.run(self.bot.stop())
        self.run(self.bot.server.stop())
        if self.backend == "postgresql":
            self.run(drop_postgres_database(self.url))
        self.loop.close()

    async def idle(self) -> None:
        """Wait until the sandbox holds no update and the bot is handling none (its inbox is empty)."""
        assert self.bot.cairn is not None and self.bot.cairn.inbox is not None
        application, inbox, units = self.bot.cairn.application, self.bot.cairn.inbox, self.bot.cairn.units
        quiet = 0
        deadline = time.monotonic() + 30
        while quiet < 3:
            async with units() as uow:
                stored = await uow.inbox.depth()
            busy = (
                self.bot.sandbox.pending_updates()
                or stored
                or inbox.in_flight
                or not application.update_queue.empty()
                or application.update_processor.current_concurrent_updates
            )
            quiet = 0 if busy else quiet + 1
            assert time.monotonic() < deadline, "the bot did not finish the fuzzed updates in time"
            await asyncio.sleep(0.02)

    async def still_answered(self) -> None:
        """The member who sent garbage is still answered: /help brings the crisis resources."""
        sentinel = await self.member.user.send("/help")
        await self.member.user.wait_until(
            lambda u: any("116 123" in (m.text or "") for m in u.messages if m.message_id > sentinel), timeout=30
        )
        await self.idle()

    def check(self, send: Awaitable[object]) -> None:
        """Send fuzzed updates, wait for the bot, and require no failure in the log."""
        before = len(LOG_CAPTURE.lines)
        self.run(send)
        self.run(self.still_answered())
        failures = [line for line in LOG_CAPTURE.lines[before:] if any(name in line for name in FAILURES)]
        assert failures == [], failures[:5]
        self.examples += 1

    async def complete_check_in(self) -> None:
        """The normal check-in, with its normal replies."""
        member = self.member
        member.user.mark_read()
        (question,) = await member.say("/checkin", timeout=30)
        if question.has_button("Carry on"):  # a check-in the garbage began: start again
            (question,) = await member.tap("Start again", timeout=30)
        assert "How are you feeling" in (question.text or "")
        (note_question,) = await member.tap("Good", timeout=30)
        assert "on your mind" in (note_question.text or "")
        (closing,) = await member.tap("Skip", timeout=30)
        assert closing.text and "on your mind" not in closing.text and "went wrong" not in closing.text


async def send_texts(bot: FuzzedBot, texts: list[str], mid_check_in: bool) -> None:
    """The member sends texts, sometimes in the middle of a check-in."""
    if mid_check_in:
        await bot.member.user.send("/checkin")
    for text in texts:
        await bot.member.user.send(text)


async def press_buttons(bot: FuzzedBot, data: list[str]) -> None:
    """The member presses buttons carrying any data on the bot's latest message."""
    latest = bot.member.user.messages[-1]
    for item in data:
        await bot.member.user.press(latest.message_id, item)


async def push_raw(bot: FuzzedBot, updates: list[dict[str, Any]]) -> None:
    """Updates of any type and shape, as if Telegram (or something pretending) sent them."""
    for update in updates:
        bot.bot.sandbox.push_raw_update(update)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("backend", BACKENDS)
def test_fuzzed_updates_raise_nothing_and_the_member_can_still_check_in(backend: str, tmp_path: Path) -> None:
    bot = FuzzedBot(backend, tmp_path)
    began = time.monotonic()
    try:

        @FUZZ_SETTINGS
        @given(texts=st.lists(TEXTS, min_size=1, max_size=3), mid_check_in=st.booleans())
        def any_text(texts: list[str], mid_check_in: bool) -> None:
            bot.check(send_texts(bot, texts, mid_check_in))

        @FUZZ_SETTINGS
        @given(data=st.lists(CALLBACK_DATA, min_size=1, max_size=3))
        def any_button(data: list[str]) -> None:
            bot.check(press_buttons(bot, data))

        @FUZZ_SETTINGS
        @given(updates=st.lists(RAW_UPDATES, min_size=1, max_size=3))
        def any_update(updates: list[dict[str, Any]]) -> None:
            bot.check(push_raw(bot, updates))

        @FUZZ_SETTINGS
        @given(
            texts=st.lists(TEXTS, max_size=2),
            data=st.lists(CALLBACK_DATA, max_size=2),
            updates=st.lists(RAW_UPDATES, max_size=2),
        )
        def all_mixed(texts: list[str], data: list[str], updates: list[dict[str, Any]]) -> None:
            async def mixed() -> None:
                await push_raw(bot, updates)
                await press_buttons(bot, data)
                await send_texts(bot, texts, mid_check_in=False)

            bot.check(mixed())

        for prop in (any_text, any_button, any_update, all_mixed):
            prop()
            bot.run(bot.complete_check_in())
        unparseable = sum("update_unparseable" in line for line in LOG_CAPTURE.lines)
        print(
            f"\nfuzz[{backend}]: {bot.examples} examples (texts, buttons, raw updates, mixed) in "
            f"{time.monotonic() - began:.0f}s; unhandled exceptions 0, failed updates 0; updates PTB could not "
            f"parse and we skipped {unparseable}; a normal check-in completed after each property"
        )
    finally:
        bot.close()
