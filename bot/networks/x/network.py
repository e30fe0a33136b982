"""X as the rest of the bot sees it: the descriptor `NETWORK` (credentials, counter, `bot check` probe, publishers)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.networks.base import DryRunPublisher, KeepingStore, Publisher
from bot.networks.network import Network
from bot.networks.x.length import COUNTER
from bot.tweets.length import Counter

CREDENTIALS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")


def _counter(limit: int = 0, url_weight: int = 0) -> Counter:
    return COUNTER  # X's rule is fixed: 280 weighted characters, each link 23


def _check(settings: Settings, open_store: Callable[[], KeepingStore | None]) -> str:
    from bot.networks.x.client import XClient  # X's client and publisher load when X is called

    # One retry at most: a check that X is down should say so in seconds, not after the publisher's backoff.
    quick = settings.replace(x__retries=min(1, settings.x.retries))
    me = XClient(quick, settings.secrets, SystemClock()).me()
    return f"X account @{me.get('username', '?')} (id {me.get('id', '?')})"


def _publisher(settings: Settings, clock: Clock, should_stop: Callable[[], bool] | None, store: KeepingStore | None) -> Publisher:
    from bot.networks.x.client import XClient
    from bot.networks.x.thread import XPublisher

    client = XClient(settings, settings.secrets, clock, should_stop=should_stop)  # a 429 wait ends at a stop too
    return XPublisher(client, settings, clock, should_stop=should_stop)


def _dry_run(settings: Settings, clock: Clock) -> Publisher:
    return DryRunPublisher("x", COUNTER)


def post_link(post_id: str, url: str = "") -> tuple[str, str]:
    """A post's status page by its id (X resolves the account)."""
    return post_id, f"https://x.com/i/status/{post_id}"


NETWORK = Network(
    timeout=lambda settings: settings.x.timeout,
    id="x", name="X", post_word="tweet", credentials=CREDENTIALS, counter=_counter,
    rule="X counts each link as 23, CJK and emoji as 2",
    check=_check, publisher=_publisher, dry_run=_dry_run, post_link=post_link,
)
