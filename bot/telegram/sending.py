"""Send to Telegram with bounded retries: wait out 429s, back off on network errors, give up on refusals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

log = logging.getLogger("cairn.telegram.send")

T = TypeVar("T")
MAX_ATTEMPTS = 6


class GaveUp(Exception):
    """Telegram could not be reached in time; the caller should keep the message durably and retry later."""


def retry_seconds(retry_after: object) -> float:
    """Read RetryAfter.retry_after as seconds (an int today, a timedelta in later PTB versions)."""
    total_seconds = getattr(retry_after, "total_seconds", None)
    return float(total_seconds()) if callable(total_seconds) else float(retry_after)  # type: ignore[arg-type]


async def with_retries(
    operation: str, call: Callable[[], Awaitable[T]], attempts: int = MAX_ATTEMPTS, *, raise_on_give_up: bool = False
) -> T | None:
    """Run a Bot API call; retry what can succeed later; None when refused (or, unless asked to raise, gave up)."""
    for attempt in range(attempts):
        try:
            return await call()
        except RetryAfter as error:
            wait = retry_seconds(error.retry_after)
            log.warning("telegram_rate_limited operation=%s retry_after=%.1f", operation, wait)
            await asyncio.sleep(wait)
        except Forbidden:
            log.warning("telegram_forbidden operation=%s", operation)
            return None
        except BadRequest as error:
            log.warning("telegram_bad_request operation=%s reason=%s", operation, _reason(error))
            return None
        except NetworkError as error:
            wait = min(0.25 * 2**attempt, 8.0)
            log.warning(
                "telegram_network_error operation=%s error=%s attempt=%d",
                operation,
                type(error).__name__,
                attempt + 1,
            )
            await asyncio.sleep(wait)
        except TelegramError as error:
            log.error("telegram_error operation=%s error=%s", operation, type(error).__name__)
            return None
    log.error("telegram_gave_up operation=%s attempts=%d", operation, attempts)
    if raise_on_give_up:
        raise GaveUp(operation)
    return None


def _reason(error: BadRequest) -> str:
    """Keep Telegram's reason, which never holds member text, but cut it short."""
    return error.message.split(":", 1)[0][:80]
