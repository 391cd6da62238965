"""POST /telegram/webhook: check the secret header, store the update durably, then answer 200.

The secret is compared in constant time before the body is read; a missing or wrong one gets 403 and nothing is
stored. Telegram retries anything but a 2xx, so an update is answered 200 only once it is committed to the
inbox; handling happens afterwards (bot/inbox.py), so a crash after the 200 loses nothing. An authenticated body
that can never be stored (not JSON, not an object, nested deeper than any update, an update_id outside a signed
64-bit column) gets 400, never 500: a 500 would have Telegram send it again forever.
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
from bot.web.throttle import Network, Throttle, client_address
from models.unit_of_work import UnitOfWorkFactory

log = logging.getLogger("cairn.web.webhook")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_UPDATE_ID = 2**63 - 1  # update_id is stored in a BIGINT (signed 64 bits); Telegram's are far below
REFUSALS_PER_SECOND = 1.0  # wrong secrets an address may send, after a first burst of REFUSAL_BURST
REFUSAL_BURST = 20.0
MAX_DEPTH = 64  # Telegram's updates nest about ten deep (a reply's own reply is never included)


def readable_update(body: bytes) -> dict[str, object] | None:
    """The update in a webhook body, or None when it is not one we could ever store."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested past Python's own limit
        return None
    if not isinstance(data, dict) or _deeper_than(data, MAX_DEPTH):
        return None
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return None
    return data


def _deeper_than(value: object, limit: int) -> bool:
    """Say whether JSON nests deeper than `limit` (walked without recursion)."""
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


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
        refusals: Throttle | None = None,
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        """Wire storage, the expected secret, what to wake once an update is stored, and the throttle on refusals
        (per client address; `trusted_proxies` are the reverse proxies whose X-Forwarded-For is believed)."""
        if not secret:
            raise ValueError("the webhook needs a secret")
        self._units = units
        self._secret = secret
        self._wake = wake
        self._clock = clock
        self._refusals = refusals or Throttle(REFUSALS_PER_SECOND, REFUSAL_BURST)
        self._trusted = trusted_proxies

    async def receive(self, request: web.Request) -> web.Response:
        """Handle one POST from Telegram."""
        address = client_address(request, self._trusted)
        if self._refusals.blocked(address):  # no secret is even compared: guessing is slowed, not just answered
            METRICS.throttled_request("webhook")
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "1"})
        if not secret_matches(request.headers.get(SECRET_HEADER), self._secret):
            self._refusals.take(address)
            METRICS.webhook_request("refused")
            log.warning("webhook_refused reason=secret")
            raise web.HTTPForbidden(reason="Forbidden")
        data = readable_update(await request.read())
        if data is None:
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
