"""Settings: one frozen object, read once from the environment, passed down."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.retention_settings import RetentionError, RetentionPeriods

TELEGRAM_API = "https://api.telegram.org/bot"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a webhook secret_token
MIN_WEBHOOK_SECRET = 32  # characters; `python -m bot webhook secret` prints 43
MIN_METRICS_TOKEN = 32  # characters


class SettingsError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything Cairn reads from its environment. See README's settings table."""

    telegram_bot_token: str = ""
    telegram_api_base_url: str = TELEGRAM_API
    telegram_bot_username: str = ""
    database_url: str = "sqlite+aiosqlite:///var/cairn.db"
    data_keys: tuple[str, ...] = ()
    default_organisation: str = "community"
    default_organisation_name: str = "our community organisation"
    region: str = "GB-SCT"
    language: str = "en"
    log_level: str = "INFO"
    log_format: str = "text"
    data_dir: Path = field(default_factory=lambda: Path("var"))
    max_concurrent_updates: int = 64
    instruments_dir: Path | None = None
    tick_seconds: float = 5.0
    send_rate_per_second: float = 30.0
    send_chat_interval_seconds: float = 1.0
    language_model: bool = True
    language_identification: bool = True  # lingua's models; off: other languages by writing system and words only
    risk_model_dir: Path | None = None
    neighbourhoods: tuple[str, ...] = ()
    web_host: str = "127.0.0.1"
    web_port: int = 0  # settings built in code serve no web app unless asked; from the environment the default is 8080
    mode: str = "polling"
    webhook_url: str = ""
    webhook_secret: str = ""
    shutdown_seconds: float = 20.0
    alert_urgent_claim_hours: float = 4.0  # a claimed URGENT alert unresolved this long goes back to coordinators
    alert_concern_claim_hours: float = 72.0  # the same for CONCERN
    retention: RetentionPeriods = field(default_factory=RetentionPeriods)
    dashboard_url: str = ""  # public base URL of the web dashboard; empty: http://CAIRN_WEB_HOST:CAIRN_WEB_PORT
    dashboard_idle_minutes: float = 30.0
    dashboard_session_hours: float = 12.0
    metrics_token: str = ""  # when set, /metrics needs "Authorization: Bearer <token>"
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks whose X-Forwarded-For names the client
    max_listings_per_organisation: int = 2000  # fair sharing: no organisation's directory slows another's members
    max_import_records: int = 1000  # services one import file may hold
    test_hold_inbox: bool = False  # tests only: store webhook updates but do not handle them (see tests/faults)

    @property
    def telegram_file_base_url(self) -> str:
        """Derive the file download base from the API base (…/bot -> …/file/bot)."""
        base = self.telegram_api_base_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}"

    @property
    def dashboard_base_url(self) -> str:
        """Where the dashboard is reached from a browser (no trailing slash)."""
        if self.dashboard_url:
            return self.dashboard_url.rstrip("/")
        return f"http://{self.web_host}:{self.web_port or 8080}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment (or a given mapping)."""
        env = os.environ if env is None else env
        keys = tuple(key.strip() for key in env.get("CAIRN_DATA_KEYS", "").split(",") if key.strip())
        try:
            concurrency = int(env.get("CAIRN_MAX_CONCURRENT_UPDATES", "64"))
        except ValueError as error:
            raise SettingsError("CAIRN_MAX_CONCURRENT_UPDATES must be a whole number") from error
        log_level = env.get("CAIRN_LOG_LEVEL", cls.log_level).upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError("CAIRN_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        log_format = env.get("CAIRN_LOG_FORMAT", "text")
        if log_format not in ("text", "json"):
            raise SettingsError("CAIRN_LOG_FORMAT must be 'text' or 'json'")
        return cls(
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL", TELEGRAM_API),
            telegram_bot_username=env.get("TELEGRAM_BOT_USERNAME", ""),
            database_url=env.get("DATABASE_URL", cls.database_url),
            data_keys=keys,
            default_organisation=env.get("CAIRN_DEFAULT_ORGANISATION", cls.default_organisation),
            default_organisation_name=env.get("CAIRN_DEFAULT_ORGANISATION_NAME", cls.default_organisation_name),
            region=env.get("CAIRN_REGION", cls.region),
            language=env.get("CAIRN_LANGUAGE", cls.language),
            log_level=log_level,
            log_format=log_format,
            data_dir=Path(env.get("CAIRN_DATA_DIR", "var")),
            max_concurrent_updates=concurrency,
            instruments_dir=Path(env["CAIRN_INSTRUMENTS_DIR"]) if env.get("CAIRN_INSTRUMENTS_DIR") else None,
            tick_seconds=_number(env, "CAIRN_TICK_SECONDS", 5.0),
            send_rate_per_second=_number(env, "CAIRN_SEND_RATE_PER_SECOND", 30.0),
            send_chat_interval_seconds=_number(env, "CAIRN_SEND_CHAT_INTERVAL_SECONDS", 1.0),
            language_model=env.get("CAIRN_LANGUAGE_MODEL", "on").lower() not in ("off", "0", "false", "no"),
            language_identification=env.get("CAIRN_LANGUAGE_ID", "on").lower() not in ("off", "0", "false", "no"),
            risk_model_dir=Path(env["CAIRN_RISK_MODEL_DIR"]) if env.get("CAIRN_RISK_MODEL_DIR") else None,
            neighbourhoods=tuple(
                dict.fromkeys(name.strip() for name in env.get("CAIRN_NEIGHBOURHOODS", "").split(",") if name.strip())
            ),
            web_host=env.get("CAIRN_WEB_HOST", "127.0.0.1"),
            web_port=_port(env, "CAIRN_WEB_PORT", 8080),
            mode=_mode(env),
            webhook_url=env.get("CAIRN_WEBHOOK_URL", "").strip(),
            webhook_secret=env.get("CAIRN_WEBHOOK_SECRET", ""),
            shutdown_seconds=_number(env, "CAIRN_SHUTDOWN_SECONDS", 20.0),
            alert_urgent_claim_hours=_number(env, "CAIRN_ALERT_URGENT_CLAIM_HOURS", 4.0),
            alert_concern_claim_hours=_number(env, "CAIRN_ALERT_CONCERN_CLAIM_HOURS", 72.0),
            retention=_retention(env),
            dashboard_url=_dashboard_url(env),
            dashboard_idle_minutes=_number(env, "CAIRN_DASHBOARD_IDLE_MINUTES", 30.0),
            dashboard_session_hours=_number(env, "CAIRN_DASHBOARD_SESSION_HOURS", 12.0),
            metrics_token=env.get("CAIRN_METRICS_TOKEN", "").strip(),
            trusted_proxies=_trusted_proxies(env),
            max_listings_per_organisation=_whole(env, "CAIRN_MAX_LISTINGS_PER_ORGANISATION", 2000),
            max_import_records=_whole(env, "CAIRN_MAX_IMPORT_RECORDS", 1000),
            test_hold_inbox=env.get("CAIRN_TEST_HOLD_INBOX", "") == "1",
        ).checked()

    def checked(self) -> Settings:
        """Refuse settings the bot must not start with (webhook mode without a usable secret or web app)."""
        if self.mode == "webhook":
            if not usable_webhook_secret(self.webhook_secret):
                raise SettingsError(
                    f"webhook mode needs CAIRN_WEBHOOK_SECRET: {MIN_WEBHOOK_SECRET}-256 characters of A-Z a-z 0-9 _ - "
                    "(make one with `python -m bot webhook secret`)"
                )
            if not self.web_port:
                raise SettingsError("webhook mode needs the web app: set CAIRN_WEB_PORT to a port, not 0")
        if self.metrics_token and len(self.metrics_token) < MIN_METRICS_TOKEN:
            raise SettingsError(
                f"CAIRN_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN} characters "
                "(make one with `python -m bot webhook secret`), or empty to leave /metrics open"
            )
        return self

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log redactor: the bot token, the webhook secret, the metrics token, the
        data keys and the database password."""
        password = _database_password(self.database_url)
        named = (self.telegram_bot_token, self.webhook_secret, self.metrics_token, password, *self.data_keys)
        return tuple(secret for secret in named if secret)


def usable_webhook_secret(secret: str) -> bool:
    """Say whether a webhook secret is one Telegram accepts and long enough not to be guessed."""
    return len(secret) >= MIN_WEBHOOK_SECRET and WEBHOOK_SECRET.fullmatch(secret) is not None


def _database_password(url: str) -> str:
    try:
        return make_url(url).password or ""
    except Exception:  # a malformed URL fails where it is used, with its own message
        return ""


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    values = tuple(value.strip() for value in env.get("CAIRN_TRUSTED_PROXIES", "").split(",") if value.strip())
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as error:
            raise SettingsError(
                f"CAIRN_TRUSTED_PROXIES: {value!r} is not an address or network (e.g. 127.0.0.1, 172.16.0.0/12)"
            ) from error
    return values


def _retention(env: Mapping[str, str]) -> RetentionPeriods:
    try:
        return RetentionPeriods.from_env(env)
    except RetentionError as error:
        raise SettingsError(str(error)) from error


def _dashboard_url(env: Mapping[str, str]) -> str:
    url = env.get("CAIRN_DASHBOARD_URL", "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError("CAIRN_DASHBOARD_URL must start with http:// or https://")
    return url


def _mode(env: Mapping[str, str]) -> str:
    mode = env.get("CAIRN_MODE", "polling").strip().lower()
    if mode not in ("polling", "webhook"):
        raise SettingsError("CAIRN_MODE must be 'polling' or 'webhook'")
    return mode


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        value = int(env.get(name, default))
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number") from error
    if not 0 <= value <= 65535:
        raise SettingsError(f"{name} must be between 0 (off) and 65535")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError as error:
        raise SettingsError(f"{name} must be a number") from error
    if value <= 0:
        raise SettingsError(f"{name} must be above zero")
    return value


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        value = int(env.get(name, default))
    except ValueError as error:
        raise SettingsError(f"{name} must be a whole number") from error
    if value < 1:
        raise SettingsError(f"{name} must be at least 1")
    return value
