"""Keeping an entry's claim alive while its holder works: a heartbeat that renews the lease, and stops when it is lost.

A holder waits in many places it cannot see from here: a slow model answer, an image being made, a 429 reset of up
to 15 minutes, the look-ups after a post whose answer was lost. The heartbeat renews the lease from a thread of its
own every sixth of the lease (at most every 10 s), so another process takes over only a claim whose holder stopped
(crashed, killed, frozen), never one that is waiting. Renewal goes through the fencing token (Store.renew): once
another process has taken the claim, it fails and the heartbeat stops; it never renews the claim back. What a holder
that lost its claim may still do is decided by the fence, not by the heartbeat: every send proves the claim first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from bot.core.clock import Clock
from bot.core.errors import BotError
from bot.state.ledger import Claim
from bot.state.store import Store

log = logging.getLogger(__name__)

MAX_INTERVAL = 10.0  # seconds between renewals at most, whatever the lease
MIN_INTERVAL = 0.2


def interval(lease: float) -> float:
    """Seconds between renewals of a lease of `lease` seconds: a sixth of it, between MIN_INTERVAL and MAX_INTERVAL."""
    return max(MIN_INTERVAL, min(MAX_INTERVAL, lease / 6))


class Heartbeat:
    """Renews one entry's claim in the background while the `with` block runs; `lost` once a renewal was refused."""

    def __init__(self, store: Store, feed: str, key: str, claim: Claim, clock: Clock,
                 on_lost: Callable[[], None] = lambda: None) -> None:
        self.store, self.feed, self.key, self.claim, self.clock = store, feed, key, claim, clock
        self.on_lost = on_lost  # told once, from the heartbeat's thread, when a renewal is refused
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease {key}", daemon=True)

    def start(self) -> Heartbeat:
        """Begin renewing (every `interval(lease)` seconds of real time)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Renew no more (before the claim is released); waits for a renewal under way."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(MAX_INTERVAL)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        every = interval(self.claim.lease)
        while not self._stop.wait(every):
            try:
                held = self.store.renew(self.feed, self.key, self.claim, self.clock.time())
            except BotError as exc:  # a database hiccup: try again at the next beat; the fence still guards sends
                log.debug("could not renew the claim on %s (%s); trying again in %.1f s", self.key, exc, every)
                continue
            if not held:
                # Said once, by whoever stops the work: the next send's fence raises ClaimLost with the full line.
                log.debug("the claim on %s is held by another process now; no more renewals", self.key)
                self.lost = True
                self.on_lost()
                return
