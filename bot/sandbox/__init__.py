"""A local stand-in for the Telegram Bot API with simulated users, faults and flood limits."""

from .errors import ApiError
from .faults import FAULT_KINDS, Fault
from .records import Button, SentDocument, SentMessage
from .sandbox import BOT_FIRST_NAME, BOT_USERNAME, DEFAULT_TOKEN, Sandbox
from .server import RunningSandbox, create_app, serve_sandbox, start_sandbox
from .stats import RequestRecord, SandboxStats
from .users import SimGroup, SimUser, WaitTimeout

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "ApiError",
    "Button",
    "Fault",
    "RequestRecord",
    "RunningSandbox",
    "Sandbox",
    "SandboxStats",
    "SentDocument",
    "SentMessage",
    "SimGroup",
    "SimUser",
    "WaitTimeout",
    "create_app",
    "serve_sandbox",
    "start_sandbox",
]
