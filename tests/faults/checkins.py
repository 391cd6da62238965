"""Simulated members checking in against a bot that may die at any moment, with every step accounted for.

A member reacts to the bot's latest question like a person would: /checkin, a mood button, then a few words
(crisis words for some), until the closing reply. Each step is an update; its *window* is the bot messages
from the moment it was sent until the next step. A step is acknowledged when its whole reply has arrived.
A member never sends a step twice (except after the bot's apology, which asks them to): they wait for the reply
for as long as the bot still holds their update (Telegram has not been told it arrived, or it is stored in the
inbox), however many restarts that takes. Once the bot holds it no more and no reply has come, the member gives
up on that step and starts the check-in again, as a person would; the audit accounts for the step (handled with
its reply lost after the commit, or lost).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.sandbox import SentMessage, SimUser

PROMPT_MARK = "time for your check-in"  # the scheduled prompt, counted apart from the conversation
CRISIS_MARK = "116 123"  # Samaritans, first in every crisis reply
MOOD_LABELS = {5: "Great", 4: "Good", 3: "Okay"}  # moods that raise no concern on their own
APOLOGY_MARK = "something went wrong on my side"  # the bot could not handle it (its database was away): try again


@dataclass
class Step:
    """One thing a member did: an update, and the bot messages that answered it."""

    kind: str  # checkin, carry_on, mood, note, crisis
    value: str
    update_id: int
    mark: int  # the chat's next message_id when it was sent: bot messages from here on answer it
    sent_at: float
    acked: bool = False
    apologised: bool = False
    unanswered: bool = False  # the bot let go of the update and no reply came: the member gave up on it

    @property
    def state(self) -> str:
        """One word for failure messages."""
        if self.acked or self.apologised:
            return "acked" if self.acked else "apologised"
        return "unanswered" if self.unanswered else "waiting"


class GaveUp(Exception):
    """A member gave up on a step whose reply never came."""


@dataclass
class CheckingMember:
    """A member who checks in again and again while asked to, and notes everything that happened."""

    user: SimUser
    crisis: bool
    shares: bool
    expected: dict[str, int]
    rng: random.Random
    steps: list[Step] = field(default_factory=list)
    completed: int = 0
    waiting: Step | None = None
    released: Callable[[Step], bool] | None = None  # the bot holds the step's update no more (None: never asked)
    grace: float = 3.0  # seconds a reply may still be on its way once the bot has let go of the update

    @property
    def chat_id(self) -> int:
        """The member's chat (and Telegram user id)."""
        return self.user.user_id

    def conversation(self) -> list[SentMessage]:
        """The bot's messages to this member, scheduled prompts left out."""
        return [m for m in self.user.messages if PROMPT_MARK not in (m.text or "")]

    def prompts(self) -> int:
        """How many scheduled prompts reached this member."""
        return sum(PROMPT_MARK in (m.text or "") for m in self.user.messages)

    async def run(self, keep_going: Callable[[], bool], timeout: float) -> None:
        """Check in until `keep_going()` turns false, finishing the check-in under way."""
        deadline = time.monotonic() + timeout
        while keep_going() and time.monotonic() < deadline:
            try:
                await self.check_in(deadline)
            except GaveUp:
                continue  # no reply will come: start the check-in again
            self.completed += 1

    async def check_in(self, deadline: float) -> None:
        """One whole check-in, reacting to the bot's latest question until the closing reply."""
        await self._step("checkin", "/checkin", deadline)
        while time.monotonic() < deadline:
            question = self.conversation()[-1]
            if question.has_button("Carry on"):
                await self._step("carry_on", "Carry on", deadline, question)
            elif question.has_button(MOOD_LABELS[4]):
                mood = self.rng.choice(sorted(MOOD_LABELS))
                await self._step("mood", str(mood), deadline, question)
            elif question.has_button("Skip") and "on your mind" in (question.text or ""):
                if self.crisis:
                    await self._step("crisis", "I want to end my life", deadline)
                else:
                    await self._step("note", f"note {self.chat_id}-{len(self.steps)} garden and tea", deadline)
            else:
                return
        raise AssertionError(f"member {self.chat_id} did not finish a check-in in time")

    async def _step(self, kind: str, value: str, deadline: float, question: SentMessage | None = None) -> None:
        """Send one step and wait for its whole reply; send it again only when the bot apologised."""
        while True:
            mark = self.user.chat.next_message_id
            if question is not None:
                label = MOOD_LABELS[int(value)] if kind == "mood" else value
                send: Awaitable[int] = self.user.press(question.message_id, question.button(label).callback_data or "")
            else:
                send = self.user.send(value)
            step = Step(kind, value, await send, mark, time.monotonic())
            self.steps.append(step)
            self.waiting = step
            seen, let_go = -1, None
            while True:
                if self.user.chat.next_message_id != seen:  # something new in this chat: look closer
                    seen = self.user.chat.next_message_id
                    if any(APOLOGY_MARK in (m.text or "") for m in self.window(step)):
                        step.apologised = True
                        break
                    if self.answered(step):
                        break
                let_go = (let_go or time.monotonic()) if self.released and self.released(step) else None
                if let_go is not None and time.monotonic() - let_go > self.grace:
                    step.unanswered, self.waiting = True, None
                    raise GaveUp(self.chat_id)  # the audit says what became of the update
                if time.monotonic() > deadline:
                    raise AssertionError(f"member {self.chat_id}: no answer to {kind} in time")
                await asyncio.sleep(0.05)
            self.waiting = None
            if step.apologised:
                await asyncio.sleep(0.5)  # "please try again in a minute", in test time
                continue
            step.acked = True
            return

    def window(self, step: Step) -> list[SentMessage]:
        """The bot's conversation messages that answer `step` (up to the member's next step)."""
        index = self.steps.index(step)
        end = self.steps[index + 1].mark if index + 1 < len(self.steps) else None
        return [m for m in self.conversation() if m.message_id >= step.mark and (end is None or m.message_id < end)]

    def fresh(self, step: Step) -> list[SentMessage]:
        """The window less what the bot sent again: a text already in it, or in the previous step's window.

        After a crash the bot re-sends a reply it had committed but may not have sent (kept with the update),
        so a reply can come twice; a person sees the repeat for what it is and waits for the answer.
        """
        index = self.steps.index(step)
        seen = {m.text or "" for m in self.window(self.steps[index - 1])} if index else set()
        fresh = []
        for message in self.window(step):
            if (message.text or "") not in seen:
                fresh.append(message)
                seen.add(message.text or "")
        return fresh

    def answered(self, step: Step) -> bool:
        """Tell whether the whole reply to `step` has arrived."""
        return len(self.fresh(step)) >= self.expected[self.reply_kind(step)]

    def reply_kind(self, step: Step) -> str:
        """The kind of reply a step gets (a crisis reply differs with the consent to share)."""
        if step.kind == "crisis":
            return "crisis_shared" if self.shares else "crisis_private"
        return step.kind

    def resent(self) -> int:
        """Bot messages that repeat one already sent (a reply re-sent after a crash)."""
        return sum(len(self.window(s)) - len(self.fresh(s)) for s in self.steps)

    def answered_twice(self) -> int:
        """New bot messages beyond the reply each step gets: a step handled twice."""
        return sum(max(0, len(self.fresh(s)) - self.expected[self.reply_kind(s)]) for s in self.steps)

    def duplicates(self) -> int:
        """Bot messages beyond the reply each step gets, repeated or new."""
        return self.resent() + self.answered_twice()

    def describe(self) -> str:
        """Every step with what answered it, for failure messages."""
        lines = [f"member {self.chat_id} (crisis {self.crisis}, shares {self.shares}):"]
        for step in self.steps:
            texts = [(m.message_id, (m.text or "")[:40]) for m in self.window(step)]
            head = f"  {step.kind} {step.value[:20]!r} update {step.update_id} mark {step.mark}"
            lines.append(f"{head} {step.state}: {texts}")
        return "\n".join(lines)


def acknowledged(members: list[CheckingMember], kind: str) -> Counter[tuple[int, str]]:
    """Acknowledged steps of one kind as a multiset of (chat id, value)."""
    return Counter((m.chat_id, s.value) for m in members for s in m.steps if s.kind == kind and s.acked)
