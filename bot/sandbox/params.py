"""Read Bot API parameters from query strings, form, multipart and JSON bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .errors import bad_request


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str | None
    data: bytes


@dataclass
class BotRequest:
    """The parameters of one Bot API call with typed accessors."""

    method: str
    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        """Return the raw parameter value or None."""
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        """Return the parameter as a string or None when absent."""
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        """Return the parameter as an int or None; reject values that are not integers."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        """Return the parameter as a float or None."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """Return the parameter as a boolean (absent means False)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes", "on"}
        return bool(value)

    def json_value(self, name: str) -> Any:
        """Return the parameter decoded from JSON when it arrived as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            return json.loads(value)
        return value

    def chat_id(self) -> int:
        """Return chat_id as an int; a missing one is 'chat_id is empty', a username is unknown."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None


async def read_bot_request(request: web.Request, method: str) -> BotRequest:
    """Collect the call's parameters from the query string and the body."""
    bot_request = BotRequest(method=method, values=dict(request.query))
    if request.method not in {"POST", "PUT"} or not request.can_read_body:
        return bot_request
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON encoded request body")
        bot_request.values.update(body)
        return bot_request
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            data = value.file.read()
            bot_request.files[name] = UploadedFile(value.filename or name, value.content_type, data)
        elif isinstance(value, str):
            bot_request.values[name] = value
        else:
            bot_request.values[name] = bytes(value).decode("utf-8", "replace")
    return bot_request
