"""Bluesky as the rest of the bot sees it: the descriptor `NETWORK` (credentials, counter, `bot check` probe,
publishers). Its session is kept with the bot's other state once a database exists (`store.kept_sessions()`)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.networks.base import DryRunPublisher, KeepingStore, Publisher
from bot.networks.bluesky.length import COUNTER
from bot.networks.network import Network
from bot.tweets.length import Counter

CREDENTIALS = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")


def _counter(limit: int = 0, url_weight: int = 0) -> Counter:
    return COUNTER  # the lexicon's 300 graphemes and 3000 bytes, whatever a saved thread says


def _check(settings: Settings, open_store: Callable[[], KeepingStore | None]) -> str:
    """The account a session names: the session is kept in the database once one exists, else in the file."""
    from bot.networks.bluesky.client import BlueskyClient  # loaded when Bluesky is called
    from bot.networks.bluesky.session import SessionFile

    url = settings.secrets.get("DATABASE_URL") or None
    store = open_store()  # creates nothing; the database line reports its problems
    keeper = store.kept_sessions() if store is not None else \
        None if not url or url.startswith("sqlite") else SessionFile(None)  # Postgres: nothing kept in a folder
    try:
        who = BlueskyClient(settings, SystemClock(), keeper).whoami()
    finally:
        if store is not None:
            store.close()
    return f"Bluesky account {who} on {settings.bluesky.service}"


def _publisher(settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None, store: KeepingStore | None) -> Publisher:
    from bot.networks.bluesky.client import BlueskyClient
    from bot.networks.bluesky.thread import BlueskyPublisher

    keeper = store.kept_sessions() if store is not None else None  # the session lives with the bot's other state
    return BlueskyPublisher(settings, clock, should_stop=should_stop, client=BlueskyClient(settings, clock, keeper))


def _dry_run(settings: Settings, clock: Clock) -> Publisher:
    return DryRunPublisher("bluesky", COUNTER)


def post_link(post_id: str, url: str = "") -> tuple[str, str]:
    """A post's page in the Bluesky app, from its at:// URI (no link for anything else)."""
    if not post_id.startswith("at://"):
        return f"bluesky {post_id}", ""
    did, _, rkey = post_id[len("at://"):].partition("/app.bsky.feed.post/")
    return f"bluesky {rkey}", f"https://bsky.app/profile/{did}/post/{rkey}"


NETWORK = Network(
    timeout=lambda settings: settings.bluesky.timeout,
    id="bluesky", name="Bluesky", post_word="post", credentials=CREDENTIALS, counter=_counter,
    rule="Bluesky counts characters as you see them, links in full",
    check=_check, publisher=_publisher, dry_run=_dry_run, post_link=post_link,
    shows_account=True,  # the line names the account by BLUESKY_HANDLE; getSession does not echo the request
)
