"""Threads as the rest of the bot sees it: the descriptor `NETWORK` (credentials, the user id it needs, its counter,
`bot check` probe with the token's expiry, publishers). The dry run says when the thread goes without its image."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.core.records import PostedThread, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, DryRunPublisher, KeepingStore, Ledger, Publisher
from bot.networks.http import header_token, writable_file
from bot.networks.media import LIFETIME, ROUTE
from bot.networks.network import Network
from bot.networks.threads.client import ThreadsClient
from bot.networks.threads.length import COUNTER
from bot.networks.threads.thread import NO_IMAGE, ThreadsPublisher, quota_left
from bot.networks.threads.token import TokenKeeper, token_path
from bot.tweets.length import Counter

log = logging.getLogger(__name__)
CREDENTIALS = ("THREADS_ACCESS_TOKEN",)
WARN_DAYS = 14  # `bot check` warns when the token ends sooner than this (the bot refreshes it 30 days before)


def _counter(limit: int = 0, url_weight: int = 0) -> Counter:
    return COUNTER  # fixed: 500 characters, emoji as their UTF-8 bytes


def _unset(settings: Settings) -> tuple[str, ...]:
    """THREADS_USER_ID when unset; ConfigError for a setting that is set but unusable (a user id is digits only, so
    none becomes a path like "me/../123")."""
    header_token("THREADS_ACCESS_TOKEN", settings.secrets.get("THREADS_ACCESS_TOKEN") or "")
    writable_file("BOT_THREADS_TOKEN_FILE", token_path(settings))
    user = str(settings.threads.user_id).strip()
    if user and not (user.isascii() and user.isdigit()):
        raise ConfigError(f"THREADS_USER_ID is {user[:40]!r}, not a Threads user id (digits only)",
                          "set THREADS_USER_ID to the id `GET /me` answers for the token (`bot check` names it)")
    return () if user else ("THREADS_USER_ID",)


def _check(settings: Settings, open_store: Callable[[], KeepingStore | None]) -> str:
    clock = SystemClock()
    client = ThreadsClient(settings, clock)
    me = client.me()
    if str(me.get("id")) != str(settings.threads.user_id):
        raise ConfigError(f"THREADS_USER_ID is {settings.threads.user_id} but THREADS_ACCESS_TOKEN is the profile "
                          f"{me.get('id')}", f"set THREADS_USER_ID={me.get('id')}")
    posts, replies = quota_left(client.quota())
    line = (f"Threads account @{me.get('username', '?')} (id {me.get('id')}), {posts} posts and {replies} replies "
            "left today")
    ends = client.keeper.expires_at()
    if ends and ends - clock.time() < WARN_DAYS * 86400:
        line += f"; WARNING: the token ends in {max(0, int((ends - clock.time()) // 86400))} days: sign in again"
    return line


def _token_expiry(settings: Settings) -> float | None:
    """The kept token's expiry (token.py: known once it has been refreshed), None while unknown."""
    return TokenKeeper(settings, SystemClock()).expires_at() or None


def _publisher(settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None, store: KeepingStore | None) -> Publisher:
    return ThreadsPublisher(settings, clock, should_stop=should_stop)


class ThreadsDryRun(DryRunPublisher):
    """Publishes nothing; says so when the thread's image cannot go (no public address to fetch it from)."""

    def __init__(self, settings: Settings, counter: Callable[[], Counter]) -> None:
        super().__init__("threads", counter)
        self.public = str(settings.web.public_url).strip().rstrip("/")

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """The dry run's PostedThread, saying whether the image can go (and from where)."""
        posted = super().publish(thread, ledger, budget)
        if not thread.image.path:
            return posted
        line = NO_IMAGE if not self.public else (
            f"threads: the image is shared for Meta to fetch at {self.public}{ROUTE}<random token>, for "
            f"{int(LIFETIME // 60)} minutes (the review page must be running there: `bot run --web`)")
        return dataclasses.replace(posted, notes=(*posted.notes, line))


def _dry_run(settings: Settings, clock: Clock) -> Publisher:
    def counter() -> Counter:  # asked once, when the thread is fitted: the dry run says then what Threads misses
        if list(settings.image.chain) != ["none"] and not settings.web.public_url:
            log.warning(NO_IMAGE)
        return COUNTER
    return ThreadsDryRun(settings, counter)


def post_link(post_id: str, url: str = "") -> tuple[str, str]:
    """Threads' pages use a short code, not the id: the id alone, linked when a permalink was saved."""
    return f"threads {post_id}", url


NETWORK = Network(
    timeout=lambda settings: settings.threads.timeout,
    id="threads", name="Threads", post_word="post", credentials=CREDENTIALS, counter=_counter,
    rule="Threads counts characters as typed, each emoji as its UTF-8 bytes (4 for most), links in full",
    check=_check, publisher=_publisher, dry_run=_dry_run, post_link=post_link, unset=_unset,
    token_expiry=_token_expiry,
    # An @handle from the article is an X account; on Threads it would mention whoever holds that name there.
    keeps_article_handles=False,
)
