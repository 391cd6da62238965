"""PTB's request interface over aiohttp: the Bot API calls Cairn makes, with less work per call than httpx.

Profiling the bot under the bench's load (`python -m bench e2e`) put sending at about 40% of its main thread's
time with PTB's default HTTPX transport, most of it in httpcore's connection pool: every request checks every
pooled connection with two system calls, and looks up sniffio with a failing import. aiohttp's pool hands out an
idle connection directly, and its HTTP parser is compiled. The Bot API semantics are PTB's: this class only moves bytes.

Errors are PTB's, so the callers' handling is unchanged: a timeout is `TimedOut` and any other transport failure is
`NetworkError`. A timeout that came after the request was written (no answer in time) is `AnswerTimedOut`, because
Telegram may have acted on it; a timeout waiting for a connection (the request never left) is plain `TimedOut`.
Error texts carry the exception's type only, and aiohttp's exception is not chained to them: its messages can hold
the request's address, and with it the bot token.

A proxy named in the environment (HTTPS_PROXY, NO_PROXY, as PTB's httpx honoured) is looked up once per address
and kept: aiohttp's own `trust_env` looks it up, and reads ~/.netrc, in a worker thread on every request, which
showed in the bench's profile.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

__all__ = ["AiohttpRequest", "AnswerTimedOut", "may_have_arrived"]

Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


class AnswerTimedOut(TimedOut):
    """The request was sent but no answer came in time: Telegram may have acted on it."""


def may_have_arrived(error: TimedOut) -> bool:
    """Say whether a timed-out request may have reached Telegram: it was sent, and its answer did not come in time
    (ours, or PTB's default HTTPX request's read timeout)."""
    return isinstance(error, AnswerTimedOut) or isinstance(error.__cause__, httpx.ReadTimeout)


class AiohttpRequest(BaseRequest):
    """A pooled aiohttp session for the Bot API, with PTB's timeouts (seconds; None waits for ever)."""

    __slots__ = ("_connect_timeout", "_connection_pool_size", "_media_write_timeout", "_pool_timeout",
                 "_proxies", "_read_timeout", "_session", "_write_timeout")  # fmt: skip

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        """Remember the pool size and default timeouts; the session opens in `initialize` (it needs a loop)."""
        self._connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, Proxy] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default time to wait for an answer."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after `shutdown`)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connection_pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, headers={"User-Agent": self.USER_AGENT}
            )
            self._proxies.clear()

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request and return the status and body; PTB turns them into results or Telegram's errors."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, bool(files))
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port: which proxy applies depends only on it
        proxy = self._proxies.get(origin)
        if proxy is None:  # once per address: reading the environment (and ~/.netrc, if any) on the loop is fine
            proxy = self._proxies[origin] = _proxy_from_environment(url)
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data, files),
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy[0],
                proxy_auth=proxy[1],
            ) as response:
                return response.status, await response.read()
        # `from None`: aiohttp's own exceptions can name the address, token included, and a chained cause would be
        # printed with any traceback that reaches stderr unlogged.
        except aiohttp.ConnectionTimeoutError:  # no connection in time: the request never left
            raise TimedOut("Timed out before the request was sent") from None
        except TimeoutError:  # written, but no answer in time: it may have reached Telegram
            raise AnswerTimedOut("Timed out waiting for Telegram's answer") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from None

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any, upload: bool) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts from PTB's. Waiting for a pooled connection and connecting count as connecting.
        Waiting for the answer gets the read timeout. aiohttp has no write timeout, so the whole request is capped
        at the sum of all four: a write that never ends still ends."""
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        write_default = self._media_write_timeout if upload else self._write_timeout
        write = write_default if isinstance(write, DefaultValue) else write
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        connecting = _sum(connect, pool)
        return aiohttp.ClientTimeout(
            total=_sum(connecting, _sum(write, read)), connect=connecting, sock_connect=connect, sock_read=read
        )


def _proxy_from_environment(url: str) -> Proxy:
    """The proxy the environment names for `url` (with its credentials, from ~/.netrc if not in the variable), or
    none; the same rules as aiohttp's `trust_env`. Never raises: a setting it cannot read means no proxy."""
    try:
        return get_env_proxy_for_url(URL(url))
    except (LookupError, ValueError, OSError):
        return None, None


def _sum(first: float | None, second: float | None) -> float | None:
    return None if first is None or second is None else first + second


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> Any:
    """A form-encoded body, as PTB's HTTPX request sends; multipart when there are files to upload."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not files:
        return fields or None
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
