"""Throttling token guesses: each client may send BURST wrong tokens (sign-in or /api/poll's bearer), then one per
REFILL seconds; past that it is answered 429 with Retry-After and its tries are not even checked.

A client is its address as the gate found it (the peer, or what a trusted proxy forwarded); IPv6 clients are
counted per /64, the block one subscriber usually holds. Only wrong tokens count, and only against the address
that sent them, so a burst from elsewhere never locks the owner out; from a throttled address the owner waits
Retry-After seconds (at most REFILL). A token bucket in memory: a restart forgives, which costs an attacker a
restart of the bot per BURST tries.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable

BURST = 10  # wrong tokens a client may send at once
REFILL = 6.0  # seconds per further try: 10 a minute, 14,400 a day at most per client
MAX_CLIENTS = 10_000  # clients remembered; the least recently seen is forgotten first


def client_key(address: str | None) -> str:
    """Who is counted: the IPv4 address, or the IPv6 /64; "" when unknown."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


class Throttle:
    """Token buckets of wrong tries, one per client."""

    def __init__(self, burst: int = BURST, refill: float = REFILL, now: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.refill, self.now = burst, refill, now
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def _tokens(self, key: str) -> float:
        tokens, at = self.buckets.get(key, (float(self.burst), self.now()))
        return min(float(self.burst), tokens + (self.now() - at) / self.refill)

    def retry_after(self, address: str | None) -> int:
        """Seconds this client must wait before its next try is checked; 0 when it may try now."""
        tokens = self._tokens(client_key(address))
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) * self.refill))

    def failed(self, address: str | None) -> str:
        """Count one wrong token; "first" for a client's first in a while, "throttled" when it just ran out, else ""."""
        key = client_key(address)
        tokens = self._tokens(key)
        self.buckets[key] = (tokens - 1, self.now())
        self.buckets.move_to_end(key)
        while len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
        if tokens >= self.burst:
            return "first"
        return "throttled" if tokens - 1 < 1 <= tokens else ""
