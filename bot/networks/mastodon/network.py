"""Mastodon as the rest of the bot sees it: the descriptor `NETWORK` (credentials, the instance it needs, a counter
built from the instance's limits, `bot check` probe, publishers)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.networks.base import DryRunPublisher, KeepingStore, Publisher
from bot.networks.mastodon.length import MAX_CHARACTERS, URL_CHARACTERS, counter
from bot.networks.network import Network
from bot.tweets.length import Counter

CREDENTIALS = ("MASTODON_ACCESS_TOKEN",)


def _counter(limit: int = 0, url_weight: int = 0) -> Counter:
    return counter(limit or MAX_CHARACTERS, url_weight or URL_CHARACTERS)  # the instance's, as the thread saved it


def _unset(settings: Settings) -> tuple[str, ...]:
    return () if settings.mastodon.base_url else ("MASTODON_BASE_URL",)


def _check(settings: Settings, open_store: Callable[[], KeepingStore | None]) -> str:
    from bot.networks.mastodon.client import MastodonClient  # loaded when Mastodon is called

    quick = settings.replace(mastodon__retries=min(1, settings.mastodon.retries))
    me = MastodonClient(quick, SystemClock()).me()
    return f"Mastodon account @{me.get('acct') or me.get('username', '?')} on {settings.mastodon.base_url}"


def _publisher(settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None, store: KeepingStore | None) -> Publisher:
    from bot.networks.mastodon.thread import MastodonPublisher

    return MastodonPublisher(settings, clock, should_stop=should_stop)


def _dry_run(settings: Settings, clock: Clock) -> Publisher:
    from bot.networks.mastodon.client import MastodonClient
    from bot.networks.mastodon.thread import MastodonPublisher

    # The instance's limits, read when the thread is first fitted: GET /api/v2/instance is public, so the
    # dry run sends no token, does not retry, and falls back to 500/23 with one line when it cannot read it.
    reader = MastodonPublisher(settings, clock, client=MastodonClient.reader(settings, clock))
    return DryRunPublisher("mastodon", reader.counter)


def post_link(post_id: str, url: str = "") -> tuple[str, str]:
    """The status page the instance named when the post was made."""
    return f"mastodon {post_id}", url


NETWORK = Network(
    timeout=lambda settings: settings.mastodon.timeout,
    id="mastodon", name="Mastodon", post_word="post", credentials=CREDENTIALS, counter=_counter,
    rule="Mastodon counts characters as you see them, each link as {url}",
    check=_check, publisher=_publisher, dry_run=_dry_run, post_link=post_link, unset=_unset,
    needs="settings",  # the instance's address is one of them
    # Mastodon makes a bare @name a mention of its own instance's account of that name (ProcessMentionsService
    # finds it locally, links it and notifies it), whoever that is: the article's X handles are somebody else's.
    keeps_article_handles=False,
)
