"""Logging: levels, text or JSON lines, no personal data, and no secrets even by accident."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

QUIET_LOGGERS = {
    "httpx": logging.WARNING,  # request lines carry the bot token in the URL
    "httpcore": logging.WARNING,
    "telegram": logging.WARNING,  # telegram.ext logs whole updates (with member text) at DEBUG; INFO adds nothing
    "apscheduler": logging.ERROR,  # "skipped: maximum number of running instances" is expected, not news
    "aiohttp.access": logging.WARNING,
    "aiohttp.client": logging.WARNING,  # Cairn's Bot API requests (bot/telegram/aiohttp_request.py)
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,  # logs SQL with its parameters at DEBUG
    "asyncpg": logging.WARNING,
    "alembic": logging.WARNING,
    "asyncio": logging.WARNING,
}


class SecretRedactor(logging.Filter):
    """Replace any secret (the bot token, the webhook secret, the metrics token, data keys, the database password)
    that reaches a log line with a placeholder, whatever its length: a short secret is still a secret."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Remember which strings must never be written (longest first, so no part of one is left behind)."""
        super().__init__()
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once and redact it."""
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[redacted]")
        record.msg, record.args = message, None
        return True


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        """Format a record as JSON."""
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "unknown"
        return json.dumps(entry)


def configure_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> logging.Handler:
    """Set up the root logger once for the process; return the handler it installed."""
    handler = logging.StreamHandler()
    handler.addFilter(SecretRedactor(secrets))
    if fmt == "json":
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_cairn", False):
            root.removeHandler(existing)
    handler._cairn = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    quiet_library_loggers()
    return handler


def quiet_library_loggers() -> None:
    """Keep libraries that log tokens or member text above the levels where they do."""
    for name, minimum in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(minimum)


def where(error: BaseException, frames: int = 3) -> str:
    """Say where an error happened (file:line in function) without its message, which may hold member data."""
    import traceback

    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return " < ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}" for frame in reversed(stack))
