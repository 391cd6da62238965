"""POST /telegram/webhook: check the secret header, store the update durably, then answer 200.

The secret is compared in constant time before the body is read; a missing or wrong one gets 403 and nothing is
stored. Telegram retries anything but a 2xx, so an update is answered 200 only once it is committed to the
inbox; handling happens afterwards (bot/inbox.py), so a crash after the 200 loses nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from bot.inbox import SENDER_KEY_PURPOSE, sender_key, store_updates
from bot.metrics import METRICS
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.web.webhook")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare the header with the secret in constant time; an empty or missing header never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class WebhookReceiver:
    """The webhook endpoint: authenticate, store in the inbox, wake the processor, answer."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        secret: str,
        wake: Callable[[], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Wire storage, the expected secret and what to wake once an update is stored."""
        if not secret:
            raise ValueError("the webhook needs a secret")
        self._units = units
        self._secret = secret
        self._wake = wake
        self._clock = clock

    async def receive(self, request: web.Request) -> web.Response:
        """Handle one POST from Telegram."""
        if not secret_matches(request.headers.get(SECRET_HEADER), self._secret):
            METRICS.webhook_request("refused")
            log.warning("webhook_refused reason=secret")
            raise web.HTTPForbidden(reason="Forbidden")
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            METRICS.webhook_request("invalid")
            log.warning("webhook_refused reason=not_an_update")
            raise web.HTTPBadRequest(reason="Bad Request")
        stored = await store_updates(self._units, [data], self._clock())
        METRICS.webhook_request("accepted" if stored else "duplicate")
        self._wake()
        return web.Response(status=200)


__all__ = ["SECRET_HEADER", "SENDER_KEY_PURPOSE", "WEBHOOK_PATH", "WebhookReceiver", "add_webhook_route", "sender_key"]


def add_webhook_route(app: web.Application, receiver: WebhookReceiver, path: str = WEBHOOK_PATH) -> None:
    """Serve the webhook on the app."""
    app.router.add_post(path, receiver.receive)
