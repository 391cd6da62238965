"""Simulated members checking in against a bot that may die at any moment, with every step accounted for.

A member reacts to the bot's latest question like a person would: /checkin, a mood button, then a few words
(crisis words for some), until the closing reply. Each step is an update; its *window* is the bot messages
from the moment it was sent until the next step. A step is acknowledged when its whole reply has arrived.
When the bot lost a step (its update was taken by a process that then died, and no reply came), the member
does it again, as a person who got no answer would; such retries are counted, never hidden.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.sandbox import Sandbox, SentMessage, SimUser

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
    lost: bool = False
    apologised: bool = False


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
            await self.check_in(deadline)
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
        """Send one step; if the bot lost it, send it again; return once its reply has arrived."""
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
            seen = -1
            while not step.lost:
                if self.user.chat.next_message_id != seen:  # something new in this chat: look closer
                    seen = self.user.chat.next_message_id
                    if any(APOLOGY_MARK in (m.text or "") for m in self.window(step)):
                        step.apologised = True
                        break
                    if self.answered(step):
                        break
                if time.monotonic() > deadline:
                    raise AssertionError(f"member {self.chat_id}: no answer to {kind} in time")
                await asyncio.sleep(0.05)
            self.waiting = None
            if step.lost:
                continue
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

    def answered(self, step: Step) -> bool:
        """Tell whether the whole reply to `step` has arrived."""
        return len(self.window(step)) >= self.expected[self.reply_kind(step)]

    def reply_kind(self, step: Step) -> str:
        """The kind of reply a step gets (a crisis reply differs with the consent to share)."""
        if step.kind == "crisis":
            return "crisis_shared" if self.shares else "crisis_private"
        return step.kind

    def duplicates(self) -> int:
        """Bot messages beyond the reply each step gets: a step answered twice."""
        return sum(max(0, len(self.window(s)) - self.expected[self.reply_kind(s)]) for s in self.steps)

    def describe(self) -> str:
        """Every step with what answered it, for failure messages."""
        lines = [f"member {self.chat_id} (crisis {self.crisis}, shares {self.shares}):"]
        for step in self.steps:
            texts = [(m.message_id, (m.text or "")[:40]) for m in self.window(step)]
            state = "acked" if step.acked else "lost" if step.lost else "apologised" if step.apologised else "waiting"
            lines.append(f"  {step.kind} {step.value[:20]!r} update {step.update_id} mark {step.mark} {state}: {texts}")
        return "\n".join(lines)


def mark_lost(
    members: list[CheckingMember], sandbox: Sandbox, grace: float | None = None, polling_since: float = 0.0
) -> list[Step]:
    """Mark steps lost whose update a bot took and no reply came.

    Call it when the bot that took them is dead; or, with a live bot, give `grace`: seconds the bot has had
    (counted from when it started polling, or from the step if later) to answer before the step counts as lost.
    """
    pending = {update["update_id"] for update in sandbox.pending_updates()}
    lost = []
    now = time.monotonic()
    for member in members:
        step = member.waiting
        if step is None or step.lost or step.apologised or member.answered(step) or step.update_id in pending:
            continue
        if grace is not None and now - max(step.sent_at, polling_since) < grace:
            continue
        step.lost = True
        lost.append(step)
    return lost


def acknowledged(members: list[CheckingMember], kind: str) -> Counter[tuple[int, str]]:
    """Acknowledged steps of one kind as a multiset of (chat id, value)."""
    return Counter((m.chat_id, s.value) for m in members for s in m.steps if s.kind == kind and s.acked)
