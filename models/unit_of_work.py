"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

import logging
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.activities import ActivityRepository
from models.activity_choices import ActivityChoices
from models.alerts import AlertRepository
from models.audit import AuditRepository
from models.broadcast_deliveries import DeliveryRepository
from models.broadcasts import BroadcastRepository
from models.checkins import CheckInRepository, PlanRepository
from models.crypto import DataCipher
from models.dashboard import DashboardAccess
from models.database import fold_write_ahead_log
from models.inbox import InboxRepository
from models.outbox import OutboxRepository
from models.prompts import PromptRepository
from models.relay import RelayRepository
from models.repositories import (
    ConsentRepository,
    ConversationRepository,
    MemberRepository,
    OrganisationRepository,
    StaffRepository,
    UpdateLog,
)
from models.staff import StaffTeam

log = logging.getLogger("cairn.storage")


class UnitOfWork:
    """Owns one transaction; nothing is written unless `commit` is called."""

    session: AsyncSession
    organisations: OrganisationRepository
    members: MemberRepository
    consents: ConsentRepository
    conversations: ConversationRepository
    updates: UpdateLog
    staff: StaffRepository
    plans: PlanRepository
    checkins: CheckInRepository
    prompts: PromptRepository
    alerts: AlertRepository
    outbox: OutboxRepository
    audit: AuditRepository
    team: StaffTeam
    relay: RelayRepository
    broadcasts: BroadcastRepository
    broadcast_deliveries: DeliveryRepository
    activities: ActivityRepository
    activity_choices: ActivityChoices
    inbox: InboxRepository
    dashboard: DashboardAccess

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher, most_listings: int | None = None
    ) -> None:
        """Prepare a unit of work; the transaction starts on entry."""
        self._sessions = sessions
        self.cipher = cipher
        self._most_listings = most_listings
        self._fold_log = False

    async def __aenter__(self) -> UnitOfWork:
        """Open the session and bind the repositories."""
        self.session = self._sessions()
        self.organisations = OrganisationRepository(self.session)
        self.members = MemberRepository(self.session, self.cipher)
        self.consents = ConsentRepository(self.session)
        self.conversations = ConversationRepository(self.session, self.cipher)
        self.updates = UpdateLog(self.session)
        self.staff = StaffRepository(self.session)
        self.plans = PlanRepository(self.session)
        self.checkins = CheckInRepository(self.session, self.cipher)
        self.prompts = PromptRepository(self.session)
        self.alerts = AlertRepository(self.session, self.cipher)
        self.outbox = OutboxRepository(self.session, self.cipher)
        self.audit = AuditRepository(self.session)
        self.team = StaffTeam(self.session)
        self.relay = RelayRepository(self.session, self.cipher)
        self.broadcasts = BroadcastRepository(self.session, self.cipher)
        self.broadcast_deliveries = DeliveryRepository(self.session)
        self.activity_choices = ActivityChoices(self.session)
        self.activities = ActivityRepository(self.session, self._most_listings)
        self.inbox = InboxRepository(self.session, self.cipher)
        self.dashboard = DashboardAccess(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Roll back whatever was not committed, then close."""
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def fold_log_after_commit(self) -> None:
        """After the commit, empty SQLite's write-ahead log into the database: rows deleted here (an erasure) must
        not stay readable in the log file."""
        self._fold_log = True

    async def commit(self) -> None:
        """Commit the transaction (then fold the write-ahead log, if asked: what was committed stays committed even
        if the fold fails, so a failed fold is logged, not raised)."""
        await self.session.commit()
        if self._fold_log:
            self._fold_log = False
            try:
                await self.fold_write_ahead_log()
            except Exception as error:  # the hourly retention tick folds it again
                log.error("write_ahead_log_fold_failed error=%s", type(error).__name__)

    async def fold_write_ahead_log(self) -> None:
        """Empty SQLite's write-ahead log into the database now (outside a write transaction); no-op on PostgreSQL."""
        if not await fold_write_ahead_log(self.session):
            log.warning("write_ahead_log_fold_incomplete")  # a reader held it; the hourly retention tick folds again


class UnitOfWorkFactory:
    """Makes units of work for the same database and keys."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cipher: DataCipher, most_listings: int | None = None
    ) -> None:
        """Remember the session factory, the cipher and the most activities one organisation may list."""
        self.sessions = sessions
        self.cipher = cipher
        self.most_listings = most_listings

    def __call__(self) -> UnitOfWork:
        """Start a new unit of work."""
        return UnitOfWork(self.sessions, self.cipher, self.most_listings)
