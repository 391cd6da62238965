"""Deliver queued updates to a webhook URL in order, retrying until it answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from .state import now_seconds
from .updates import UpdateQueue

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 1.0
REQUEST_TIMEOUT_SECONDS = 10.0


class WebhookDelivery:
    """Hold the webhook settings and run the delivery task while a URL is set."""

    def __init__(self, queue: UpdateQueue) -> None:
        self._queue = queue
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        """Tell whether a webhook URL is set."""
        return bool(self.url)

    async def configure(self, url: str, secret_token: str | None, max_connections: int) -> None:
        """Set (or, with an empty url, remove) the webhook and restart delivery."""
        await self.stop()
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.last_error_date = None
        self.last_error_message = None
        if url:
            self._task = asyncio.get_running_loop().create_task(self._deliver_forever())

    async def stop(self) -> None:
        """Stop delivering without changing the settings."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def info(self, pending_count: int) -> dict[str, Any]:
        """Return the WebhookInfo object."""
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending_count,
        }
        if self.url:
            info["max_connections"] = self.max_connections
            if self._queue.allowed_updates is not None:
                info["allowed_updates"] = sorted(self._queue.allowed_updates)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else {}
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                self.last_error_message = f"Wrong response from the webhook: {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.last_error_message = f"Connection failed: {type(exc).__name__}"
        self.last_error_date = now_seconds()
        logger.debug("webhook delivery failed: %s", self.last_error_message)
        return False

    async def _deliver_forever(self) -> None:
        failures = 0
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                item = self._queue.peek_next()
                if item is None:
                    await self._queue.added.wait(1.0)
                    continue
                update, redelivery = item
                if await self._post(session, update):
                    self._queue.acknowledge(update["update_id"], redelivery)
                    self.delivered += 1
                    failures = 0
                    continue
                failures += 1
                await asyncio.sleep(min(FIRST_BACKOFF_SECONDS * 2 ** (failures - 1), MAX_BACKOFF_SECONDS))
