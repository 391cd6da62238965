"""Prometheus metrics for /metrics: counters bumped as work happens, gauges read from the database at scrape time.

Every label value comes from a fixed list in this module (kinds, jobs, results), never from an update, so no
label can carry a member id, a chat id or text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from sqlalchemy import func, select
from telegram import Update

from flows.safeguarding.model import AlertStatus
from models.inbox_tables import InboxUpdate
from models.tables import Alert, OutboxMessage
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.metrics")

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series

UPDATE_KINDS = ("message", "callback", "command", "other")
DELIVERY_JOBS = ("prompts", "outbox", "broadcasts")
DELIVERY_RESULTS = ("sent", "retry", "failed", "uncertain")  # uncertain: in doubt, never resent
WEBHOOK_RESULTS = ("accepted", "duplicate", "refused", "invalid")
TICKING_JOBS = ("safeguarding", "prompts", "broadcasts", "retention", "inbox", "polling")
INBOX_PROBLEMS = ("unreadable", "given_up")
THROTTLED_ENDPOINTS = ("dashboard_login", "webhook")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def update_kind(update: object) -> str:
    """Classify an update for the `kind` label: message, callback, command or other."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback"
    message = update.message
    if message is not None and message.text is not None:
        return "command" if message.text.startswith("/") else "message"
    return "message" if message is not None else "other"


def _known(value: str, allowed: Iterable[str], fallback: str = "other") -> str:
    return value if value in allowed else fallback


class Metrics:
    """One process's metrics, in their own registry."""

    def __init__(self) -> None:
        """Create every metric and every label combination at zero, so each series exists from the start."""
        self.registry = CollectorRegistry()
        registry = self.registry
        self.updates = Counter("cairn_updates_handled", "Updates handled, by kind.", ["kind"], registry=registry)
        self.latency = Histogram(
            "cairn_update_handling_seconds",
            "Time to handle one update, from the start of handling to the last reply sent.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.deliveries = Counter(
            "cairn_deliveries",
            "Messages the jobs tried to send, by job and result.",
            ["job", "result"],
            registry=registry,
        )
        self.webhook = Counter("cairn_webhook_requests", "Webhook requests, by result.", ["result"], registry=registry)
        self.throttled = Counter(
            "cairn_throttled_requests",
            "Requests answered 429 because their client address sent too many: dashboard login links, or webhook "
            "requests after too many refused (by endpoint; never by address).",
            ["endpoint"],
            registry=registry,
        )
        self.alerts_open = Gauge("cairn_alerts_open", "Alerts open (not claimed or resolved).", registry=registry)
        self.alerts_escalated = Gauge("cairn_alerts_escalated", "Open alerts that were escalated.", registry=registry)
        self.alerts_waiting_for_staff = Gauge(
            "cairn_alerts_waiting_for_staff",
            "Waiting alerts nobody in their organisation can receive yet (the member was told; it goes to the first "
            "person who joins or comes on duty).",
            registry=registry,
        )
        self.outbox_depth = Gauge("cairn_outbox_depth", "Outbox messages waiting to be sent.", registry=registry)
        self.inbox_depth = Gauge("cairn_inbox_depth", "Webhook updates stored and not yet handled.", registry=registry)
        self.inbox_oldest_age = Gauge(
            "cairn_inbox_oldest_age_seconds",
            "Seconds since the oldest webhook update still stored was received (0: none).",
            registry=registry,
        )
        self.inbox_problems = Counter(
            "cairn_inbox_problems",
            "Webhook updates that could not be decrypted (unreadable) or were dropped after too many tries (given_up).",
            ["problem"],
            registry=registry,
        )
        self.job_lag = Gauge(
            "cairn_job_lag_seconds",
            "Seconds since each job's tick last succeeded (since start, for a job that has only failed).",
            ["job"],
            registry=registry,
        )
        self.job_failures = Counter("cairn_job_failures", "Job ticks that failed, by job.", ["job"], registry=registry)
        self.telegram_age = Gauge(
            "cairn_telegram_last_answer_age_seconds",
            "Seconds since the Bot API last answered a request (-1: not yet).",
            registry=registry,
        )
        ProcessCollector(registry=registry)
        for kind in UPDATE_KINDS:
            self.updates.labels(kind=kind)
            self.latency.labels(kind=kind)
        for job in DELIVERY_JOBS:
            for result in DELIVERY_RESULTS:
                self.deliveries.labels(job=job, result=result)
        for result in WEBHOOK_RESULTS:
            self.webhook.labels(result=result)
        for problem in INBOX_PROBLEMS:
            self.inbox_problems.labels(problem=problem)
        for endpoint in THROTTLED_ENDPOINTS:
            self.throttled.labels(endpoint=endpoint)
        for job in TICKING_JOBS:
            self.job_failures.labels(job=job)
        self._started = time.monotonic()
        self._ticked: dict[str, float] = {}
        self._telegram_answered: float | None = None

    def handled(self, kind: str, seconds: float) -> None:
        """Count one handled update and its handling time."""
        kind = _known(kind, UPDATE_KINDS)
        self.updates.labels(kind=kind).inc()
        self.latency.labels(kind=kind).observe(seconds)

    def delivered(self, job: str, result: str, count: int = 1) -> None:
        """Count sends of a job (prompts, outbox, broadcasts) by result (sent, retry, failed)."""
        if job in DELIVERY_JOBS and result in DELIVERY_RESULTS and count:
            self.deliveries.labels(job=job, result=result).inc(count)

    def webhook_request(self, result: str) -> None:
        """Count a webhook request by result (accepted, duplicate, refused, invalid)."""
        self.webhook.labels(result=_known(result, WEBHOOK_RESULTS, "invalid")).inc()

    def throttled_request(self, endpoint: str) -> None:
        """Count a request refused by a throttle (dashboard_login, webhook)."""
        if endpoint in THROTTLED_ENDPOINTS:
            self.throttled.labels(endpoint=endpoint).inc()

    def ticked(self, job: str) -> None:
        """Note that a job's tick just succeeded."""
        self._ticked[_known(job, TICKING_JOBS)] = time.monotonic()

    def job_failed(self, job: str) -> None:
        """Count a failed tick of a job; its lag keeps growing from its last success."""
        job = _known(job, TICKING_JOBS)
        self.job_failures.labels(job=job).inc()
        self._ticked.setdefault(job, self._started)

    def stopped(self, job: str) -> None:
        """Forget a job that has stopped on purpose: it has no lag to report (the poller at shutdown)."""
        if self._ticked.pop(_known(job, TICKING_JOBS), None) is not None:
            self.job_lag.remove(_known(job, TICKING_JOBS))

    def last_success(self, job: str) -> float | None:
        """The monotonic time of a job's last successful tick (its start time if it has only failed), or None."""
        return self._ticked.get(job)

    def inbox_problem(self, problem: str) -> None:
        """Count a webhook update that could not be decrypted (unreadable) or was dropped (given_up)."""
        if problem in INBOX_PROBLEMS:
            self.inbox_problems.labels(problem=problem).inc()

    def telegram_answered(self) -> None:
        """Note that the Bot API just answered a request."""
        self._telegram_answered = time.monotonic()

    def telegram_answer_age(self) -> float | None:
        """Seconds since the Bot API last answered, or None if it never did."""
        return None if self._telegram_answered is None else time.monotonic() - self._telegram_answered

    async def render(self, units: UnitOfWorkFactory | None) -> bytes:
        """Read the database gauges (a few COUNT queries) and return the text exposition format."""
        if units is not None:
            try:
                await self._read_database(units)
            except Exception as error:  # the scrape still answers; /readyz says the database is away
                log.warning("metrics_database_unavailable error=%s", type(error).__name__)
        now = time.monotonic()
        for job, at in self._ticked.items():
            self.job_lag.labels(job=job).set(now - at)
        age = self.telegram_answer_age()
        self.telegram_age.set(-1 if age is None else age)
        return generate_latest(self.registry)

    async def _read_database(self, units: UnitOfWorkFactory) -> None:
        async with units() as uow:
            count = uow.session.scalar
            waiting = Alert.status.in_(tuple(status.value for status in AlertStatus if status.waiting))
            self.alerts_open.set(await count(select(func.count()).where(waiting)) or 0)
            escalated = Alert.status == AlertStatus.ESCALATED.value
            self.alerts_escalated.set(await count(select(func.count()).where(escalated)) or 0)
            nobody = waiting & Alert.dispatched_at.is_(None) & Alert.nobody_told_at.is_not(None)
            self.alerts_waiting_for_staff.set(await count(select(func.count()).where(nobody)) or 0)
            self.outbox_depth.set(await count(select(func.count()).where(OutboxMessage.status == "pending")) or 0)
            self.inbox_depth.set(await count(select(func.count()).select_from(InboxUpdate)) or 0)
            oldest = await uow.inbox.oldest_received()
            self.inbox_oldest_age.set(0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds()))


METRICS = Metrics()
"""The process's metrics: jobs call METRICS.delivered(...), the runtime METRICS.ticked(...)."""


def timed(handle: Callable[[Any, Any], Awaitable[None]]) -> Callable[[Any, Any], Coroutine[Any, Any, None]]:
    """Wrap the update handler so each update is counted by kind and timed."""

    async def run(update: Any, context: Any) -> None:
        started = time.perf_counter()
        try:
            await handle(update, context)
        finally:
            METRICS.handled(update_kind(update), time.perf_counter() - started)

    return run
