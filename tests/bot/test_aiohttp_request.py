"""Cairn's aiohttp request for the Bot API: bodies as PTB's HTTPX request sends them, and PTB's errors, with the
difference that matters for never sending twice: a timeout after the request left says so."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.sandbox import Sandbox
from bot.sandbox.server import serve_sandbox
from bot.telegram import aiohttp_request
from bot.telegram.aiohttp_request import AiohttpRequest, AnswerTimedOut, may_have_arrived
from tests.e2e.harness import CANARY_TOKEN

TOKEN = "123456:" + "A" * 35


class Server:
    """A small HTTP server on 127.0.0.1 that records what it was sent and can be told to stall."""

    def __init__(self) -> None:
        """Record nothing yet; answer at once."""
        self.received: list[dict[str, object]] = []
        self.stall = 0.0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request's fields (and files), then answer with a fixed body."""
        form = await request.post()
        fields: dict[str, object] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                fields[name] = (value.filename, value.content_type, value.file.read())
            else:
                fields[name] = value
        self.received.append(
            {"content_type": request.content_type, "fields": fields, "agent": request.headers, "host": request.host}
        )
        if self.stall:
            await asyncio.sleep(self.stall)
        return web.json_response({"ok": True, "result": True}, status=200)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    recorder = Server()
    app = web.Application()
    app.router.add_post("/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    recorder.url = f"http://127.0.0.1:{port}/bot{TOKEN}"
    try:
        yield recorder
    finally:
        await runner.cleanup()


def _data(**fields: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in fields.items()])


async def _request(**options: float | None) -> AiohttpRequest:
    request = AiohttpRequest(**options)  # type: ignore[arg-type]
    await request.initialize()
    return request


async def test_a_form_body_carries_every_parameter_as_text(server: Server) -> None:
    request = await _request()
    try:
        status, body = await request.do_request(
            f"{server.url}/sendMessage", "POST", _data(chat_id=42, text="héllo", reply_markup={"a": [1]})
        )
    finally:
        await request.shutdown()
    assert (status, body) == (200, b'{"ok": true, "result": true}')
    [seen] = server.received
    assert seen["content_type"] == "application/x-www-form-urlencoded"
    assert seen["fields"] == {"chat_id": "42", "text": "héllo", "reply_markup": '{"a": [1]}'}


async def test_an_upload_is_multipart_with_the_file_its_name_and_type(server: Server) -> None:
    request = await _request()
    upload = RequestData(
        [
            RequestParameter.from_input("chat_id", 7),
            RequestParameter.from_input("document", InputFile(b"a,b\n1,2\n", filename="report.csv")),
        ]
    )
    try:
        status, _ = await request.do_request(f"{server.url}/sendDocument", "POST", upload)
    finally:
        await request.shutdown()
    assert status == 200
    [seen] = server.received
    assert seen["content_type"] == "multipart/form-data"
    fields = seen["fields"]
    assert isinstance(fields, dict)
    assert fields["chat_id"] == "7"
    assert fields["document"] == ("report.csv", "text/csv", b"a,b\n1,2\n")


async def test_no_answer_in_time_may_have_arrived(server: Server) -> None:
    server.stall = 2.0
    request = await _request(read_timeout=0.2)
    try:
        with pytest.raises(AnswerTimedOut) as caught:
            await request.do_request(f"{server.url}/sendMessage", "POST", _data(chat_id=1, text="x"))
    finally:
        await request.shutdown()
    assert may_have_arrived(caught.value)
    assert len(server.received) == 1  # it did arrive
    assert TOKEN not in "".join(traceback.format_exception(caught.value))


async def test_waiting_for_a_free_connection_is_a_timeout_that_never_left(server: Server) -> None:
    server.stall = 1.0
    request = await _request(connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1, read_timeout=5.0)
    try:
        first = asyncio.create_task(request.do_request(f"{server.url}/a", "POST", _data(chat_id=1, text="x")))
        await asyncio.sleep(0.2)  # the only connection is busy
        with pytest.raises(TimedOut) as caught:
            await request.do_request(f"{server.url}/b", "POST", _data(chat_id=2, text="y"))
        assert (await first)[0] == 200
    finally:
        await request.shutdown()
    assert not may_have_arrived(caught.value)
    assert len(server.received) == 1  # the second never reached the server
    printed = "".join(traceback.format_exception(caught.value))  # as an uncaught error would reach stderr
    assert TOKEN not in printed, "aiohttp's message names the address; it must not be chained"


async def test_a_refused_connection_is_a_network_error_naming_no_address() -> None:
    request = await _request(connect_timeout=1.0)
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:9/bot{CANARY_TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert CANARY_TOKEN not in str(caught.value) and "127.0.0.1" not in str(caught.value)


async def test_it_must_be_initialized_and_opens_again_after_shutdown(server: Server) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{server.url}/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    try:
        assert (await request.do_request(f"{server.url}/getMe", "POST"))[0] == 200
    finally:
        await request.shutdown()


@pytest.fixture
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def test_a_proxy_named_in_the_environment_carries_every_request_and_is_looked_up_once(
    server: Server, monkeypatch: pytest.MonkeyPatch, no_proxy_settings: None
) -> None:
    monkeypatch.setenv("http_proxy", server.url.split("/bot")[0])  # the recording server plays the proxy
    lookups: list[str] = []
    original = aiohttp_request._proxy_from_environment

    def counted(url: str) -> aiohttp_request.Proxy:
        lookups.append(url)
        return original(url)

    monkeypatch.setattr(aiohttp_request, "_proxy_from_environment", counted)
    request = await _request()
    try:
        for method in ("getMe", "sendMessage", "getUpdates"):
            status, _ = await request.do_request(f"http://telegram.invalid/bot{TOKEN}/{method}", "POST", _data(a=1))
            assert status == 200
    finally:
        await request.shutdown()
    assert [seen["host"] for seen in server.received] == ["telegram.invalid"] * 3  # all went through the proxy
    assert len(lookups) == 1


async def test_an_address_the_environment_exempts_from_the_proxy_is_reached_directly(
    server: Server, monkeypatch: pytest.MonkeyPatch, no_proxy_settings: None
) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    request = await _request()
    try:
        assert (await request.do_request(f"{server.url}/getMe", "POST"))[0] == 200
    finally:
        await request.shutdown()
    assert len(server.received) == 1


async def test_a_ptb_bot_on_it_talks_to_the_sandbox() -> None:
    sandbox = Sandbox(CANARY_TOKEN)
    sandbox.user(501).chat.known = True  # they pressed Start
    async with serve_sandbox(sandbox) as running:
        bot = Bot(
            CANARY_TOKEN, base_url=running.bot_base_url, request=AiohttpRequest(), get_updates_request=AiohttpRequest()
        )
        async with bot:
            me = await bot.get_me()
            sent = await bot.send_message(501, "hello there")
            document = await bot.send_document(501, b"col\n1\n", filename="data.csv")
    assert me.is_bot and sent.text == "hello there"
    assert document.document is not None and document.document.file_name == "data.csv"
