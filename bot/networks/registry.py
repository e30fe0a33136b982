"""Every network the bot can publish to, listed once. Adding a network is adding its folder (which exports a
`NETWORK` descriptor, `network.py`) and one line here; nothing outside `networks/` names a network."""

from __future__ import annotations

from bot.core.errors import ConfigError
from bot.core.records import PRIMARY, Article, Tweet
from bot.core.settings import Settings
from bot.networks.bluesky.network import NETWORK as BLUESKY
from bot.networks.linkedin.network import NETWORK as LINKEDIN
from bot.networks.mastodon.network import NETWORK as MASTODON
from bot.networks.network import Network
from bot.networks.threads.network import NETWORK as THREADS
from bot.networks.x.network import NETWORK as X
from bot.tweets.length import Counter

NETWORKS: tuple[Network, ...] = (X, BLUESKY, MASTODON, LINKEDIN, THREADS)

# PRIMARY (core.records) is the contract's network: thread.json's top-level `tweets` is its thread, the post
# budget and the price (`x.posts_per_day`, `x.price_post`) are its, a thread saved before networks was posted there.
__all__ = ["NETWORKS", "PRIMARY", "get", "names", "primary", "counter_for", "rule", "article_for", "name", "label",
           "display_names", "compose", "token_expiries"]

_BY_ID = {n.id: n for n in NETWORKS}


def names() -> tuple[str, ...]:
    """Every network's id, in the registry's order (the `networks` setting's and `--network`'s choices)."""
    return tuple(_BY_ID)


def get(network: str) -> Network:
    """The descriptor of `network`; ConfigError naming the known ones for any other word."""
    try:
        return _BY_ID[network]
    except KeyError:
        raise ConfigError(f"unknown network {network!r}", f"use one of: {', '.join(names())}") from None


def primary() -> Network:
    """The descriptor of the contract's network (X)."""
    return _BY_ID[PRIMARY]


def counter_for(network: str, limit: int = 0, url_weight: int = 0) -> Counter:
    """The Counter of `network` with the limit (and what a link counts) its saved thread records, so a thread
    edited after it was fitted (a draft in review) is measured exactly as its network measures it."""
    return _BY_ID.get(network, primary()).counter(limit, url_weight)


def rule(counter: Counter) -> str:
    """How the counter's network counts, for a message beside a post that is too long."""
    found = _BY_ID.get(counter.network)
    return found.rule.format(url=counter.url_weight) if found else ""


def article_for(network: str, article: Article) -> Article:
    """The article as `network`'s posts may quote it (see Network.keeps_article_handles)."""
    found = _BY_ID.get(network)
    return found.article(article) if found else article


def name(network: str) -> str:
    """A network as a person reads it: "X", "Bluesky"; an unknown id as it is."""
    found = _BY_ID.get(network)
    return found.name if found else network


def label(network: str, number: int) -> str:
    """How a message names one post: "tweet 2" on X, "Bluesky post 2"; an unknown network's "<id> post 2"."""
    found = _BY_ID.get(network)
    return found.label(number) if found else f"{network} post {number}"


def display_names() -> dict[str, str]:
    """Each network's id → its name as a person reads it ({"x": "X", ...}), for what output/ draws."""
    return {n.id: n.name for n in NETWORKS}


def compose(network: str, tweets: tuple[Tweet, ...], article: Article, settings: Settings,
            counter: Counter) -> tuple[tuple[Tweet, ...], tuple[str, ...]]:
    """`network`'s fitted posts as it publishes them (Network.compose; as fitted for a thread), with notes."""
    found = _BY_ID.get(network)
    if found is None or found.compose is None:
        return tweets, ()
    return found.compose(tweets, article, settings, counter)


def token_expiries(settings: Settings) -> dict[str, float]:
    """Each configured network's token end (epoch seconds), where its descriptor knows one."""
    ends = {n: _BY_ID[n].token_expiry(settings) for n in settings.networks if n in _BY_ID}
    return {n: end for n, end in ends.items() if end is not None}
