"""The bot's async facade for language identification: lingua on its own worker thread, loaded at start.

If lingua cannot load, the service says so loudly (ERROR at start) and carries on with the writing system and
the marker words only; if even the language data cannot load, every message is read as English (as before this
existed). English reading never depends on this service: it runs beside the risk detectors, not in front of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.detect.base import LOGGER_NAME
from bot.detect.language_id import LanguageIdentifier
from bot.detect.languages import ENGLISH
from flows.risk import LanguageSignal

logger = logging.getLogger(LOGGER_NAME)


@dataclass(frozen=True)
class LanguageReading:
    """A message's language ("en", a code such as "pl", or "und") and what a reviewed word list found in it."""

    language: str = ENGLISH
    signals: tuple[LanguageSignal, ...] = ()

    @property
    def unread_language(self) -> str | None:
        """The language Cairn cannot read, or None when the message is read as English."""
        return None if self.language == ENGLISH else self.language


class LanguageIdentificationService:
    """Identifies each message's language off the event loop; never raises to the caller."""

    def __init__(self, identifier: LanguageIdentifier | None, state: str) -> None:
        """Use an identifier that is already built; `state` is "ok", "degraded" (lingua failed), "off" or "failed".

        /readyz shows the state; only "failed" (not even the language data loaded) makes the bot not ready.
        """
        self._identifier = identifier
        self.state = state
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-language-id")

    @classmethod
    async def start(
        cls,
        enabled: bool = True,
        load: Callable[[], LanguageIdentifier] = LanguageIdentifier.load,
    ) -> LanguageIdentificationService:
        """Load lingua on a worker thread; on failure log loudly and fall back to scripts and marker words."""
        if enabled:
            try:
                return cls(await asyncio.to_thread(load), "ok")
            except Exception as error:
                logger.error(
                    "language_identifier_unavailable error=%s: lingua did not load; other languages are recognised "
                    "by writing system and marker words only (English reading is unaffected)",
                    type(error).__name__,
                )
        else:
            logger.warning("language_identifier_off: lingua turned off; scripts and marker words only")
        try:
            return cls(LanguageIdentifier(None), "degraded" if enabled else "off")
        except Exception as error:
            logger.error(
                "language_data_unavailable error=%s: no message is recognised as another language; "
                "members writing other languages get no notice or crisis numbers in their language",
                type(error).__name__,
            )
            return cls(None, "failed")

    async def read(self, text: str) -> LanguageReading:
        """Identify one message's language; a failure reads it as English (and is logged)."""
        if self._identifier is None:
            return LanguageReading()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._read, text)
        except Exception as error:
            logger.error("language_identification_failed error=%s", type(error).__name__)
            return LanguageReading()

    def _read(self, text: str) -> LanguageReading:
        """Identify and read the reviewed word list of the language found (worker thread)."""
        assert self._identifier is not None
        found = self._identifier.identify(text)
        if found.english:
            return LanguageReading()
        return LanguageReading(found.language, tuple(self._identifier.crisis_signals(text, found.language)))

    async def close(self) -> None:
        """Let the worker thread go."""
        self._executor.shutdown(wait=False, cancel_futures=True)
