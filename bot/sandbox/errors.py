"""Telegram-shaped API errors raised by the sandbox's Bot API handlers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Carry an HTTP status and a Telegram error description to the client."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    """Build a 400 'Bad Request: ...' error."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Build a 403 'Forbidden: ...' error."""
    return ApiError(403, f"Forbidden: {detail}")


def conflict(detail: str) -> ApiError:
    """Build a 409 'Conflict: ...' error."""
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Build a 429 error with the retry_after parameter PTB turns into RetryAfter."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


SERVER_ERROR_DESCRIPTIONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def server_error(code: int) -> ApiError:
    """Build a 5xx error with Telegram's wording."""
    return ApiError(code, SERVER_ERROR_DESCRIPTIONS.get(code, "Internal Server Error"))


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")
