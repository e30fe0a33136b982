"""What publishing needs whatever the network: the Ledger and Publisher seams, the post budget, the dry run.

Each network is a package beside this module (x/, bluesky/, mastodon/) whose publisher has a `network` name,
a `counter()` (how it measures a post) and `publish()`; this module stays free of network code so that the
CLI, the store and the dry run can use it without importing tweepy, atproto or Mastodon.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.errors import BudgetExceeded
from bot.core.records import PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.x.length import COUNTER as X
from bot.tweets.length import Counter, urls


class Ledger(Protocol):
    """The durable progress of one entry's thread (store.py keeps it in the database)."""

    lost: bool  # set once the entry's heartbeat found its claim lost (run/lease.py): a publisher's waits end at once

    def done(self) -> dict[int, PublishedTweet]:
        """Positions already posted, with their tweet (and media) ids."""
        ...

    def record(self, tweet: PublishedTweet) -> None:
        """Keep a posted tweet's id; durable when it returns."""
        ...

    def pending(self, position: int) -> None:
        """Mark, durably, that a request for this position is about to go out."""
        ...

    def refused(self, position: int) -> None:
        """The network answered that it made nothing (a 429): the position is no longer pending, so a run after a
        crash sends it without first looking for it until x.confirm_horizon."""
        ...

    def pending_positions(self) -> set[int]:
        """Positions whose request went out with no recorded answer."""
        ...

    def pending_times(self) -> dict[int, float]:
        """Those positions, each with when it was last marked pending (epoch seconds of the ledger's clock)."""
        ...


@dataclass(frozen=True, slots=True)
class Budget:
    """Posts already made in the last 24 hours and this month, and the limits (0: no limit)."""

    used_24h: int = 0
    used_month: int = 0
    per_day: int = 0
    per_month: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, used_24h: int = 0, used_month: int = 0) -> Budget:
        """A budget with the limits of `settings.x` and the given counts."""
        return cls(used_24h, used_month, settings.x.posts_per_day, settings.x.posts_per_month)

    def check(self, needed: int) -> None:
        """Raise BudgetExceeded unless `needed` more posts fit both limits.

        Retryable when the posts will fit once older ones leave the window; not when they exceed a limit outright
        (waiting cannot help, and the message says what to change instead).
        """
        for limit, name in ((self.per_day, "x.posts_per_day"), (self.per_month, "x.posts_per_month")):
            if limit and needed > limit:
                raise BudgetExceeded(
                    f"the thread needs {needed} post(s) but {name} is {limit}, so it can never fit",
                    f"raise {name}, or lower thread.tweets (x.thread_mode = single posts one)", retryable=False)
        if self.per_day and self.used_24h + needed > self.per_day:
            raise BudgetExceeded(
                f"the thread needs {needed} post(s) but only {max(0, self.per_day - self.used_24h)} of "
                f"x.posts_per_day={self.per_day} are left in the last 24 hours",
                "it will be posted when older posts leave the 24-hour window (or raise x.posts_per_day)")
        if self.per_month and self.used_month + needed > self.per_month:
            raise BudgetExceeded(
                f"the thread needs {needed} post(s) but only {max(0, self.per_month - self.used_month)} of "
                f"x.posts_per_month={self.per_month} are left this month",
                "it will be posted next month (or raise x.posts_per_month)")


class SessionKeeper(Protocol):
    """Keeps one session text per (service, account); the text is a secret, never logged."""

    def load(self, service: str, account: str) -> str | None:
        """The session text kept for this service and account, or None."""

    def save(self, service: str, account: str, session: str) -> None:
        """Keep `session` for this service and account, replacing any before; a failure is a warning."""

    def forget(self, service: str, account: str) -> None:
        """Drop the session kept for this service and account."""


class KeepingStore(Protocol):
    """What a network keeps in the bot's store between runs (Bluesky's session); state/store.py's Store is one."""

    def kept_sessions(self) -> SessionKeeper:
        """The sessions kept in the bot's database."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


class Publisher(Protocol):
    """Publishes a checked thread to one network, resuming from its ledger; never posts a position twice."""

    network: str

    def counter(self) -> Counter:
        """How this network measures a post (its limit and length function)."""
        ...

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post this network's thread (thread.for_network) that the ledger does not hold yet; what it holds."""
        ...


class DryRunPublisher:
    """Publishes nothing: `bot post --dry-run` and previews (one per configured network, for its counter).

    `counter` is the network's Counter, or a function that finds it (Mastodon asks its instance): called once,
    when the thread is first fitted, and never when no counter is needed.
    """

    def __init__(self, network: str = "x", counter: Counter | Callable[[], Counter] = X) -> None:
        self.network = network
        self._counter = counter if isinstance(counter, Counter) else None
        self._find = None if isinstance(counter, Counter) else counter

    def counter(self) -> Counter:
        """The network's counter, so the dry run fits and shows each network's thread."""
        if self._counter is None and self._find is not None:
            self._counter = self._find()
        return self._counter or X

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Return the thread with no tweets, marked incomplete, touching neither X nor the ledger."""
        return PostedThread(thread, (), mode="dry-run", complete=False, notes=("dry run: nothing was posted",))


def posts_needed(thread: Thread, settings: Settings) -> int:
    """How many posts the whole thread takes: one in `single` mode, else one per tweet."""
    return min(1, len(thread.tweets)) if settings.x.thread_mode == "single" else len(thread.tweets)


def expected_posts(settings: Settings) -> int:
    """How many posts a thread not written yet will take on X: one in single mode, else thread.tweets."""
    return 1 if settings.x.thread_mode == "single" else int(settings.thread.tweets)


def cost(thread: Thread, settings: Settings) -> float:
    """Estimated pay-per-use price of the thread: a post with a URL costs more (the design notes: $0.015 / $0.20)."""
    total = 0.0
    for tweet in thread.tweets[: posts_needed(thread, settings)]:
        total += settings.x.price_post_url if urls(tweet.text) else settings.x.price_post
    return round(total, 6)
