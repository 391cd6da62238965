"""A community for fault tests: volunteers on duty, members checking in, and the audit of what survived."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.operator import create_invite, create_organisation
from bot.runtime import utc_now
from bot.sandbox import Sandbox, SimUser
from models.crypto import DataCipher
from models.database import create_engine, session_factory
from models.inbox_tables import InboxUpdate
from models.migrate import upgrade_to_head
from models.outbox import LEASE as OUTBOX_LEASE
from models.prompts import LEASE as PROMPT_LEASE
from models.tables import (
    Alert,
    CheckIn,
    CheckInAnswer,
    CheckInPlan,
    Member,
    OutboxMessage,
    ProcessedUpdate,
    PromptDelivery,
)
from models.unit_of_work import UnitOfWorkFactory
from tests.e2e.harness import Member as Person
from tests.faults.checkins import CRISIS_MARK, PROMPT_MARK, CheckingMember, acknowledged

VOLUNTEER_IDS = (4901, 4902)
MEMBER_BASE = 5000
REFERENCE_IDS = {"normal": 4991, "crisis_shared": 4992, "crisis_private": 4993}


@dataclass
class Community:
    """Who takes part, and the database behind the bot."""

    url: str
    key: str
    sandbox: Sandbox
    volunteers: list[SimUser] = field(default_factory=list)
    members: list[CheckingMember] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)

    def units(self) -> tuple[AsyncEngine, UnitOfWorkFactory]:
        """An engine and a unit-of-work factory on the bot's database (dispose the engine after use)."""
        engine = create_engine(self.url)
        return engine, UnitOfWorkFactory(session_factory(engine), DataCipher((self.key,)))


async def prepare_database(url: str, key: str, volunteers: int) -> list[str]:
    """Migrate, create the organisation and return one single-use volunteer invite per volunteer."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        units = UnitOfWorkFactory(session_factory(engine), DataCipher((key,)))
        await create_organisation(units, "hillside", "Hillside Community Hub", utc_now())
        return [await create_invite(units, "hillside", "volunteer", utc_now()) for _ in range(volunteers)]
    finally:
        await engine.dispose()


async def onboard(person: Person, share: bool, timeout: float = 60.0) -> None:
    """/start and the three choices (keep my check-ins: yes; news: no), patient with a busy machine."""
    await person.say("/start", expect=2, timeout=timeout)
    await person.tap("Yes, keep them", timeout=timeout)
    if share:
        await person.tap("Yes, that's OK", timeout=timeout)
        await person.tap("Only that", timeout=timeout)
    else:
        await person.tap("No thanks", timeout=timeout)
    await person.tap("No thanks", timeout=timeout)


async def join_volunteers(community: Community, invites: list[str]) -> None:
    """Volunteers redeem their invites and go on duty."""
    for user_id, invite in zip(VOLUNTEER_IDS, invites, strict=False):
        person = Person(community.sandbox.user(user_id, first_name=f"Vol{user_id}"))
        await person.say(f"/start {invite}", timeout=30)
        await person.say("/duty on", timeout=30)
        community.volunteers.append(person.user)


async def count_replies(user: SimUser, act: object) -> int:
    """Do something and count the whole reply (everything that arrives within a settling second)."""
    before = len(user.messages)
    await act  # type: ignore[misc]
    await user.wait_until(lambda u: len(u.messages) > before, timeout=30)
    await asyncio.sleep(1.0)
    return len(user.messages) - before


async def calibrate(community: Community) -> dict[str, int]:
    """How many messages each step gets when nothing goes wrong, from three reference members."""
    expected = {"carry_on": 1}
    for name, user_id in REFERENCE_IDS.items():
        person = Person(community.sandbox.user(user_id))
        await onboard(person, share=name != "crisis_private")
        user = person.user
        expected["checkin"] = await count_replies(user, user.send("/checkin"))
        question = user.messages[-1]
        good = question.button("Good").callback_data or ""
        expected["mood"] = await count_replies(user, user.press(question.message_id, good))
        words = "a quiet day with tea" if name == "normal" else "I want to end my life"
        expected["note" if name == "normal" else name] = await count_replies(user, user.send(words))
        if name != "normal":
            assert CRISIS_MARK in (user.messages[-expected[name]].text or ""), "the crisis reply comes first"
    return expected


async def onboard_members(community: Community, count: int, crisis_every: int, seed: int) -> None:
    """Onboard `count` members at once (all keep their check-ins; some share; some will write crisis words)."""
    rng = random.Random(seed)
    people = []
    for index in range(count):
        crisis = index % crisis_every == 0
        shares = (index // crisis_every) % 5 != 4 if crisis else index % 2 == 0  # a fifth of those in crisis do not
        user = community.sandbox.user(MEMBER_BASE + index)
        people.append(CheckingMember(user, crisis, shares, community.expected, random.Random(rng.random())))
    results = await asyncio.gather(
        *(onboard(Person(p.user), p.shares) for p in people),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, f"{len(failures)} members could not onboard: {failures[0]!r}"
    community.members = people


async def schedule_prompts(community: Community, within: float, seed: int) -> None:
    """Give every member a daily plan whose next prompt falls due at a random moment in the next `within` s."""
    rng = random.Random(seed)
    engine, units = community.units()
    now = utc_now()
    try:
        async with units() as uow:
            rows = (await uow.session.execute(select(Member.telegram_user_id, Member.id))).all()
            ids = {telegram_id: member_id for telegram_id, member_id in rows}
            plans = [
                {
                    "member_id": ids[m.chat_id],
                    "frequency": "daily",
                    "weekdays": "0,1,2,3,4,5,6",
                    "time_of_day": "10:00",
                    "timezone": "Europe/London",
                    "instrument_id": None,
                    "instrument_every": 7,
                    "checkins_since_instrument": 0,
                    "next_due_at": now + timedelta(seconds=rng.uniform(1.0, within)),
                    "updated_at": now,
                }
                for m in community.members
            ]
            await uow.session.execute(insert(CheckInPlan), plans)
            await uow.commit()
    finally:
        await engine.dispose()


async def expire_dead_leases(community: Community, alive_since: datetime) -> int:
    """Let rows leased by processes that died fall due now, as their lease running out would (not waiting 2 min)."""
    engine, units = community.units()
    now = utc_now()
    try:
        async with units() as uow:
            changed = 0
            for table, lease in ((OutboxMessage, OUTBOX_LEASE), (PromptDelivery, PROMPT_LEASE)):
                result = await uow.session.execute(
                    update(table)
                    .where(
                        table.status.in_(("pending", "sending")),  # a prompt left "sending" becomes uncertain
                        table.next_attempt_at > now,
                        table.next_attempt_at < alive_since + lease,
                    )
                    .values(next_attempt_at=now)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
            await uow.commit()
        return changed
    finally:
        await engine.dispose()


async def wait_until_sent(community: Community, timeout: float = 60.0) -> None:
    """Wait until the outbox and the prompt deliveries hold nothing pending (nor a prompt marked sending)."""
    engine, units = community.units()
    deadline = time.monotonic() + timeout
    try:
        while True:
            async with units() as uow:
                outbox = (
                    await uow.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending"))
                ).all()
                prompts = (
                    await uow.session.scalars(
                        select(PromptDelivery.id).where(PromptDelivery.status.in_(("pending", "sending")))
                    )
                ).all()
            if not outbox and not prompts:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"still pending after {timeout}s: outbox {len(outbox)}, prompts {len(prompts)}")
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


@dataclass
class Audit:
    """What survived: the figures every fault test prints and asserts on.

    A step the member did not see answered is accounted for where its update is: still with Telegram (pending in
    the sandbox), stored in the inbox, handled with its reply lost after the commit, or else lost.
    """

    steps: int = 0
    acknowledged: int = 0
    apologised: int = 0
    unanswered: int = 0  # members whose patience ran out on this step
    answered_late: int = 0  # ... and whose reply came after all
    lost_updates: list[str] = field(default_factory=list)  # neither answered, nor with Telegram, nor stored
    lost_crisis: int = 0  # crisis messages among the lost updates
    replies_lost_after_commit: int = 0  # handled (effects committed) but its reply never arrived
    crisis_replies_lost_after_commit: int = 0
    left_with_telegram: int = 0
    left_in_inbox: int = 0
    lost_answers: list[str] = field(default_factory=list)
    lost_alerts: list[str] = field(default_factory=list)
    duplicated_replies: int = 0  # every message beyond the expected replies
    resent_replies: int = 0  # ... of which copies of a reply already sent (re-sent after a crash)
    answered_twice: int = 0  # ... of which new replies to a step already answered (handled twice)
    duplicated_prompts: int = 0
    duplicated_alerts: int = 0
    prompts_delivered: int = 0
    prompts_lost: int = 0  # a member never prompted, with no prompt in doubt either
    prompts_in_doubt: int = 0  # prompts left "sending" by a killed process (never resent) ...
    prompts_in_doubt_unsent: int = 0  # ... of which the member never got (the kill fell before the request)
    alerts: int = 0
    alert_deliveries: int = 0
    completed: int = 0
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line of figures."""
        return (
            f"steps {self.steps} (acknowledged {self.acknowledged}, apologised {self.apologised}, "
            f"unanswered {self.unanswered}, answered after the member gave up {self.answered_late}), "
            f"check-ins completed {self.completed}; "
            f"updates lost {len(self.lost_updates)} (crisis messages lost {self.lost_crisis}), "
            f"left with Telegram {self.left_with_telegram}, left in the inbox {self.left_in_inbox}; "
            f"replies lost after commit {self.replies_lost_after_commit} (crisis replies "
            f"{self.crisis_replies_lost_after_commit}); lost: acknowledged answers {len(self.lost_answers)}, "
            f"alerts {len(self.lost_alerts)}, prompts {self.prompts_lost}; prompts in doubt {self.prompts_in_doubt} "
            f"(never sent {self.prompts_in_doubt_unsent}); duplicated: replies "
            f"{self.duplicated_replies} (copies re-sent after a crash {self.resent_replies}, steps answered twice "
            f"{self.answered_twice}), prompts {self.duplicated_prompts}, alerts {self.duplicated_alerts}; "
            f"delivered: alerts {self.alert_deliveries} to volunteers for {self.alerts} alert rows, "
            f"prompts {self.prompts_delivered}"
        )


async def audit(community: Community, prompts_due: bool) -> Audit:
    """Compare what members saw answered with what the database and Telegram hold, and count every delivery."""
    figures = Audit()
    members = community.members
    steps = [s for m in members for s in m.steps]
    figures.steps = len(steps)
    figures.acknowledged = sum(s.acked for s in steps)
    figures.apologised = sum(s.apologised for s in steps)
    figures.unanswered = sum(s.unanswered for s in steps)
    figures.completed = sum(m.completed for m in members)
    unanswered = [(m, s) for m in members for s in m.steps if not s.acked and not s.apologised]
    engine, units = community.units()
    cipher = DataCipher((community.key,))
    try:
        async with units() as uow:
            moods = Counter(
                (telegram_id, str(value))
                for telegram_id, value in (
                    await uow.session.execute(
                        select(Member.telegram_user_id, CheckInAnswer.value)
                        .join(CheckIn, CheckIn.member_id == Member.id)
                        .join(CheckInAnswer, CheckInAnswer.checkin_id == CheckIn.id)
                        .where(CheckInAnswer.item_id == "mood")
                    )
                ).all()
            )
            notes = Counter(
                (telegram_id, cipher.decrypt(note or b""))
                for telegram_id, note in (
                    await uow.session.execute(
                        select(Member.telegram_user_id, CheckIn.note_encrypted)
                        .join(CheckIn, CheckIn.member_id == Member.id)
                        .where(CheckIn.status == "completed", CheckIn.note_encrypted.is_not(None))
                    )
                ).all()
            )
            alert_rows = (
                await uow.session.execute(
                    select(Alert.id, Member.telegram_user_id).join(Member, Member.id == Alert.member_id)
                )
            ).all()
            alerts = {alert_id: telegram_id for alert_id, telegram_id in alert_rows}
            ids = [s.update_id for _, s in unanswered] or [0]
            processed = set(
                await uow.session.scalars(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(ids)))
            )
            stored = set((await uow.session.scalars(select(InboxUpdate.update_id))).all())
            in_doubt = Counter(
                await uow.session.scalars(
                    select(Member.telegram_user_id)
                    .join(PromptDelivery, PromptDelivery.member_id == Member.id)
                    .where(PromptDelivery.status == "uncertain")
                )
            )
    finally:
        await engine.dispose()
    pending = {update["update_id"] for update in community.sandbox.pending_updates()}
    by_chat = {member.chat_id: member for member in members}
    handled_crisis = {m.chat_id for m in members for s in m.steps if s.kind == "crisis" and s.acked}
    for member, step in unanswered:
        crisis = step.kind == "crisis"
        if member.answered(step):
            figures.answered_late += 1
            handled_crisis |= {member.chat_id} if crisis else set()
        elif step.update_id in pending:
            figures.left_with_telegram += 1
        elif step.update_id in stored:
            figures.left_in_inbox += 1
        elif step.update_id in processed:
            figures.replies_lost_after_commit += 1
            figures.crisis_replies_lost_after_commit += crisis
            handled_crisis |= {member.chat_id} if crisis else set()
        else:
            figures.lost_updates.append(f"{step.kind} update {step.update_id} of {member.chat_id}")
            figures.lost_crisis += crisis
            figures.examples.append(member.describe())
    for (chat, value), times in acknowledged(members, "mood").items():
        if moods[(chat, value)] < times:
            figures.lost_answers.append(f"mood {value} of {chat}")
    for (chat, value), times in acknowledged(members, "note").items():
        if notes[(chat, value)] < times:
            figures.lost_answers.append(f"note of {chat}")
            figures.examples.append(by_chat[chat].describe())
    alerted = Counter(alerts.values())
    for member in members:
        told = any(s.kind == "crisis" and s.acked for s in member.steps)
        if told and CRISIS_MARK not in " ".join(m.text or "" for m in member.user.messages):
            figures.lost_answers.append(f"crisis reply of {member.chat_id}")
        if member.crisis and member.shares and member.chat_id in handled_crisis and not alerted[member.chat_id]:
            figures.lost_alerts.append(f"no alert row for {member.chat_id}")
        if (not member.crisis or not member.shares) and alerted[member.chat_id]:
            figures.lost_alerts.append(f"an alert nobody asked for, for {member.chat_id}")
        if member.duplicates():
            figures.duplicated_replies += member.duplicates()
            figures.resent_replies += member.resent()
            figures.answered_twice += member.answered_twice()
            figures.examples.append(member.describe())
        if prompts_due:
            prompts = member.prompts()
            figures.prompts_delivered += prompts
            figures.prompts_in_doubt += in_doubt[member.chat_id]
            figures.prompts_in_doubt_unsent += prompts == 0 and in_doubt[member.chat_id] > 0
            figures.prompts_lost += prompts == 0 and not in_doubt[member.chat_id]
            figures.duplicated_prompts += max(0, prompts - 1)
    figures.alerts = len([a for a, chat in alerts.items() if chat in by_chat])
    for alert_id in alerts:
        for volunteer in community.volunteers:
            got = sum(any(b.callback_data == f"al:claim:{alert_id}" for b in m.all_buttons) for m in volunteer.messages)
            figures.alert_deliveries += min(got, 1)
            figures.duplicated_alerts += max(0, got - 1)
            if not got:
                figures.lost_alerts.append(f"alert {alert_id} never reached volunteer {volunteer.user_id}")
    return figures


__all__ = ["PROMPT_MARK", "Audit", "Community"]
