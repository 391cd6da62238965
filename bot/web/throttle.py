"""Throttling per client address: a small token bucket in memory, one per address, forgotten when full again.

Each instance throttles on its own (several instances behind a proxy share nothing): the aim is to keep one address
from making a web process busy, not an exact limit. Behind a reverse proxy every request comes from the proxy's
address; CAIRN_TRUSTED_PROXIES names the proxies whose X-Forwarded-For is believed, so each client keeps its own
bucket and one client's refusals cannot throttle Telegram or the other coordinators.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_ADDRESSES = 10_000  # buckets kept at most; the least recently used goes first (memory stays bounded)


class Throttle:
    """Allows each address `burst` requests at once, then `per_second` a second."""

    def __init__(
        self,
        per_second: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        """Set the rate, the burst and the clock (monotonic seconds)."""
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._max_addresses = max_addresses
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (tokens, at)

    def left(self, address: str) -> float:
        """Tokens an address has now (the burst for an address not seen)."""
        found = self._buckets.get(address)
        if found is None:
            return self.burst
        tokens, at = found
        return min(self.burst, tokens + (self._clock() - at) * self.per_second)

    def blocked(self, address: str) -> bool:
        """Say whether an address has no token left (without taking one)."""
        return self.left(address) < 1

    def take(self, address: str) -> bool:
        """Take a token for one request; False (and nothing taken) when none is left."""
        tokens = self.left(address)
        if tokens < 1:
            return False
        self._buckets[address] = (tokens - 1, self._clock())
        self._buckets.move_to_end(address)
        while len(self._buckets) > self._max_addresses:
            self._buckets.popitem(last=False)
        return True


def trusted_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """Parse addresses or networks (10.0.0.0/8, 127.0.0.1, ::1); ValueError names one that is not."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def client_address(request: web.Request, trusted: Sequence[Network] = ()) -> str:
    """The address a request came from: the peer, or, when the peer is a trusted proxy, the nearest address in
    X-Forwarded-For that is not one of the trusted proxies (a client can put anything at the left of it)."""
    peer = request.remote or "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", []) for hop in header.split(",")]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(value: str, trusted: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address in network for network in trusted)
