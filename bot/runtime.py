"""The composition root: build storage, texts, the service and the PTB Application from settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, CallbackContext, TypeHandler

from bot.charts import TrendChart
from bot.detect.language_service import LanguageIdentificationService
from bot.detect.service import LanguageRiskService
from bot.inbox import InboxProcessor, store_updates
from bot.jobs.alerts import AlertJob
from bot.jobs.broadcasts import BroadcastJob
from bot.jobs.outbox import OutboxJob
from bot.jobs.prompts import PromptJob
from bot.jobs.retention import INTERVAL_SECONDS as RETENTION_INTERVAL_SECONDS
from bot.jobs.retention import RetentionJob
from bot.jobs.safeguarding import Safeguarding
from bot.lifecycle import Stopping, finish_within
from bot.logs import where
from bot.metrics import METRICS, timed
from bot.poller import UpdatePoller
from bot.service import MemberService
from bot.settings import Settings
from bot.telegram.handler import UpdateHandler
from bot.telegram.lean_update import without_old_keyboard
from bot.telegram.limiter import SendLimiter
from bot.telegram.observed_request import ObservedRequest
from bot.telegram.ordering import PerMemberOrderedProcessor
from bot.telegram.rate_limit import SharedSendLimit
from bot.telegram.render import reply_messages
from bot.telegram.tolerant_bot import TolerantBot
from bot.web.app import RunningWeb, build_web_app, start_web
from bot.web.health import Health, add_health_routes
from bot.web.throttle import trusted_networks
from bot.web.webhook import WebhookReceiver, add_webhook_route
from flows.assistance import given_up_reply
from flows.crisis import load_crisis_resources
from flows.instruments.loader import load_instruments
from flows.instruments.model import Instrument
from flows.outcome import Outcome, Text
from flows.router import COMMANDS
from flows.safeguarding.model import AlertTimings
from flows.texts import Catalogue, load_catalogue
from models.crypto import DataCipher
from models.database import create_engine, is_sqlite, session_factory
from models.migrate import is_up_to_date, upgrade_to_head
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn")

MENU_COMMANDS = (
    "checkin",
    "plan",
    "trends",
    "activities",
    "interests",
    "help",
    "privacy",
    "mydata",
    "forget",
    "pause",
    "stop",
    "start",
)


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


@dataclass
class Cairn:
    """Everything a running bot is made of."""

    settings: Settings
    engine: AsyncEngine
    units: UnitOfWorkFactory
    service: MemberService
    application: Application  # type: ignore[type-arg]
    prompts: PromptJob
    alerts: AlertJob
    outbox: OutboxJob
    language: LanguageRiskService
    broadcasts: BroadcastJob | None = None
    stopping: Stopping = field(default_factory=Stopping)
    inbox: InboxProcessor | None = None  # updates stored by the webhook or the poller, handled from here
    poller: UpdatePoller | None = None  # polling mode, while run_polling runs
    languages: LanguageIdentificationService | None = None  # which language a message is in (bot/detect/language_id)

    async def close(self) -> None:
        """Release the detectors and the database."""
        await self.language.close()
        if self.languages is not None:
            await self.languages.close()
        await self.engine.dispose()


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """Migrate SQLite at start; on PostgreSQL refuse to run on an old schema (run `migrate` first)."""
    if is_sqlite(settings.database_url):
        if settings.database_url.startswith("sqlite+aiosqlite:///") and ":memory:" not in settings.database_url:
            folder = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///")).parent
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: this user's only
        await upgrade_to_head(engine)
    elif not await is_up_to_date(engine):
        raise RuntimeError("the database schema is not up to date: run `python -m bot migrate`")


async def ensure_default_organisation(settings: Settings, units: UnitOfWorkFactory) -> None:
    """Create the deployment's default organisation if it does not exist yet."""
    async with units() as uow:
        if await uow.organisations.by_slug(settings.default_organisation) is None:
            await uow.organisations.add(settings.default_organisation, settings.default_organisation_name, utc_now())
            await uow.commit()
            log.info("default_organisation_created")


async def build_cairn(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Cairn:
    """Build a ready-to-start Cairn from settings."""
    if not settings.telegram_bot_token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    settings.checked()
    stopping = Stopping()
    engine = create_engine(settings.database_url)
    await prepare_database(settings, engine)
    units = UnitOfWorkFactory(
        session_factory(engine), DataCipher(settings.data_keys), settings.max_listings_per_organisation
    )
    await ensure_default_organisation(settings, units)
    catalogue = load_catalogue(settings.language)
    crisis = load_crisis_resources(settings.region)
    instruments = load_usable_instruments(settings)
    language, languages = await asyncio.gather(
        start_language_service(settings), LanguageIdentificationService.start(settings.language_identification)
    )
    service = MemberService(
        units,
        catalogue,
        crisis,
        settings.default_organisation,
        clock,
        instruments,
        TrendChart(instruments),
        language,
        neighbourhoods=settings.neighbourhoods,
        dashboard_url=settings.dashboard_base_url,
        languages=languages,
    )
    bot = build_bot(settings)
    prompts = PromptJob(units, catalogue, clock, stopping=stopping.is_set)
    timings = AlertTimings(
        urgent_claim_limit=timedelta(hours=settings.alert_urgent_claim_hours),
        concern_claim_limit=timedelta(hours=settings.alert_concern_claim_hours),
    )
    alerts = AlertJob(units, catalogue, crisis, clock, timings)
    outbox = OutboxJob(units, clock, stopping=stopping.is_set)
    safeguarding = Safeguarding(alerts, outbox)
    broadcasts = BroadcastJob(units, catalogue, clock, rate=settings.send_rate_per_second)  # paced by the bot's limit
    builder = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerMemberOrderedProcessor(settings.max_concurrent_updates))
        .post_init(lambda app: _set_commands(app, catalogue))
    )
    application = builder.updater(None).build()  # no PTB Updater: updates come in through the inbox (bot/inbox.py)
    application.add_handler(TypeHandler(Update, timed(UpdateHandler(service, catalogue, safeguarding.wake))))
    application.add_error_handler(_log_error)
    if application.job_queue is not None and settings.tick_seconds:
        options = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        application.job_queue.run_repeating(
            _tick("safeguarding", safeguarding.run),
            interval=min(settings.tick_seconds, 2.0),
            first=0.5,
            name="safeguarding",
            job_kwargs=options,
        )
        application.job_queue.run_repeating(
            _tick("prompts", prompts.tick),
            interval=settings.tick_seconds,
            first=1.0,
            name="prompts",
            job_kwargs=options,
        )
        application.job_queue.run_repeating(
            _tick("broadcasts", broadcasts.tick),
            interval=settings.tick_seconds,
            first=1.5,
            name="broadcasts",
            job_kwargs=options,
        )
        retention = RetentionJob(
            units, settings.retention, clock, stopping=stopping.is_set,
            dashboard_idle_minutes=settings.dashboard_idle_minutes,
        )  # fmt: skip
        application.job_queue.run_repeating(
            _tick("retention", retention.tick),
            interval=RETENTION_INTERVAL_SECONDS,
            first=30.0,
            name="retention",
            job_kwargs=options,
        )
    if settings.test_hold_inbox:
        log.error("test_hold_inbox_set: CAIRN_TEST_HOLD_INBOX is for tests only; updates are stored, not handled")
    inbox = InboxProcessor(
        units,
        lambda payload: application.process_update(Update.de_json(without_old_keyboard(payload), application.bot)),
        concurrency=settings.max_concurrent_updates,
        hold=settings.test_hold_inbox,
        single_instance=is_sqlite(settings.database_url),  # SQLite: one process per file, so leases at start are dead
        given_up_reply=reply_messages(catalogue, Outcome(replies=(given_up_reply(crisis),))),
    )
    cairn = Cairn(
        settings, engine, units, service, application, prompts, alerts, outbox, language, broadcasts, stopping, inbox
    )
    cairn.languages = languages
    return cairn


async def start_language_service(settings: Settings) -> LanguageRiskService:
    """Start the detectors; a detector that cannot load is reported loudly and the others run."""
    service = await LanguageRiskService.start(classifier_dir=settings.risk_model_dir, semantic=settings.language_model)
    status = service.status()
    if status.degraded:
        log.error("language_detection_degraded %s", status.summary())
    else:
        log.info("language_detection_ready %s", status.summary())
    return service


def load_usable_instruments(settings: Settings) -> dict[str, Instrument]:
    """Load instruments; a broken file is reported loudly and the others still load."""
    loaded = load_instruments(settings.instruments_dir)
    for error in loaded.errors:
        log.error("instrument_file_invalid file=%s fault=%s", error.file, error.message)
    usable = {key: value for key, value in loaded.instruments.items() if not value.has_placeholder_wording}
    for key in sorted(set(loaded.instruments) - set(usable)):
        log.warning("instrument_has_placeholder_wording id=%s (supply the licensed wording)", key)
    return usable


def _tick(
    name: str, job: Callable[[Bot], Awaitable[object]]
) -> Callable[[CallbackContext[Any, Any, Any, Any]], Awaitable[None]]:
    async def run(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            await job(context.bot)
        except Exception as error:  # a failed tick is retried by the next one; nothing is lost
            log.error("%s_tick_failed error=%s at %s", name, type(error).__name__, where(error))
            METRICS.job_failed(name)
        else:
            METRICS.ticked(name)

    return run


def build_bot(settings: Settings, limiter: SendLimiter | None = None) -> TolerantBot:
    """Build the Bot: our API base, a connection pool sized for concurrency, our shared send limiter."""
    limiter = limiter or SendLimiter(settings.send_rate_per_second, settings.send_chat_interval_seconds)
    return TolerantBot(
        settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_file_base_url,
        request=ObservedRequest(connection_pool_size=max(8, settings.max_concurrent_updates)),
        get_updates_request=ObservedRequest(connection_pool_size=2),
        rate_limiter=SharedSendLimit(limiter),
    )


async def _set_commands(application: Application, catalogue: Catalogue) -> None:  # type: ignore[type-arg]
    commands = [BotCommand(name, catalogue.render(Text(f"menu.{name}"))) for name in MENU_COMMANDS if name in COMMANDS]
    try:
        await application.bot.set_my_commands(commands)
    except Exception as error:  # the menu is a convenience; never block start-up on it
        log.warning("set_commands_failed error=%s", type(error).__name__)


async def run_post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Run the post_init hook (the command menu): PTB calls it only from its own run_polling/run_webhook."""
    if application.post_init is not None:
        await application.post_init(application)


async def _log_error(update: object, context: object) -> None:
    error = getattr(context, "error", None)
    log.error("unhandled_error error=%s", type(error).__name__)


async def run_polling(cairn: Cairn, stop: asyncio.Event, poll_timeout: int = 10) -> bool:
    """Poll for updates until `stop` is set, then shut down within CAIRN_SHUTDOWN_SECONDS; False if cut short.

    Each fetched batch is committed to the inbox before the next getUpdates confirms it (bot/poller.py), and
    handled from the inbox as in webhook mode, so a hard crash loses no update Telegram has forgotten.
    """
    application, inbox = cairn.application, cairn.inbox
    if inbox is None:
        raise RuntimeError("run_polling needs a Cairn built by build_cairn (with its inbox)")
    await application.initialize()
    await run_post_init(application)
    await application.start()
    bot = application.bot
    if not isinstance(bot, TolerantBot):
        raise RuntimeError("polling needs the bot from build_bot")
    poller = UpdatePoller(
        bot, lambda updates: store_updates(cairn.units, updates, utc_now()), inbox.wake, poll_seconds=poll_timeout
    )
    cairn.poller = poller
    processing = asyncio.create_task(inbox.run(), name="cairn-inbox")
    polling = asyncio.create_task(poller.run(), name="cairn-polling")
    log.info("polling_started")
    web = await start_web_app(cairn)
    try:
        await stop.wait()
    finally:
        begin_stopping(cairn)
        if web is not None:
            await web.stop()
    clean = await finish_within(cairn.settings.shutdown_seconds, _stop_polling(cairn, polling, processing))
    if clean:
        await application.shutdown()
    else:
        await finish_within(2.0, inbox.release_in_flight())
    log.info("polling_stopped")
    return clean


def begin_stopping(cairn: Cairn) -> None:
    """Claim no new work: flag the jobs, pause their ticks and the inbox; what is in flight carries on."""
    cairn.stopping.set()
    if cairn.broadcasts is not None:
        cairn.broadcasts.stop()  # a long broadcast tick hands back what it leased, so stopping is quick
    if cairn.inbox is not None:
        cairn.inbox.stop_claiming()
    if cairn.poller is not None:
        cairn.poller.stop()  # a batch being stored is still committed, then confirmed
    queue = cairn.application.job_queue
    if queue is not None and queue.scheduler.running:
        queue.scheduler.pause()
    log.info("stopping")


async def _stop_polling(cairn: Cairn, polling: asyncio.Task[None], processing: asyncio.Task[None]) -> None:
    """Stop fetching (what was fetched is stored), finish the updates in flight, let running ticks finish.

    Updates stored but not yet claimed stay in the inbox for the next start.
    """
    await asyncio.gather(processing, return_exceptions=True)  # it logs its own failure
    draining = cairn.inbox.drain() if cairn.inbox is not None else asyncio.sleep(0)
    await asyncio.gather(polling, draining, return_exceptions=True)  # drain (renewing leases) while polling stops
    if cairn.application.running:
        await cairn.application.stop()


async def start_web_app(cairn: Cairn) -> RunningWeb | None:
    """Serve the web app on CAIRN_WEB_HOST:CAIRN_WEB_PORT (port 0 means off): Open Referral UK API, health,
    metrics and, in webhook mode, the webhook.

    A web app that cannot start is logged loudly; in polling mode the bot itself keeps running.
    """
    settings = cairn.settings
    if not settings.web_port:
        return None
    app = build_web_app(cairn.units, settings, language=cairn.language)
    language_model_on = settings.language_model or settings.risk_model_dir is not None
    inbox, poller = cairn.inbox, cairn.poller
    inbox_healthy = (lambda: inbox.healthy) if inbox is not None else None
    polling_healthy = (lambda: poller.healthy) if poller is not None else None
    get_me = cairn.application.bot.get_me
    health = Health(
        cairn.units,
        cairn.language,
        language_model_on,
        get_me,
        METRICS,
        inbox_healthy,
        polling_healthy,
        languages=cairn.languages,
        metrics_token=settings.metrics_token,
    )
    add_health_routes(app, health)
    if cairn.inbox is not None and settings.mode == "webhook":
        trusted = trusted_networks(settings.trusted_proxies)
        receiver = WebhookReceiver(cairn.units, settings.webhook_secret, cairn.inbox.wake, trusted_proxies=trusted)
        add_webhook_route(app, receiver)
    try:
        running = await start_web(app, settings.web_host, settings.web_port)
    except OSError as error:
        log.error("web_start_failed port=%d error=%s", settings.web_port, type(error).__name__)
        return None
    log.info("web_started port=%d", settings.web_port)
    return running
